"""Governance: organisations, people and their roles, projects and the decisions on them."""

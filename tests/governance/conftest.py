"""Fixtures for governance tests: the cast of people lives in governance_cast."""

from governance_cast import cast

__all__ = ["cast"]

"""Fixtures shared by every test area; the governance-database ones live in db_fixtures."""

from db_fixtures import db_engine, haven, session

__all__ = ["db_engine", "haven", "session"]

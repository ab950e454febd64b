"""Alembic migrations of the governance database, run by ``openhaven.core.database.migrate``."""

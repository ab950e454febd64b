"""Governance-database fixtures: each engine, migrated for real, one rollback per test.

``db_engine`` runs every test that asks for it on SQLite (a file in a temporary folder) and
on PostgreSQL (a fresh schema per test session at ``OPENHAVEN_TEST_POSTGRES_URL``, dropped at
the end). PostgreSQL tests are skipped, saying why, only when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from openhaven.core.database import make_engine, migrate
from openhaven.core.haven import Haven

POSTGRES_URL_ENV = "OPENHAVEN_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


@contextmanager
def empty_database(kind: str, folder: Path) -> Iterator[Engine]:
    """An engine on a brand-new, unmigrated database of ``kind``; removed afterwards."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'governance.sqlite'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    admin = make_engine(postgres_url(), pool_size=1, max_overflow=0)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        if "FATAL" in str(error.orig):  # a server answered but refused us: a real failure
            raise
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL_ENV} ({postgres_url()})")
    schema = f"openhaven_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(postgres_url(), connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated governance database on each engine, shared by the test session."""
    with empty_database(request.param, tmp_path_factory.mktemp("governance")) as engine:
        migrate(engine)
        yield engine


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back after."""
    connection = db_engine.connect()
    transaction = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def haven(tmp_path: Path) -> Haven:
    """A fresh haven folder (settings, keys, an empty ledger)."""
    return Haven.open(tmp_path / "haven")

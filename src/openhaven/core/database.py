"""The governance database: engine, sessions, units of work, column types and migrations.

The governance database holds who may do what (organisations, people, projects and their
decisions), patients' recorded choices, and what was provisioned and released. It is SQLite
inside the haven folder by default and PostgreSQL when ``OPENHAVEN_DATABASE_URL`` says so;
the same models and migrations serve both.

Only this module and the repository modules of each domain open sessions: services receive a
``Session`` from their caller, and interfaces wrap each request in one ``unit_of_work`` so a
request commits once or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, Text, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from openhaven.core.errors import ConfigurationError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MIGRATIONS_PACKAGE = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: execution option asking SQLite to begin with the write lock (BEGIN IMMEDIATE)
SQLITE_WRITE_LOCK = "openhaven_write_lock"


class Base(DeclarativeBase):
    """Base of every governance model; constraint names follow ``NAMING_CONVENTION``.

    Stable constraint names let migrations drop or alter a constraint by name on PostgreSQL
    and let SQLite's batch mode rebuild a table without guessing.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def portable_enum(enum_class: type[StrEnum], name: str) -> Enum:
    """An enum column as short text with a named CHECK constraint, the same on both engines.

    The stored value is the member's value (``"public_body"``), not its Python name.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def ensure_utc(value: datetime | date) -> datetime:
    """A timezone-aware UTC datetime; a date means its midnight, a naive time means UTC."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite keeps no offset, so every value is converted to UTC before it is written: stored
    values then compare correctly as text, and reads attach UTC again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        utc = ensure_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return ensure_utc(value)


class JSONText(TypeDecorator[Any]):
    """A JSON document kept as text, so both engines store and compare it the same way."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


def make_engine(url: str | URL, **engine_options: Any) -> Engine:
    """An engine for the governance database at ``url`` (SQLite or PostgreSQL).

    SQLite gets foreign keys, write-ahead logging and a busy timeout on every connection, and
    its driver is told to leave transactions to SQLAlchemy so that savepoints work (tests
    roll back each test inside one). PostgreSQL gets a small pre-pinged pool.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **engine_options)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        options: dict[str, Any] = {"pool_size": 5, "max_overflow": 5, "pool_pre_ping": True}
        options.update(engine_options)
        return create_engine(parsed, **options)
    raise ConfigurationError(
        f"The governance database must be SQLite or PostgreSQL, not {backend!r}."
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below); the driver's own transaction handling
        # would otherwise break SAVEPOINT and transactional DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that has read and then writes fails at once with "database
        # is locked" if another connection committed in between (the busy timeout does not
        # apply to that upgrade). A unit of work that asks for the write lock takes it when
        # it begins, and waits its turn instead.
        immediate = connection.get_execution_options().get(SQLITE_WRITE_LOCK, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine, *, write_lock: bool = False) -> Iterator[Session]:
    """One session, one commit: everything inside succeeds together or is rolled back.

    With ``write_lock``, SQLite takes the database's write lock when the unit of work begins
    (waiting up to the busy timeout for it), so a writer that reads first cannot lose the race
    to another writer; use it where many clients write at once (the web's POSTs). Without it
    the transaction is deferred, so a unit of work that only reads never waits, and one held
    open around another (as tests do) does not block it. PostgreSQL needs neither.
    """
    bind = engine.execution_options(**{SQLITE_WRITE_LOCK: True}) if write_lock else engine
    session = Session(bind=bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(url_or_engine: str | URL | Engine, *, revision: str = "heads") -> None:
    """Bring the database up to ``revision`` (default: every branch's newest) with Alembic.

    The Alembic configuration is built here, pointing at the migrations shipped inside the
    package, so no ``alembic.ini`` is needed at run time.
    """
    from alembic import command

    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    if not isinstance(url_or_engine, Engine):
        engine.dispose()


def downgrade(url_or_engine: str | URL | Engine, *, revision: str = "base") -> None:
    """Take the database back to ``revision`` (default: empty); for development and tests."""
    from alembic import command

    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
    if not isinstance(url_or_engine, Engine):
        engine.dispose()


def alembic_config(connection: Connection | None = None) -> Any:
    """An Alembic ``Config`` for the packaged migrations, optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PACKAGE))
    if connection is not None:
        config.attributes["connection"] = connection
    return config

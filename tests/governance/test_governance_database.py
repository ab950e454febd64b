"""The governance database itself: migrations on both engines, types, guards, layering."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from db_fixtures import ENGINES, POSTGRES_URL_ENV, empty_database, postgres_url
from openhaven.core.database import Base, downgrade, make_engine, migrate, unit_of_work
from openhaven.core.errors import ConfigurationError
from openhaven.governance.models import Organisation

SOURCE = Path(__file__).resolve().parents[2] / "src" / "openhaven"
TABLES = {
    "organisations",
    "people",
    "person_roles",
    "projects",
    "project_members",
    "project_decisions",
    "choice_events",
    "extracts",
    "outputs",
    "accreditations",
    "person_access_states",
    "access_requests",
    "committee_votes",
    "conflicts_of_interest",
    "data_sharing_agreements",
    "project_transitions",
}


@pytest.mark.parametrize("kind", ENGINES)
def test_migrations_run_up_down_and_up_again(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as engine:
        migrate(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        migrate(engine)  # already at head: nothing to do, no error
        downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES


def test_postgresql_cases_skip_when_no_server_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql+psycopg://postgres@127.0.0.1:1/test")
    with (
        pytest.raises(pytest.skip.Exception, match="no PostgreSQL server answers"),
        empty_database("postgresql", tmp_path),
    ):
        pass


@pytest.mark.postgres
def test_postgresql_cases_fail_when_a_server_answers_but_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with empty_database("postgresql", tmp_path):
        pass  # skips here when no server answers at all
    refused = make_url(postgres_url()).set(username="openhaven_no_such_role")
    monkeypatch.setenv(POSTGRES_URL_ENV, refused.render_as_string(hide_password=False))
    with pytest.raises(OperationalError), empty_database("postgresql", tmp_path):
        pass


def test_migrate_accepts_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'governance.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_the_migrations_match_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_other_databases_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="SQLite or PostgreSQL"):
        make_engine("mysql://somewhere/db")


def test_timestamps_are_stored_as_utc_and_read_back_aware(session: Session) -> None:
    plus_two = timezone(timedelta(hours=2))
    organisation = Organisation(
        name="Clock Trust", kind="nhs", created_at=datetime(2026, 3, 1, 12, 0, tzinfo=plus_two)
    )
    session.add(organisation)
    session.flush()
    session.expire_all()
    stored = session.scalars(select(Organisation).where(Organisation.name == "Clock Trust")).one()
    assert stored.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert stored.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("table", ["choice_events", "project_decisions"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_append_only_tables_refuse_changes_in_the_database(
    session: Session, table: str, statement: str
) -> None:
    _one_row_in(session, table)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement.format(table=table)))


def test_unit_of_work_commits_once_or_rolls_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.sqlite'}")
    migrate(engine)
    try:
        with unit_of_work(engine) as db_session:
            db_session.add(Organisation(name="Kept", kind="charity"))
        with pytest.raises(RuntimeError), unit_of_work(engine) as db_session:
            db_session.add(Organisation(name="Lost", kind="charity"))
            db_session.flush()
            raise RuntimeError("boom")
        with unit_of_work(engine) as db_session:
            names = set(db_session.scalars(select(Organisation.name)))
        assert names == {"Kept"}
    finally:
        engine.dispose()


def test_only_repositories_and_the_database_module_use_sessions() -> None:
    """Services receive a session and go through their repository; they never query.

    Only modules that import SQLAlchemy are read: the record store's DuckDB sessions are the
    engine layer's business, not the governance database's.
    """
    allowed = {SOURCE / "core" / "database.py"}
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "repository.py" or path in allowed or "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if "sqlalchemy" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if _is_session_use(node):
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")  # type: ignore[attr-defined]
    assert offenders == []


def _is_session_use(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in {"Session", "sessionmaker"}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        return (
            isinstance(owner, ast.Name)
            and owner.id in {"session", "db_session"}
            and node.func.attr
            in {"execute", "scalars", "scalar", "add", "add_all", "get", "delete", "flush", "query"}
        )
    return False


def _one_row_in(session: Session, table: str) -> None:
    if table == "choice_events":
        session.execute(
            text(
                "INSERT INTO choice_events (nhs_number, choice, value, channel, recorded_by,"
                " acting_as, recorded_at, effective_at) VALUES ('9434765919',"
                " 'research-and-planning', 'opt_out', 'web', 'test', 'self', :t, :t)"
            ),
            {"t": datetime(2026, 1, 1)},
        )
        return
    session.execute(
        text("INSERT INTO organisations (name, kind, created_at) VALUES ('O', 'nhs', :t)"),
        {"t": datetime(2026, 1, 1)},
    )
    session.execute(
        text("INSERT INTO people (display_name, email, created_at) VALUES ('P', 'p@x.org', :t)"),
        {"t": datetime(2026, 1, 1)},
    )
    session.execute(
        text(
            "INSERT INTO projects (reference, title, lay_summary, purpose, purpose_codes,"
            " organisation_id, commercial, legal_basis, identifiability, status, lead_id,"
            " created_at, dataset_specification) SELECT 'OH-2026-9999', 't', 'l', 'p', 'HMB',"
            " o.id, false, 'b', 'pseudonymised', 'submitted', p.id, :t, '{}'"
            " FROM organisations o, people p WHERE o.name = 'O' AND p.email = 'p@x.org'"
        ),
        {"t": datetime(2026, 1, 1)},
    )
    session.execute(
        text(
            "INSERT INTO project_decisions (project_id, decision, by_person_id, reasons,"
            " decided_at) SELECT pr.id, 'rejected', pr.lead_id, 'r', :t FROM projects pr"
            " WHERE pr.reference = 'OH-2026-9999'"
        ),
        {"t": datetime(2026, 1, 1)},
    )

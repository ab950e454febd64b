"""DuckDB sessions over a database file: queries in, Arrow tables out, writes in transactions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from openhaven.core.errors import ConfigurationError, OpenHavenError


class DataSession:
    """One connection to one DuckDB file (or memory), with the few verbs the haven needs."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        self._connection.execute(sql, parameters or [])

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> pa.Table:
        """Run ``sql`` and return its rows as an Arrow table."""
        return self._connection.execute(sql, parameters or []).fetch_arrow_table()

    def scalar(self, sql: str, parameters: Sequence[Any] | None = None) -> Any:
        row = self._connection.execute(sql, parameters or []).fetchone()
        return None if row is None else row[0]

    def register(self, name: str, data: pa.Table) -> None:
        """Expose an Arrow table to SQL under ``name`` for the life of the session."""
        self._connection.register(name, data)

    def unregister(self, name: str) -> None:
        self._connection.unregister(name)

    def table_names(self, schema: str | None = None) -> list[str]:
        if schema is None:
            rows = self._connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
        else:
            rows = self._connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = ? ORDER BY table_name",
                [schema],
            ).fetchall()
        return [r[0] for r in rows]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DataSession]:
        """All or nothing: on any exception every change since BEGIN is rolled back."""
        self._connection.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        else:
            self._connection.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()


@contextlib.contextmanager
def open_session(path: Path | None, *, read_only: bool = False) -> Iterator[DataSession]:
    """Open a session on the DuckDB file at ``path`` (None: an in-memory database)."""
    try:
        if path is None:
            connection = duckdb.connect(":memory:")
        else:
            if read_only and not path.exists():
                raise ConfigurationError("The record store does not exist yet.")
            connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException:
        raise ConfigurationError(
            "The data store is busy or unreadable (is another OpenHaven process using it?)"
        ) from None
    session = DataSession(connection)
    try:
        yield session
    except duckdb.Error as exc:
        raise EngineError(f"The data engine refused the operation ({type(exc).__name__}).") from exc
    finally:
        session.close()


class EngineError(OpenHavenError):
    """The engine failed; the message names the kind of failure, never the data involved."""

    code = "engine_error"
    http_status = 500

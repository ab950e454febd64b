"""DuckDB sessions over a database file: queries in, Arrow tables out, writes in transactions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from openhaven.core.errors import ConfigurationError, OpenHavenError
from openhaven.engine.functions import install_functions


class DataSession:
    """One connection to one DuckDB file (or memory), with the few verbs the haven needs."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        self._connection.execute(sql, parameters or []).fetchall()

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> pa.Table:
        """Run ``sql`` and return its rows as an Arrow table."""
        relation = self._connection.sql(sql, params=list(parameters) if parameters else None)
        if relation is None:
            raise ValueError("query() needs a statement that returns rows")
        return relation.to_arrow_table()

    def scalar(self, sql: str, parameters: Sequence[Any] | None = None) -> Any:
        rows = self._connection.execute(sql, parameters or []).fetchall()
        return rows[0][0] if rows else None

    def register(self, name: str, data: pa.Table) -> None:
        """Expose an Arrow table to SQL under ``name`` for the life of the session."""
        self._connection.register(name, data)

    def unregister(self, name: str) -> None:
        self._connection.unregister(name)

    def attach(self, path: Path, alias: str, *, read_only: bool = False) -> None:
        """Attach another DuckDB file under ``alias`` (e.g. the record store, read-only)."""
        mode = " (READ_ONLY)" if read_only else ""
        self.execute(f"ATTACH '{_quote(str(path))}' AS {alias}{mode}")

    def detach(self, alias: str) -> None:
        self.execute(f"DETACH {alias}")

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
        self.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")

    def close(self) -> None:
        self._connection.close()


@contextlib.contextmanager
def open_session(path: Path | None, *, read_only: bool = False) -> Iterator[DataSession]:
    """Open a session on the DuckDB file at ``path`` (None: an in-memory database).

    Relative file paths in SQL are looked for first in the folder holding the database file
    (then, as always, in the working directory): an extract's views name their Parquet files
    relative to the extract's folder, so the extract still reads after the haven's home, or
    the extract alone, is moved. Writes (``COPY ... TO``) stay relative to the working
    directory.
    """
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
    if path is None:
        install_functions(connection)
    session = DataSession(connection)
    if path is not None:
        session.execute(f"SET file_search_path = '{_quote(search_path_for(path))}'")
    try:
        yield session
    except duckdb.Error as exc:
        raise EngineError(f"The data engine refused the operation ({type(exc).__name__}).") from exc
    finally:
        session.close()


def search_path_for(database: Path) -> str:
    """The engine's ``file_search_path`` for a database file: the file's own folder."""
    return str(database.expanduser().resolve().parent)


def _quote(text: str) -> str:
    return text.replace("'", "''")


class EngineError(OpenHavenError):
    """The engine failed; the message names the kind of failure, never the data involved."""

    code = "engine_error"
    http_status = 500

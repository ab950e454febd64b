"""The record store: identifiable patient records in one DuckDB file, custodian-only.

Writes are all-or-nothing and idempotent: rows are keyed by their source id, and loading a
batch replaces rows with the same key, so re-ingesting a file changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa

from openhaven.engine import DataSession, open_session
from openhaven.records.schema import TABLES, Table


def create_schema(session: DataSession) -> None:
    """Create every record table that does not exist yet."""
    for spec in TABLES:
        columns = ", ".join(
            f"{c.name} {c.type.sql}{'' if c.nullable else ' NOT NULL'}" for c in spec.columns
        )
        session.execute(f"CREATE TABLE IF NOT EXISTS {spec.name} ({columns})")


@contextlib.contextmanager
def open_store(path: Path, *, read_only: bool = False) -> Iterator[DataSession]:
    """Open the record store at ``path``, creating its tables on first write access."""
    with open_session(path, read_only=read_only) as session:
        if not read_only:
            create_schema(session)
        yield session


def conform(spec: Table, data: pa.Table) -> pa.Table:
    """Reorder and cast ``data`` to the table's columns; missing nullable columns become null."""
    arrays = []
    for column in spec.columns:
        if column.name in data.column_names:
            arrays.append(data.column(column.name).cast(column.type.arrow))
        else:
            arrays.append(pa.nulls(data.num_rows, type=column.type.arrow))
    return pa.Table.from_arrays(arrays, schema=spec.arrow_schema())


def upsert(session: DataSession, spec: Table, data: pa.Table) -> int:
    """Replace rows whose key is in ``data`` and insert the rest; returns the rows written.

    Call inside ``session.transaction()`` when several tables must change together.
    """
    if data.num_rows == 0:
        return 0
    staged = conform(spec, data)
    view = f"_incoming_{spec.name}"
    session.register(view, staged)
    try:
        session.execute(
            f"DELETE FROM {spec.name} WHERE {spec.key} IN (SELECT {spec.key} FROM {view})"
        )
        session.execute(f"INSERT INTO {spec.name} SELECT DISTINCT ON ({spec.key}) * FROM {view}")
    finally:
        session.unregister(view)
    return int(staged.num_rows)


def upsert_all(session: DataSession, batches: Mapping[str, pa.Table]) -> dict[str, int]:
    """Load several tables in one transaction: either all of them change or none does."""
    from openhaven.records.schema import TABLES_BY_NAME

    written: dict[str, int] = {}  # rows written per table
    with session.transaction():
        for name, data in batches.items():
            written[name] = upsert(session, TABLES_BY_NAME[name], data)
    return written


def row_counts(session: DataSession) -> dict[str, int]:
    return {spec.name: int(session.scalar(f"SELECT count(*) FROM {spec.name}")) for spec in TABLES}

"""Run a compiled query against a project's extract, read-only.

The result is record-level-free (aggregates only) but *unchecked*: small counts are still in
it. Hence the ``_unsafe`` name: the only caller outside tests is ``openhaven.outputs``, which
applies disclosure control before anything leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.analysis.query_compiler import compile_query, describe_columns
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.engine import open_session


@dataclass(frozen=True)
class AggregateResult:
    """An unchecked aggregate table: the dimension columns, then ``value``."""

    dimensions: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def run_query_unsafe(extract: Path, query: AggregateQuery) -> AggregateResult:
    with open_session(extract, read_only=True) as session:
        available = describe_columns(
            (r["table_name"], r["column_name"])
            for r in session.query(
                "SELECT table_name, column_name FROM information_schema.columns"
            ).to_pylist()
        )
        sql, parameters = compile_query(query, available)
        table = session.query(sql, parameters)
    rows = tuple(tuple(row.values()) for row in table.to_pylist())
    return AggregateResult(dimensions=query.group_by, rows=rows)

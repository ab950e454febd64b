"""Run a compiled query against a project's extract, read-only.

The result is record-level-free (aggregates only) but *unchecked*: small counts are still in
it, and so is the evidence that output checking needs (people per cell, contributions, the
largest contributions). Hence the ``_unsafe`` name: the only caller outside tests is
``openhaven.outputs``, which applies disclosure control before anything leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openhaven.analysis.query_compiler import (
    EVIDENCE_COLUMNS,
    compile_query,
    describe_columns,
    result_dimensions,
)
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.engine import open_session


@dataclass(frozen=True)
class CellEvidence:
    """What stands behind one cell: never shown, only checked."""

    patients: int
    n_values: int
    total: float | None
    largest: tuple[float, ...]


@dataclass(frozen=True)
class AggregateResult:
    """An unchecked aggregate table: the dimension columns, then ``value``."""

    dimensions: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    measure: str = "count_patients"
    evidence: tuple[CellEvidence, ...] = field(default=(), compare=False)


def extract_columns(session: Any) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    """The extract's tables with their columns, and each column's engine type."""
    rows = session.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
    ).to_pylist()
    available = describe_columns((r["table_name"], r["column_name"]) for r in rows)
    types = {(r["table_name"], r["column_name"]): str(r["data_type"]) for r in rows}
    return available, types


def run_query_unsafe(extract: Path, query: AggregateQuery) -> AggregateResult:
    with open_session(extract, read_only=True) as session:
        available, types = extract_columns(session)
        sql, parameters = compile_query(query, available, types)
        table = session.query(sql, parameters)
    dimensions = result_dimensions(query)
    rows = []
    evidence = []
    for row in table.to_pylist():
        value = row["value"]
        if isinstance(value, float):
            value = round(value, 4)
        rows.append((*(row[d] for d in dimensions), value))
        evidence.append(CellEvidence(
            patients=int(row["patients"] or 0), n_values=int(row["n_values"] or 0),
            total=row["total"], largest=tuple(float(x) for x in (row["largest"] or ())),
        ))
    assert all(c in table.column_names for c in EVIDENCE_COLUMNS)
    return AggregateResult(dimensions=dimensions, rows=tuple(rows), measure=query.measure,
                           evidence=tuple(evidence))

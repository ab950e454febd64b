"""Crosstabs over a Parquet or CSV file, with every figure the disclosure checks need.

One columnar pass through the engine: GROUPING SETS give the body of the table and its
margins ("All", as pandas.crosstab(margins=True) lays them out) together, and the same
statement returns, per cell, the evidence for the checks — record count, sum, the largest
contributions (for the p% and (n,k) dominance rules), negatives, missing values, min and
max. The figures stay in memory here; only checked or controlled forms leave this package.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.core.errors import InvalidInput, Location
from openhaven.engine import open_session
from openhaven.engine.duckdb_session import EngineError
from openhaven.outputs.crosstab_sql import crosstab_sql

AGGREGATES = ("count", "mean", "sum", "median", "std", "min", "max")
MAGNITUDE_AGGREGATES = ("mean", "sum", "median", "std", "min", "max")
MARGIN = "All"
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL")


@dataclass(frozen=True)
class CellStats:
    """Everything known about one cell; magnitude fields are None without a values column."""

    count: int
    values: int = 0
    missing: int = 0
    negatives: int = 0
    total: float | None = None
    mean: float | None = None
    median: float | None = None
    std: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    largest: tuple[float, ...] = ()

    def aggregate(self, agg: str) -> int | float | None:
        """The published figure of this cell for ``agg``."""
        if agg == "count":
            return self.count
        field = {"sum": "total", "min": "minimum", "max": "maximum"}.get(agg, agg)
        value: float | None = getattr(self, field)
        if agg == "sum" and value is None and self.count == 0:
            return None
        return value


EMPTY_CELL = CellStats(count=0)


@dataclass(frozen=True)
class Crosstab:
    """A rows × cols table; the last row key and last column key are the margins."""

    source: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    values: str | None
    aggs: tuple[str, ...]
    row_keys: tuple[tuple[Any, ...], ...]
    col_keys: tuple[tuple[Any, ...], ...]
    cells: dict[tuple[tuple[Any, ...], tuple[Any, ...]], CellStats]
    dropped_missing_keys: int = 0
    #: the subgroup condition the table was built with, if any
    where: str | None = None

    @property
    def row_margin(self) -> tuple[Any, ...]:
        return margin_key(len(self.rows))

    @property
    def col_margin(self) -> tuple[Any, ...]:
        return margin_key(len(self.cols))

    def cell(self, row: tuple[Any, ...], col: tuple[Any, ...]) -> CellStats:
        return self.cells.get((row, col), EMPTY_CELL)

    def is_margin(self, row: tuple[Any, ...], col: tuple[Any, ...]) -> bool:
        return row == self.row_margin or col == self.col_margin


def margin_key(levels: int) -> tuple[Any, ...]:
    """The key of a margin, as pandas writes it: "All" then blanks for deeper levels."""
    return (MARGIN, *([""] * (levels - 1)))


def build_crosstab(
    source: Path,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    values: str | None = None,
    aggs: Sequence[str] = ("count",),
    top_n: int = 2,
    where: str | None = None,
) -> Crosstab:
    """Cross-tabulate ``source`` (Parquet or CSV) by ``rows`` × ``cols``.

    Records with a missing grouping value are left out, as pandas.crosstab does, and
    counted in ``dropped_missing_keys``. ``top_n`` is how many of the largest contributions
    per cell are kept for the dominance rules (at least 2: the p% rule needs two).
    ``where`` (an SQL condition on the file's columns) restricts the table to a subgroup.
    """
    aggs = tuple(dict.fromkeys(aggs))
    _validate_request(source, rows, cols, values, aggs)
    relation = _relation(source)
    columns = _describe(source, relation)
    if where is not None:
        relation = f"(SELECT * FROM {relation} WHERE {where})"
    for name in [*rows, *cols, *([values] if values else [])]:
        if name not in columns:
            raise InvalidInput(f"No column '{name}' in the data file",
                               Location(file=source.name, field=name))
    if values is not None and not columns[values].startswith(NUMERIC_TYPES):
        raise InvalidInput("The values column must be numeric",
                           Location(file=source.name, field=values))
    sql = crosstab_sql(relation, list(rows), list(cols), values, aggs, max(2, top_n))
    try:
        with open_session(None) as session:
            session.execute("SET enable_progress_bar = false")  # stdout carries JSON only
            table = session.query(sql)
            # A plain count is read from Parquet metadata: no second pass over the data.
            records = int(session.scalar(f"SELECT count(*) FROM {relation}"))
    except EngineError:
        if where is None:
            raise
        raise InvalidInput("The subgroup condition could not be applied to the data file",
                           Location(file=source.name, field="where")) from None
    grouped = table.to_pylist()
    kept = next((r["_count"] for r in grouped if r["_g_row"] and r["_g_col"]), 0)
    assembled = _assemble(source, tuple(rows), tuple(cols), values, aggs, grouped,
                          records - int(kept))
    return dataclasses.replace(assembled, where=where)


def _validate_request(source: Path, rows: Sequence[str], cols: Sequence[str],
                      values: str | None, aggs: Sequence[str]) -> None:
    if not rows or not cols:
        raise InvalidInput("A crosstab needs at least one row and one column variable",
                           Location(file=source.name))
    if len(set(rows) | set(cols)) != len(rows) + len(cols):
        raise InvalidInput("A variable cannot be both a row and a column, or appear twice",
                           Location(file=source.name))
    for agg in aggs:
        if agg not in AGGREGATES:
            raise InvalidInput(f"Unknown aggregate '{agg}'; choose from {', '.join(AGGREGATES)}",
                               Location(field="agg"))
        if agg != "count" and values is None:
            raise InvalidInput(f"The aggregate '{agg}' needs a values column",
                               Location(field="values"))
    if not source.is_file():
        raise InvalidInput("No such data file", Location(file=str(source)))


def _relation(source: Path) -> str:
    path = str(source).replace("'", "''")
    if source.suffix.lower() in (".csv", ".txt", ".tsv"):
        return f"read_csv('{path}', header = true)"
    return f"read_parquet('{path}')"


def _describe(source: Path, relation: str) -> dict[str, str]:
    try:
        with open_session(None) as session:
            described = session.query(f"DESCRIBE SELECT * FROM {relation}").to_pylist()
    except EngineError:
        kind = "CSV" if "read_csv" in relation else "Parquet"
        raise InvalidInput(f"The data file could not be read as {kind}",
                           Location(file=source.name)) from None
    return {str(r["column_name"]): str(r["column_type"]) for r in described}


def _assemble(source: Path, rows: tuple[str, ...], cols: tuple[str, ...], values: str | None,
              aggs: tuple[str, ...], records: list[dict[str, Any]], dropped: int) -> Crosstab:
    """Lay the grouped records out as a table.

    Each axis is the full product of its variables' observed levels (as ACRO forces
    pandas' dropna=False): a combination nobody falls into is a published zero, and a
    zero is exactly what the attribute-disclosure check must see.
    """
    row_margin, col_margin = margin_key(len(rows)), margin_key(len(cols))
    cells: dict[tuple[tuple[Any, ...], tuple[Any, ...]], CellStats] = {}
    row_levels: list[set[Any]] = [set() for _ in rows]
    col_levels: list[set[Any]] = [set() for _ in cols]
    for record in records:
        row = row_margin if record["_g_row"] else tuple(record[r] for r in rows)
        col = col_margin if record["_g_col"] else tuple(record[c] for c in cols)
        if not record["_g_row"] and not record["_g_col"]:
            for levels, level in zip(row_levels, row, strict=True):
                levels.add(level)
            for levels, level in zip(col_levels, col, strict=True):
                levels.add(level)
        cells[(row, col)] = _stats(record)
    return Crosstab(
        source=source.name, rows=rows, cols=cols, values=values, aggs=aggs,
        row_keys=(*_product(row_levels), row_margin),
        col_keys=(*_product(col_levels), col_margin),
        cells=cells, dropped_missing_keys=dropped,
    )


def _product(levels: list[set[Any]]) -> list[tuple[Any, ...]]:
    return list(itertools.product(*(sorted(v, key=_sort_level) for v in levels)))


def _stats(record: dict[str, Any]) -> CellStats:
    def number(key: str) -> float | None:
        value = record.get(key)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) \
            else float(value)

    return CellStats(
        count=int(record["_count"]),
        values=int(record.get("_values") or 0),
        missing=int(record.get("_missing") or 0),
        negatives=int(record.get("_negatives") or 0),
        total=number("_total"),
        mean=number("_mean"),
        median=number("_median"),
        std=number("_std"),
        minimum=number("_minimum"),
        maximum=number("_maximum"),
        largest=tuple(float(v) for v in record.get("_largest") or ()),
    )


def _sort_level(level: Any) -> tuple[int, Any]:
    """Sort numbers numerically and everything else as text, never mixing the two."""
    return (0, level) if isinstance(level, int | float) else (1, str(level))

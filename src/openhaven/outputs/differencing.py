"""Differencing: risks that appear only when several tables are released together.

Tables from one project describe the same people, so their published figures are linear
facts about one underlying partition of the records (every combination of the grouping
variables and of each table's subgroup condition). Two attacks are run on that partition:

* **nested differences** — when one published cell's population strictly contains another's
  (the same cell over all patients and over all-but-a-group; a column total and another
  table's row total), their difference is an exact count; it is flagged when it isolates
  fewer than the threshold (but more than none);
* **linked-table intervals** — every sensitive hidden cell is attacked by linear programming (HiGHS)
  with the figures of *all* the tables as constraints; a cell safe within its own table but
  pinned down by the others is flagged.

The attacker is given the partition's non-empty combinations, which is conservative.
Findings name tables and cells, never a count below the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog

from openhaven.core.errors import InvalidInput, Location
from openhaven.engine import open_session
from openhaven.engine.duckdb_session import EngineError
from openhaven.outputs.controls import ControlledTable
from openhaven.outputs.crosstab import MARGIN
from openhaven.outputs.interval_attack import Interval, ProtectionRule

MAX_PAIRS = 5_000_000


@dataclass(frozen=True)
class ReleasedTable:
    """A count table as released: its definition (grouping, subgroup) and published figures."""

    name: str
    table: ControlledTable
    where: str | None = None


@dataclass(frozen=True)
class DifferencingRisk:
    kind: str
    cells: tuple[dict[str, Any], ...]
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cells": list(self.cells), "reason": self.reason,
                **self.details}


@dataclass(frozen=True)
class _PublishedCell:
    table: str
    position: tuple[int, int]
    row: tuple[Any, ...]
    col: tuple[Any, ...]
    members: int  # bitmask over the partition
    value: float | None
    true_value: float
    sensitive: bool

    def describe(self) -> dict[str, Any]:
        return {"table": self.table, "row": list(self.row), "col": list(self.col),
                "position": list(self.position)}


def find_differencing_risks(
    data: str | Path,
    tables: Sequence[ReleasedTable],
    *,
    threshold: int = 10,
    protection: ProtectionRule | None = None,
) -> list[DifferencingRisk]:
    """Report every differencing risk among ``tables`` (count tables built from ``data``)."""
    rule = protection or ProtectionRule(absolute=threshold)
    partition, counts = _partition(Path(data), tables)
    cells = [cell for k, released in enumerate(tables)
             for cell in _cells(released, f"_in_{k}", partition, counts)]
    risks = _nested_differences(cells, tables, threshold)
    risks += _linked_intervals(cells, counts, rule)
    return risks


def _partition(data: Path, tables: Sequence[ReleasedTable]) -> tuple[list[dict[str, Any]],
                                                                     np.ndarray]:
    variables = list(dict.fromkeys(v for t in tables for v in (*t.table.rows, *t.table.cols)))
    flags = [f"({t.where}) AS _in_{k}" if t.where else f"TRUE AS _in_{k}"
             for k, t in enumerate(tables)]
    names = ", ".join('"' + v.replace('"', '""') + '"' for v in variables)
    path = str(data).replace("'", "''")
    relation = (f"read_csv('{path}', header = true)" if data.suffix.lower() == ".csv"
                else f"read_parquet('{path}')")
    sql = (f"SELECT {names}, {', '.join(flags)}, count(*) AS _n FROM {relation} "
           f"GROUP BY ALL")
    if not data.is_file():
        raise InvalidInput("No such data file", Location(file=str(data)))
    try:
        with open_session(None) as session:
            session.execute("SET enable_progress_bar = false")
            rows = session.query(sql).to_pylist()
    except EngineError:
        raise InvalidInput("The tables' variables or subgroup conditions do not fit the data "
                           "file", Location(file=data.name)) from None
    return rows, np.array([float(r["_n"]) for r in rows])


def _cells(released: ReleasedTable, flag: str, partition: list[dict[str, Any]],
           counts: np.ndarray) -> list[_PublishedCell]:
    table = released.table
    primary = {tuple(c) for control in table.controls
               if control.get("control") == "primary-suppression" and control.get("agg") == "count"
               for c in control["cells"]}
    cells = []
    for i, row in enumerate(table.row_keys):
        for j, col in enumerate(table.col_keys):
            members = 0
            total = 0.0
            for p, record in enumerate(partition):
                if record[flag] and _matches(record, table.rows, row) \
                        and _matches(record, table.cols, col):
                    members |= 1 << p
                    total += counts[p]
            value = table.value(i, j, "count")
            # Without a record of primary suppression, every hidden cell counts as sensitive.
            sensitive = value is None and (not primary or (i, j) in primary)
            cells.append(_PublishedCell(released.name, (i, j), row, col, members,
                                        None if value is None else float(value), total,
                                        sensitive))
    return cells


def _matches(record: dict[str, Any], names: tuple[str, ...], key: tuple[Any, ...]) -> bool:
    if key and key[0] == MARGIN and all(k == "" for k in key[1:]):
        return all(record[n] is not None for n in names)
    return all(record[n] == k for n, k in zip(names, key, strict=True))


def _nested_differences(cells: list[_PublishedCell], tables: Sequence[ReleasedTable],
                        threshold: int) -> list[DifferencingRisk]:
    rounded = {t.name for t in tables
               if any(c.get("control") == "rounding" for c in t.table.controls)}
    published = [c for c in cells if c.value is not None and c.table not in rounded]
    if len(published) ** 2 > MAX_PAIRS:
        return [DifferencingRisk("not-checked", (), "too many published cells to compare "
                                 "pairwise; review for differencing by hand")]
    risks = []
    for outer in published:
        for inner in published:
            if inner.table == outer.table or inner.members == outer.members:
                continue
            if inner.members & ~outer.members:
                continue
            assert outer.value is not None and inner.value is not None
            difference = outer.value - inner.value
            if 0 < difference < threshold:
                risks.append(DifferencingRisk(
                    "difference", (outer.describe(), inner.describe()),
                    f"subtracting the second cell from the first isolates fewer than "
                    f"{threshold} records"))
    return risks


def _linked_intervals(cells: list[_PublishedCell], counts: np.ndarray,
                      rule: ProtectionRule) -> list[DifferencingRisk]:
    hidden = [c for c in cells if c.value is None]
    if not hidden:
        return []
    size = len(counts)

    def vector(members: int) -> np.ndarray:
        return np.array([(members >> p) & 1 for p in range(size)], dtype=float)

    published = [c for c in cells if c.value is not None]
    a_eq = np.array([vector(c.members) for c in published]) if published else None
    b_eq = np.array([c.value for c in published], dtype=float) if published else None
    risks = []
    for cell in (c for c in hidden if c.sensitive):
        objective = vector(cell.members)
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        interval = Interval(float(low.fun) if low.status == 0 else -math.inf,
                            float(-high.fun) if high.status == 0 else math.inf)
        if not rule.is_protected(cell.true_value, interval):
            risks.append(DifferencingRisk(
                "linked-tables", (cell.describe(),),
                "this hidden cell can be narrowed below its protection range from the "
                "tables released together",
                {"exact": interval.exact}))
    return risks

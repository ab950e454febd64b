"""Verify a table's record of controls by recomputing it, never by trusting it.

A researcher's helper writes, beside the table, what it did: which cells it hid and why,
the rounding rule, the attack's verdict on the suppression pattern. The airlock re-derives
every claim it can from the published table alone:

* every cell the record says was hidden (primary or secondary suppression) is hidden;
* every published count is at or above the haven's threshold (zeros aside), unless the
  table is rounded or perturbed (then the figure is not the true count);
* a magnitude (mean, sum, …) is not published for a cell whose count is hidden or below the
  threshold;
* rounding: every published count is a multiple of the base (``base``) or of the form
  6k − 3 (``midpoint6``); controlled rounding: multiples of the base whose rows and columns
  add up to their margins;
* suppression: every sensitive hidden cell is attacked by linear programming over the
  published figures (``release_differencing.exposed_hidden_cells``) and must keep a feasible
  range at least the protection wide.

The result is a check result like any other: ``pass`` or ``fail``, with findings naming the
control and the cell positions, never a value.
"""

from __future__ import annotations

from typing import Any

from openhaven.outputs.comparable_tables import comparable_table, tolerance
from openhaven.outputs.controls import ControlledTable
from openhaven.outputs.release_differencing import exposed_hidden_cells

MAGNITUDES = ("mean", "sum", "median", "std", "min", "max")


def verify_controls(table: ControlledTable, *, threshold: int,
                    protection: float | None = None) -> dict[str, Any]:
    findings: list[dict[str, Any]] = []

    def flag(control: str, cells: list[list[int]], reason: str) -> None:
        if cells:
            findings.append({"control": control, "cells": sorted(cells), "reason": reason})

    for record in table.controls:
        kind = record.get("control")
        agg = str(record.get("agg", "count"))
        if kind in ("primary-suppression", "secondary-suppression") and agg in table.aggs:
            shown = [list(c) for c in record.get("cells", [])
                     if _value(table, c, agg) is not None]
            flag(str(kind), shown, "the record says these cells were hidden, but they are "
                 "published")
        elif kind == "rounding":
            for rounded in record.get("aggs", ["count"]):
                if rounded in table.aggs:
                    flag("rounding", _not_rounded(table, rounded, str(record.get("method")),
                                                  int(record.get("base", 5))),
                         "these figures are not rounded as the record says")
        elif kind == "controlled-rounding":
            flag("controlled-rounding", _not_rounded(table, "count", "base",
                                                     int(record.get("base", 5))),
                 "these figures are not multiples of the base")
            flag("controlled-rounding", _not_additive(table),
                 "these rows or columns do not add up to their margins")
    if "count" in table.aggs:
        exact = tolerance(table) == 0
        small = _small_counts(table, threshold) if exact else []
        flag("threshold", small, f"published counts below {threshold} (recomputed)")
        for agg in (a for a in table.aggs if a in MAGNITUDES):
            flag("threshold", _magnitudes_on_small_cells(table, agg, threshold, exact),
                 f"a {agg} is published for a cell whose count is hidden or below "
                 f"{threshold}")
        if exact:
            attacked = exposed_hidden_cells(comparable_table(table, label="table"),
                                            protection=float(protection or threshold))
            flag("suppression-attack", [r.cells[0]["position"] for r in attacked],
                 "these hidden cells can be narrowed below their protection range from the "
                 "table's own published figures")
    return {"result": "fail" if findings else "pass", "threshold": threshold,
            "recomputed": True, "controls_recorded": [c.get("control") for c in table.controls],
            "findings": findings}


def _value(table: ControlledTable, cell: Any, agg: str) -> int | float | None:
    try:
        return table.value(int(cell[0]), int(cell[1]), agg)
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _positions(table: ControlledTable) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(table.row_keys)) for j in range(len(table.col_keys))]


def _not_rounded(table: ControlledTable, agg: str, method: str, base: int) -> list[list[int]]:
    wrong = []
    for i, j in _positions(table):
        value = table.value(i, j, agg)
        if value is None:
            continue
        if method == "midpoint6":
            ok = value == 0 or (float(value).is_integer() and int(value) % 6 == 3)
        else:
            ok = base > 0 and float(value).is_integer() and int(value) % base == 0
        if not ok:
            wrong.append([i, j])
    return wrong


def _not_additive(table: ControlledTable) -> list[list[int]]:
    matrix = table.matrix("count")
    last_row, last_col = len(matrix) - 1, len(matrix[0]) - 1 if matrix else 0
    wrong = []
    for i, line in enumerate(matrix):
        if None not in line and sum(float(v or 0) for v in line[:-1]) != float(line[-1] or 0):
            wrong.append([i, last_col])
    for j in range(last_col + 1):
        column = [matrix[i][j] for i in range(last_row + 1)]
        if None not in column and sum(float(v or 0) for v in column[:-1]) != float(
                column[-1] or 0):
            wrong.append([last_row, j])
    return wrong


def _small_counts(table: ControlledTable, threshold: int) -> list[list[int]]:
    return [[i, j] for i, j in _positions(table)
            if (v := table.value(i, j, "count")) is not None and 0 < float(v) < threshold]


def _magnitudes_on_small_cells(table: ControlledTable, agg: str, threshold: int,
                               exact: bool) -> list[list[int]]:
    primary = {tuple(c) for record in table.controls
               if record.get("control") == "primary-suppression"
               and record.get("agg") == "count" for c in record.get("cells", [])}
    found = []
    for i, j in _positions(table):
        if table.value(i, j, agg) is None:
            continue
        count = table.value(i, j, "count")
        hidden_for_itself = count is None and (not primary or (i, j) in primary)
        if hidden_for_itself or (count is not None and exact and 0 < float(count) < threshold):
            found.append([i, j])
    return found

"""Tables kept in a comparable form: published cells and margins with their definitions.

Differencing at release time needs every table a project has released, but never its
records. A ``ComparableTable`` keeps what was published — each cell's grouping values
(margins leave the variable open), its published count or None when hidden, whether it was
hidden for its own sake (primary suppression) — together with the table's definition: the
population it counts (``universe``, e.g. ``records``), the subgroup condition (``where``),
whether any record was left out for a missing grouping value (``complete``) and how far a
published figure may sit from the truth (``tolerance``: 0 for exact counts; rounding and
perturbation widen it).

Researchers' jobs write such tables with ``helpers.save_table``: the controlled table, its
control record and its definition as one JSON document (``FORMAT``). ``read_table_record``
reads it back, refusing anything malformed with the field named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openhaven.core.errors import InvalidInput, Location
from openhaven.outputs.controls import ControlledTable
from openhaven.outputs.crosstab import MARGIN

FORMAT = "openhaven-table/1"
DEFAULT_UNIVERSE = "records"


@dataclass(frozen=True)
class TableCell:
    position: tuple[int, int]
    row: tuple[str, ...]
    col: tuple[str, ...]
    fixed: tuple[tuple[str, str], ...]  # (variable, value) for each variable not at a margin
    value: float | None
    sensitive: bool

    def describe(self, table: str) -> dict[str, Any]:
        return {"table": table, "row": list(self.row), "col": list(self.col),
                "position": list(self.position)}


@dataclass(frozen=True)
class ComparableTable:
    label: str
    universe: str
    where: str | None
    variables: tuple[str, ...]
    complete: bool
    tolerance: float
    cells: tuple[TableCell, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "universe": self.universe, "where": self.where, "variables": list(self.variables),
            "complete": self.complete, "tolerance": self.tolerance,
            "cells": [{"position": list(c.position), "row": list(c.row), "col": list(c.col),
                       "fixed": [list(f) for f in c.fixed], "value": c.value,
                       "sensitive": c.sensitive} for c in self.cells],
        }

    @classmethod
    def from_dict(cls, label: str, data: Mapping[str, Any]) -> ComparableTable:
        cells = tuple(
            TableCell((int(c["position"][0]), int(c["position"][1])),
                      tuple(str(v) for v in c["row"]), tuple(str(v) for v in c["col"]),
                      tuple((str(k), str(v)) for k, v in c["fixed"]),
                      None if c["value"] is None else float(c["value"]), bool(c["sensitive"]))
            for c in data["cells"])
        return cls(label, str(data["universe"]), data.get("where"),
                   tuple(str(v) for v in data["variables"]), bool(data["complete"]),
                   float(data["tolerance"]), cells)


def comparable_table(table: ControlledTable, *, label: str,
                     universe: str = DEFAULT_UNIVERSE) -> ComparableTable:
    """The count table of ``table`` in comparable form (a table without counts has no cells)."""
    cells: list[TableCell] = []
    if "count" in table.aggs:
        primary = {tuple(c) for control in table.controls
                   if control.get("control") == "primary-suppression"
                   and control.get("agg") == "count" for c in control.get("cells", [])}
        for i, row in enumerate(table.row_keys):
            for j, col in enumerate(table.col_keys):
                value = table.value(i, j, "count")
                fixed = (*_fixed(table.rows, row), *_fixed(table.cols, col))
                # Without a record of primary suppression, every hidden cell is sensitive.
                sensitive = value is None and (not primary or (i, j) in primary)
                cells.append(TableCell((i, j), tuple(str(v) for v in row),
                                       tuple(str(v) for v in col), fixed,
                                       None if value is None else float(value), sensitive))
    return ComparableTable(label, universe, table.where, (*table.rows, *table.cols),
                           table.dropped_missing_keys == 0, tolerance(table), tuple(cells))


def tolerance(table: ControlledTable) -> float:
    """How far a published count may be from the true one, from the table's control record."""
    widest = 0.0
    for control in table.controls:
        if "count" not in control.get("aggs", ["count"]):
            continue
        kind = control.get("control")
        base = float(control.get("base", 5))
        if kind == "rounding":
            widest = max(widest, 3.0 if control.get("method") == "midpoint6" else base / 2)
        elif kind == "controlled-rounding":
            widest = max(widest, base)
        elif kind == "cell-key":
            widest = max(widest, float(control.get("max_perturbation", 2)))
    return widest


def _fixed(names: tuple[str, ...], key: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    if key and key[0] == MARGIN and all(k == "" for k in key[1:]):
        return ()
    return tuple((name, str(value)) for name, value in zip(names, key, strict=True))


# -- the JSON document a job writes --------------------------------------------------------

def table_record(table: ControlledTable, *, universe: str = DEFAULT_UNIVERSE) -> dict[str, Any]:
    """The document ``helpers.save_table`` writes: the released table and its definition."""
    return {"format": FORMAT, "universe": universe, "where": table.where,
            "dropped_missing_keys": table.dropped_missing_keys, **table.as_dict()}


def is_table_record(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def read_table_record(document: Mapping[str, Any], file: str) -> tuple[ControlledTable, str]:
    """The controlled table and universe a record describes; InvalidInput when malformed."""
    def bad(field: str) -> InvalidInput:
        return InvalidInput(f"{file} is not a valid {FORMAT} document", Location(
            file=file, field=field))

    try:
        rows = tuple(str(v) for v in document["rows"])
        cols = tuple(str(v) for v in document["cols"])
        row_keys = tuple(tuple(k) for k in document["row_keys"])
        col_keys = tuple(tuple(k) for k in document["col_keys"])
        tables = document["tables"]
        controls = list(document.get("controls") or [])
    except (KeyError, TypeError):
        raise bad("rows") from None
    if not isinstance(tables, dict) or not all(isinstance(c, dict) for c in controls):
        raise bad("tables")
    if any(len(k) != len(rows) for k in row_keys) or any(len(k) != len(cols) for k in col_keys):
        raise bad("row_keys")
    values: dict[tuple[int, int, str], int | float | None] = {}
    for agg, matrix in tables.items():
        if not isinstance(matrix, list) or len(matrix) != len(row_keys):
            raise bad(f"tables.{agg}")
        for i, line in enumerate(matrix):
            if not isinstance(line, list) or len(line) != len(col_keys):
                raise bad(f"tables.{agg}")
            for j, value in enumerate(line):
                if value is not None and (isinstance(value, bool)
                                          or not isinstance(value, int | float)):
                    raise bad(f"tables.{agg}")
                values[(i, j, str(agg))] = value
    where = document.get("where")
    dropped = document.get("dropped_missing_keys")
    universe = document.get("universe", DEFAULT_UNIVERSE)
    if where is not None and not isinstance(where, str):
        raise bad("where")
    if dropped is not None and (isinstance(dropped, bool) or not isinstance(dropped, int)):
        raise bad("dropped_missing_keys")
    if not isinstance(universe, str) or not universe:
        raise bad("universe")
    table = ControlledTable(rows, cols, row_keys, col_keys, tuple(str(a) for a in tables),
                            values, controls, where=where, dropped_missing_keys=dropped)
    return table, universe

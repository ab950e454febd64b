"""Apply a profile's controls to a checked crosstab: suppression, then rounding.

The result carries a machine-readable record of every control applied (which cells were
hidden and why, the attack's verdict on the pattern, the rounding rule), so an output
checker verifies what was done instead of inferring it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from openhaven.outputs.check_registry import FAIL
from openhaven.outputs.interval_attack import Cell, ProtectionRule
from openhaven.outputs.profiles import DisclosureProfile
from openhaven.outputs.rounding import round_count
from openhaven.outputs.secondary_suppression import protect
from openhaven.outputs.table_checks import CheckedCrosstab

ADDITIVE_AGGREGATES = ("count", "sum")


@dataclass(frozen=True)
class ControlledTable:
    """A crosstab as it may be released: hidden cells are None; ``controls`` says why."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    row_keys: tuple[tuple[Any, ...], ...]
    col_keys: tuple[tuple[Any, ...], ...]
    aggs: tuple[str, ...]
    values: dict[tuple[int, int, str], int | float | None]
    controls: list[dict[str, Any]] = field(default_factory=list)
    #: the subgroup condition the table was built with, and how many records were left out
    #: for a missing grouping value (None when unknown): what differencing needs to relate it
    #: to other tables.
    where: str | None = None
    dropped_missing_keys: int | None = None

    def value(self, i: int, j: int, agg: str = "count") -> int | float | None:
        return self.values[(i, j, agg)]

    def matrix(self, agg: str = "count") -> list[list[int | float | None]]:
        return [[self.values[(i, j, agg)] for j in range(len(self.col_keys))]
                for i in range(len(self.row_keys))]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": list(self.rows),
            "cols": list(self.cols),
            "row_keys": [list(k) for k in self.row_keys],
            "col_keys": [list(k) for k in self.col_keys],
            "tables": {agg: self.matrix(agg) for agg in self.aggs},
            "controls": self.controls,
        }


def suppress_checked(checked: CheckedCrosstab, profile: DisclosureProfile) -> ControlledTable:
    """Hide every failing cell, then (for additive statistics) enough others to protect them."""
    table = checked.table
    values: dict[tuple[int, int, str], int | float | None] = {
        (*c.position, c.agg): c.value for c in checked.cells}
    controls: list[dict[str, Any]] = []
    for agg in table.aggs:
        primary = {c.position for c in checked.cells if c.agg == agg and c.verdict == FAIL}
        if not primary:
            continue
        failed_checks = sorted({name for c in checked.cells if c.agg == agg
                                and c.position in primary
                                for name, outcome in c.checks.items() if outcome == FAIL})
        controls.append({"control": "primary-suppression", "agg": agg,
                         "cells": sorted([list(p) for p in primary]),
                         "because": failed_checks})
        hidden: set[Cell] = set(primary)
        if agg in ADDITIVE_AGGREGATES and profile.suppression.get("secondary", True):
            hidden |= _secondary(checked, profile, agg, primary, controls)
        for i, j in hidden:
            values[(i, j, agg)] = None
    return ControlledTable(table.rows, table.cols, table.row_keys, table.col_keys, table.aggs,
                           values, controls, where=table.where,
                           dropped_missing_keys=table.dropped_missing_keys)


def round_controlled(table: ControlledTable, method: str, base: int = 5,
                     aggs: tuple[str, ...] = ("count",)) -> ControlledTable:
    """Round every published count (margins included, from their true totals)."""
    if method == "none":
        return table
    values = dict(table.values)
    rounded = [agg for agg in aggs if agg in table.aggs]
    for (i, j, agg), value in table.values.items():
        if agg in rounded and value is not None:
            values[(i, j, agg)] = round_count(value, method, base)
    record: dict[str, Any] = {"control": "rounding", "method": method, "aggs": rounded,
              "applies_to": "every published cell and margin, from true values"}
    if method == "base":
        record["base"] = base
    return replace(table, values=values, controls=[*table.controls, record])


def apply_profile_controls(checked: CheckedCrosstab,
                           profile: DisclosureProfile) -> ControlledTable:
    """Suppression, then the profile's rounding: the table as the profile would release it."""
    controlled = suppress_checked(checked, profile)
    method = str(profile.rounding.get("method", "none"))
    return round_controlled(controlled, method, int(profile.rounding.get("base", 5)))


def _secondary(checked: CheckedCrosstab, profile: DisclosureProfile, agg: str,
               primary: set[Cell], controls: list[dict[str, Any]]) -> set[Cell]:
    table = checked.table
    matrix = [[float(table.cell(r, c).aggregate(agg) or 0.0) for c in table.col_keys]
              for r in table.row_keys]
    nonnegative = all(s.negatives == 0 for s in table.cells.values())
    rule = ProtectionRule(
        absolute=float(profile.suppression.get("protection_absolute", profile.threshold))
        if agg == "count" else 0.0,
        relative=float(profile.suppression.get("protection_relative", 0.10)),
    )
    pattern = protect(matrix, primary, rule, nonnegative=nonnegative)
    controls.append({
        "control": "secondary-suppression", "agg": agg,
        "cells": sorted([list(p) for p in pattern.secondary]),
        "verified_by": "linear-programming attack (HiGHS) on every published figure",
        "protection": {"absolute": rule.absolute, "relative": rule.relative},
        "protected": pattern.protected,
        "unprotected_cells": sorted([list(p) for p in pattern.unprotected]),
    })
    return set(pattern.hidden)

"""Perturbative controls, registered beside suppression and rounding.

Suppression hides risky cells; perturbation publishes every cell, slightly changed, in a way
that keeps the changes from being undone. Two built-ins register here the way a third
party's control would:

* ``controlled-rounding`` works on a released table (``ControlledTable``): counts and margins
  rounded to a base so that the table still adds up (``perturbation_rounding``);
* ``cell-key`` works on records: counts perturbed by the ONS cell key method, the same noise
  for the same cell every time (``perturbation_cell_key``).

Each control records what it did in the table's ``controls`` list, so an output checker
reads the method and its parameters instead of inferring them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from openhaven.core.errors import InvalidInput, Location
from openhaven.outputs.controls import ControlledTable
from openhaven.outputs.perturbation_cell_key import (
    PerturbationTable,
    perturb_crosstab,
    record_key,
)
from openhaven.outputs.perturbation_rounding import controlled_round


@dataclass(frozen=True)
class PerturbativeControl:
    """A named control; ``works_on`` says whether it takes a released table or records."""

    name: str
    description: str
    works_on: str  # "table" or "records"
    apply: Callable[..., Any]


_CONTROLS: dict[str, PerturbativeControl] = {}


def register_perturbative_control(control: PerturbativeControl) -> PerturbativeControl:
    if control.name in _CONTROLS and _CONTROLS[control.name] != control:
        raise ValueError(f"A control named {control.name!r} is already registered")
    _CONTROLS[control.name] = control
    return control


def perturbative_control(name: str) -> PerturbativeControl:
    try:
        return _CONTROLS[name]
    except KeyError:
        known = ", ".join(sorted(_CONTROLS))
        raise InvalidInput(f"No control named {name}; known: {known}",
                           Location(field="control")) from None


def perturbative_controls() -> dict[str, PerturbativeControl]:
    return dict(_CONTROLS)


def round_table_controlled(table: ControlledTable,
                           settings: Mapping[str, Any] | None = None) -> ControlledTable:
    """Controlled rounding of a table's counts; its last row and column are the margins.

    Refuses a table with suppressed counts: controlled rounding replaces suppression, it does
    not follow it (rounding around a hole would publish the hole's bounds).
    """
    base = int((settings or {}).get("base", 5))
    matrix = table.matrix("count")
    interior = [row[:-1] for row in matrix[:-1]]
    if any(value is None for row in matrix for value in row):
        raise InvalidInput("controlled rounding needs the whole table: it replaces "
                           "suppression rather than following it", Location(field="count"))
    rounded = controlled_round([[int(v or 0) for v in row] for row in interior], base)
    values = dict(table.values)
    last_row, last_col = len(table.row_keys) - 1, len(table.col_keys) - 1
    for i, row in enumerate(rounded.cells):
        for j, value in enumerate(row):
            values[(i, j, "count")] = value
        values[(i, last_col, "count")] = rounded.row_totals[i]
    for j, value in enumerate(rounded.col_totals):
        values[(last_row, j, "count")] = value
    values[(last_row, last_col, "count")] = rounded.total
    record = {"control": "controlled-rounding", "base": base, "aggs": ["count"],
              "applies_to": "every cell and margin; rows and columns add up to their totals",
              "solver": "HiGHS (scipy.optimize.milp)"}
    return replace(table, values=values, controls=[*table.controls, record])


def cell_key_counts(frame: pl.DataFrame, row: str, col: str, *, id_column: str, secret: bytes,
                    ptable: PerturbationTable | None = None) -> dict[str, Any]:
    """Count ``frame`` by ``row`` × ``col`` with cell-key noise; record ids never leave here."""
    for name, option in ((row, "row"), (col, "col"), (id_column, "id_column")):
        if name not in frame.columns:
            raise InvalidInput(f"No column {name} in the data", Location(field=option))
    table = ptable or PerturbationTable()
    records = ((r, c, record_key(secret, str(i))) for r, c, i in
               frame.select(row, col, id_column).iter_rows())
    perturbed = perturb_crosstab(records, table)
    return {
        "rows": [str(label) for label in perturbed.row_labels],
        "cols": [str(label) for label in perturbed.col_labels],
        "counts": [[perturbed.counts[(r, c)] for c in perturbed.col_labels]
                   for r in perturbed.row_labels],
        "controls": [{"control": "cell-key", "max_perturbation": table.max_perturbation,
                      "variance": table.variance,
                      "applies_to": "every cell and margin, each with its own cell key"}],
    }



register_perturbative_control(PerturbativeControl(
    "controlled-rounding",
    "Round counts and margins to a base so that the table still adds up (HiGHS).",
    "table", round_table_controlled))
register_perturbative_control(PerturbativeControl(
    "cell-key",
    "ONS cell key method: record keys, cell key = sum mod 1, p-table perturbation.",
    "records", cell_key_counts))

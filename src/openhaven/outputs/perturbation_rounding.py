"""Controlled rounding: every figure a multiple of the base, and the table still adds up.

Conventional rounding rounds each cell and each total on its own, so rounded cells need not
sum to the rounded total — a reader can see the table is inconsistent, and sometimes undo
it. Controlled rounding chooses, for every cell *and* every margin, whether to round down or
up to the neighbouring multiple of the base so that each row and column of rounded cells sums
exactly to its rounded total. A value that is already a multiple stays as it is (so zeros
stay zero). Among all such choices it takes the one closest to the true table.

The choice is a small integer programme — one 0/1 variable per figure, one equality per row
and column — solved with HiGHS through ``scipy.optimize.milp``. For two-way tables a
solution always exists (Cox, 1987), so failure to find one is a bug, not bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from openhaven.core.errors import InvalidInput, Location


@dataclass(frozen=True)
class ControlledRounding:
    """A rounded table with its rounded margins; ``distance`` is Σ|rounded − true|."""

    base: int
    cells: list[list[int]]
    row_totals: list[int]
    col_totals: list[int]
    total: int
    distance: int

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "cells": self.cells, "row_totals": self.row_totals,
                "col_totals": self.col_totals, "total": self.total}


def controlled_round(counts: Sequence[Sequence[int]], base: int = 5) -> ControlledRounding:
    """Round a table of non-negative counts to ``base`` so that it stays additive."""
    table = _validated(counts, base)
    rows, cols = table.shape
    row_sums, col_sums, grand = table.sum(axis=1), table.sum(axis=0), int(table.sum())
    # Every figure in one vector: cells (row-major), then row totals, column totals, total.
    true = np.concatenate([table.ravel(), row_sums, col_sums, [grand]]).astype(np.int64)
    low = (true // base) * base
    exact = true == low
    cell, row_total = np.arange(rows * cols).reshape(rows, cols), rows * cols + np.arange(rows)
    col_total, grand_index = rows * cols + rows + np.arange(cols), rows * cols + rows + cols
    equalities: list[tuple[list[int], int]] = []  # (cell indices, total index)
    equalities += [(list(cell[i]), int(row_total[i])) for i in range(rows)]
    equalities += [(list(cell[:, j]), int(col_total[j])) for j in range(cols)]
    equalities += [(list(row_total), grand_index), (list(col_total), grand_index)]
    matrix = np.zeros((len(equalities), true.size))
    target = np.zeros(len(equalities))
    for k, (members, total) in enumerate(equalities):
        matrix[k, members] = 1.0
        matrix[k, total] = -1.0
        # Σ(low + base·up) over members = low + base·up of the total, divided by base.
        target[k] = (low[total] - low[members].sum()) / base
    cost = (2 * low + base - 2 * true).astype(float)  # extra distance when rounding up
    result = milp(cost, integrality=np.ones(true.size),
                  bounds=Bounds(np.zeros(true.size), np.where(exact, 0.0, 1.0)),
                  constraints=LinearConstraint(matrix, target, target))
    if result.x is None:  # pragma: no cover - a 2-way table always has a solution
        raise RuntimeError(f"controlled rounding found no solution: {result.message}")
    rounded = low + base * np.rint(result.x).astype(np.int64)
    figures = [int(v) for v in rounded]
    return ControlledRounding(
        base=base,
        cells=[figures[i * cols:(i + 1) * cols] for i in range(rows)],
        row_totals=figures[rows * cols:rows * cols + rows],
        col_totals=figures[rows * cols + rows:grand_index],
        total=figures[grand_index],
        distance=int(np.abs(rounded - true).sum()),
    )


def _validated(counts: Sequence[Sequence[int]], base: int) -> np.ndarray[Any, Any]:
    if base < 1:
        raise InvalidInput("the rounding base must be a positive whole number",
                           Location(field="base"))
    if not counts or not counts[0]:
        raise InvalidInput("controlled rounding needs at least one cell", Location(field="cells"))
    width = len(counts[0])
    for line, row in enumerate(counts, start=1):
        if len(row) != width:
            raise InvalidInput("every row needs the same number of cells",
                               Location(line=line, field="cells"))
        for value in row:
            if isinstance(value, bool) or not float(value).is_integer() or value < 0:
                raise InvalidInput("controlled rounding is for non-negative whole counts",
                                   Location(line=line, field="cells"))
    return np.asarray(counts, dtype=np.int64)

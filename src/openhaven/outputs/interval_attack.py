"""The attacker's view of a suppressed table: how tightly can each hidden cell be pinned?

Given a two-way table with its margins (row totals in the last column, column totals in the
last row) and a set of hidden cells, each hidden cell's feasible interval is found by
linear programming with SciPy's HiGHS: minimise and maximise the cell subject to every
published figure, every additivity relation and non-negativity. A suppression pattern is
safe only when each sensitive cell's interval covers its protection range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

Cell = tuple[int, int]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def exact(self) -> bool:
        return math.isclose(self.low, self.high, abs_tol=1e-6)


@dataclass(frozen=True)
class ProtectionRule:
    """A sensitive cell must be able to lie anywhere in value ± max(absolute, relative·value),
    the lower end clipped at zero for non-negative tables."""

    absolute: float = 10.0
    relative: float = 0.10

    def margin(self, value: float) -> float:
        return max(self.absolute, self.relative * abs(value))

    def is_protected(self, value: float, interval: Interval, *, nonnegative: bool = True) -> bool:
        need = self.margin(value)
        low_needed = value - need
        if nonnegative:
            low_needed = max(0.0, low_needed)
        return interval.low <= low_needed + 1e-6 and interval.high >= value + need - 1e-6


def table_relations(shape: tuple[int, int]) -> list[list[Cell]]:
    """Additivity of a table with margins: each line's body cells sum to its margin cell.

    Returned as lists of cells whose first members add up to the last one.
    """
    n_rows, n_cols = shape
    relations = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    relations += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return relations


def feasible_intervals(
    table: Sequence[Sequence[float]] | np.ndarray,
    hidden: Iterable[Cell],
    *,
    nonnegative: bool = True,
    relations: Sequence[Sequence[Cell]] | None = None,
) -> dict[Cell, Interval]:
    """The interval each hidden cell can take given everything else that is published."""
    values = np.asarray(table, dtype=float)
    hidden_cells = sorted(set(hidden))
    if not hidden_cells:
        return {}
    index = {cell: k for k, cell in enumerate(hidden_cells)}
    rows, rhs = [], []
    for relation in relations if relations is not None else table_relations(values.shape):
        *parts, total = relation
        coefficients = np.zeros(len(hidden_cells))
        constant = 0.0
        for cell, sign in [*((p, 1.0) for p in parts), (total, -1.0)]:
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant += sign * values[cell]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-constant)
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    bound: tuple[float | None, float | None] = (0.0, None) if nonnegative else (None, None)
    bounds = [bound] * len(hidden_cells)
    intervals = {}
    for cell, k in index.items():
        objective = np.zeros(len(hidden_cells))
        objective[k] = 1.0
        low = _optimum(objective, a_eq, b_eq, bounds)
        high = -_optimum(-objective, a_eq, b_eq, bounds)
        intervals[cell] = Interval(low, high)
    return intervals


def _optimum(objective: np.ndarray, a_eq: np.ndarray | None, b_eq: np.ndarray | None,
             bounds: list[tuple[float | None, float | None]]) -> float:
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status == 3:  # unbounded
        return -math.inf
    if result.status != 0:
        raise ValueError("the published figures are inconsistent: no table fits them")
    return float(result.fun)

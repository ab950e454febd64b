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
from scipy.sparse import csr_array

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
    only: Iterable[Cell] | None = None,
) -> dict[Cell, Interval]:
    """The interval each hidden cell (or each of ``only``) can take given what is published.

    Hidden cells that share no relation, directly or through other hidden cells, cannot
    inform each other, so each connected group is solved as its own (small) program.
    """
    values = np.asarray(table, dtype=float)
    hidden_set = set(hidden)
    if not hidden_set:
        return {}
    equations = []
    for relation in relations if relations is not None else table_relations(values.shape):
        *parts, total = relation
        terms = [(cell, sign) for cell, sign in [*((p, 1.0) for p in parts), (total, -1.0)]]
        unknown = [(c, sign) for c, sign in terms if c in hidden_set]
        if unknown:
            constant = sum(sign * values[c] for c, sign in terms if c not in hidden_set)
            equations.append((unknown, -float(constant)))
    wanted = hidden_set if only is None else set(only) & hidden_set
    intervals: dict[Cell, Interval] = {}
    for group in _connected_groups(hidden_set, equations):
        if group & wanted:
            intervals.update(_solve_group(sorted(group), equations, wanted, nonnegative))
    return intervals


def _connected_groups(hidden: set[Cell],
                      equations: list[tuple[list[tuple[Cell, float]], float]]) -> list[set[Cell]]:
    parent = {cell: cell for cell in hidden}

    def root(cell: Cell) -> Cell:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for unknown, _ in equations:
        first = root(unknown[0][0])
        for cell, _sign in unknown[1:]:
            parent[root(cell)] = first
    groups: dict[Cell, set[Cell]] = {}
    for cell in hidden:
        groups.setdefault(root(cell), set()).add(cell)
    return list(groups.values())


def _solve_group(cells: list[Cell], equations: list[tuple[list[tuple[Cell, float]], float]],
                 wanted: set[Cell], nonnegative: bool) -> dict[Cell, Interval]:
    index = {cell: k for k, cell in enumerate(cells)}
    data: list[float] = []
    row_of: list[int] = []
    column_of: list[int] = []
    rhs: list[float] = []
    for unknown, constant in equations:
        if unknown[0][0] not in index:
            continue
        for cell, sign in unknown:
            data.append(sign)
            row_of.append(len(rhs))
            column_of.append(index[cell])
        rhs.append(constant)
    # Sparse: each relation touches few cells, and HiGHS takes sparse input as it is.
    a_eq = csr_array((data, (row_of, column_of)), shape=(len(rhs), len(cells))) if rhs else None
    b_eq = np.array(rhs) if rhs else None
    bound: tuple[float | None, float | None] = (0.0, None) if nonnegative else (None, None)
    bounds = [bound] * len(cells)
    intervals = {}
    for cell, k in index.items():
        if cell not in wanted:
            continue
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        low = _optimum(objective, a_eq, b_eq, bounds)
        high = -_optimum(-objective, a_eq, b_eq, bounds)
        intervals[cell] = Interval(low, high)
    return intervals


def _optimum(objective: np.ndarray, a_eq: csr_array | None, b_eq: np.ndarray | None,
             bounds: list[tuple[float | None, float | None]]) -> float:
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status == 3:  # unbounded
        return -math.inf
    if result.status != 0:
        raise ValueError("the published figures are inconsistent: no table fits them")
    return float(result.fun)

"""Secondary (complementary) suppression that cannot be undone from the margins.

Hiding a small cell is useless if its row total and the rest of its row are published. The
pattern is solved, not marked: while some sensitive cell can still be pinned inside its
protection range, a complementary cell is hidden — first in any line (row or column) that
holds a single hidden cell, preferring a cell that closes another such line, cells large
enough to give the protection needed, body cells before margins, and then the smallest
(least information lost). Every pattern is then verified by attack (interval_attack): the
result says, per sensitive cell, the interval an attacker can prove and whether it covers
the protection range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from openhaven.outputs.interval_attack import (
    Cell,
    Interval,
    ProtectionRule,
    feasible_intervals,
)


@dataclass(frozen=True)
class SuppressionPattern:
    primary: frozenset[Cell]
    secondary: frozenset[Cell]
    intervals: dict[Cell, Interval]
    protected: bool
    unprotected: frozenset[Cell]

    @property
    def hidden(self) -> frozenset[Cell]:
        return self.primary | self.secondary


def protect(
    table: Sequence[Sequence[float]],
    primary: Iterable[Cell],
    rule: ProtectionRule | None = None,
    *,
    nonnegative: bool = True,
) -> SuppressionPattern:
    """Find complementary cells so that every ``primary`` cell is protected under ``rule``.

    ``table`` includes its margins: the last column holds row totals, the last row column
    totals. Returns the pattern with the attack's intervals for the sensitive cells.
    """
    rule = rule or ProtectionRule()
    values = np.asarray(table, dtype=float)
    sensitive = frozenset(primary)
    hidden = set(sensitive)
    for _ in range(values.size):
        weak = _weak_cells(values, sensitive, hidden, rule, nonnegative)
        if not weak:
            break
        complement = _choose_complement(values, hidden, weak, rule)
        if complement is None:
            break
        hidden.add(complement)
    return verify(values, sensitive, hidden, rule, nonnegative=nonnegative)


def verify(
    table: Sequence[Sequence[float]] | np.ndarray,
    primary: Iterable[Cell],
    hidden: Iterable[Cell],
    rule: ProtectionRule | None = None,
    *,
    nonnegative: bool = True,
) -> SuppressionPattern:
    """Attack a pattern: each sensitive cell's feasible interval, and whether it is safe."""
    rule = rule or ProtectionRule()
    values = np.asarray(table, dtype=float)
    sensitive, hidden_set = frozenset(primary), frozenset(hidden)
    intervals = feasible_intervals(values, hidden_set, nonnegative=nonnegative)
    unprotected = frozenset(
        c for c in sensitive
        if not rule.is_protected(float(values[c]), intervals[c], nonnegative=nonnegative)
    )
    return SuppressionPattern(sensitive, hidden_set - sensitive,
                              {c: intervals[c] for c in sensitive}, not unprotected, unprotected)


def _weak_cells(values: np.ndarray, sensitive: frozenset[Cell], hidden: set[Cell],
                rule: ProtectionRule, nonnegative: bool) -> list[Cell]:
    intervals = feasible_intervals(values, hidden, nonnegative=nonnegative)
    return sorted(
        c for c in sensitive
        if not rule.is_protected(float(values[c]), intervals[c], nonnegative=nonnegative)
    )


def _lines(shape: tuple[int, int]) -> list[list[Cell]]:
    n_rows, n_cols = shape
    return ([[(i, j) for j in range(n_cols)] for i in range(n_rows)]
            + [[(i, j) for i in range(n_rows)] for j in range(n_cols)])


def _choose_complement(values: np.ndarray, hidden: set[Cell], weak: list[Cell],
                       rule: ProtectionRule) -> Cell | None:
    shape = (int(values.shape[0]), int(values.shape[1]))
    lines = _lines(shape)
    exposed = [line for line in lines if sum(c in hidden for c in line) == 1]
    need = max(rule.margin(float(values[c])) for c in weak)
    if exposed:
        # Prefer an exposed line that holds a weak sensitive cell.
        exposed.sort(key=lambda line: not any(c in weak for c in line))
        candidates = [c for c in exposed[0] if c not in hidden]
    else:
        candidates = [c for line in lines if any(w in line for w in weak)
                      for c in line if c not in hidden]
    if not candidates:
        candidates = [c for line in lines if any(w in line for w in weak)
                      for c in line if c not in hidden]
    if not candidates:
        return None

    def cost(cell: Cell) -> tuple[bool, bool, bool, float]:
        is_margin = cell[0] == shape[0] - 1 or cell[1] == shape[1] - 1
        closes = sum(cell in line for line in exposed) >= 2
        return (float(values[cell]) < need, not closes, is_margin, float(values[cell]))

    return min(candidates, key=cost)

"""Secondary (complementary) suppression that cannot be undone from the margins.

Hiding a small cell is useless if its row total and the rest of its row are published. The
pattern is solved, not marked, in two alternating phases:

1. *closing lines* (cheap, combinatorial): any line (row or column, margins included) that
   holds exactly one hidden cell gives that cell away by subtraction, so a complementary cell
   is hidden in it — preferring a cell that closes another such line, cells large enough to
   give the protection needed, body cells before margins, then the smallest (least
   information lost);
2. *attack* (interval_attack): each sensitive cell not yet known to be safe is attacked by
   linear programming; for each one still pinned inside its protection range another cell
   of its row or column is hidden, and phase 1 runs again.

Hiding more cells only widens what an attacker can prove, so a cell found safe stays safe
and only the others are attacked again. The result says, per sensitive cell, the interval
an attacker can prove and whether it covers the protection range.
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
    table: Sequence[Sequence[float]] | np.ndarray,
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
    layout = _Layout(values, sensitive, rule)
    for cell in sensitive:
        layout.hide(cell)
    pending = set(sensitive)
    for _ in range(values.size):
        layout.close_exposed_lines()
        intervals = feasible_intervals(values, layout.hidden, nonnegative=nonnegative,
                                       only=pending)
        pending = {c for c in pending
                   if not rule.is_protected(float(values[c]), intervals[c],
                                            nonnegative=nonnegative)}
        if not pending or not any([layout.widen(c) for c in sorted(pending)]):
            break
    return verify(values, sensitive, layout.hidden, rule, nonnegative=nonnegative)


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
    intervals = feasible_intervals(values, hidden_set, nonnegative=nonnegative, only=sensitive)
    unprotected = frozenset(
        c for c in sensitive
        if not rule.is_protected(float(values[c]), intervals[c], nonnegative=nonnegative)
    )
    return SuppressionPattern(sensitive, hidden_set - sensitive,
                              {c: intervals[c] for c in sensitive}, not unprotected, unprotected)


class _Layout:
    """The hidden cells with per-line counts, so exposed lines are found without scanning."""

    def __init__(self, values: np.ndarray, sensitive: frozenset[Cell],
                 rule: ProtectionRule) -> None:
        self.values = values
        self.rows, self.cols = int(values.shape[0]), int(values.shape[1])
        self.sensitive = sensitive
        self.rule = rule
        self.hidden: set[Cell] = set()
        self.in_row = [0] * self.rows
        self.in_col = [0] * self.cols

    def hide(self, cell: Cell) -> None:
        if cell not in self.hidden:
            self.hidden.add(cell)
            self.in_row[cell[0]] += 1
            self.in_col[cell[1]] += 1

    def close_exposed_lines(self) -> None:
        while True:
            line = self._an_exposed_line()
            if line is None:
                return
            lone = next(c for c in line if c in self.hidden)
            along_row = line[0][0] == line[-1][0]
            choice = self._cheapest([c for c in line if c not in self.hidden], self._need(lone),
                                    along_row=along_row)
            if choice is None:
                return
            self.hide(choice)

    def widen(self, cell: Cell) -> bool:
        """Hide one more cell in ``cell``'s row or column; False when none is left."""
        in_row = [(cell[0], j) for j in range(self.cols) if (cell[0], j) not in self.hidden]
        in_col = [(i, cell[1]) for i in range(self.rows) if (i, cell[1]) not in self.hidden]
        need = self._need(cell)
        options = [c for c in (self._cheapest(in_row, need, along_row=True),
                               self._cheapest(in_col, need, along_row=False)) if c is not None]
        if not options:
            return False
        self.hide(min(options, key=lambda c: self._cost(c, need, along_row=c[0] == cell[0])))
        return True

    def _need(self, cell: Cell) -> float:
        if cell in self.sensitive:
            return self.rule.margin(float(self.values[cell]))
        return self.rule.absolute

    def _an_exposed_line(self) -> list[Cell] | None:
        for i, count in enumerate(self.in_row):
            if count == 1:
                return [(i, j) for j in range(self.cols)]
        for j, count in enumerate(self.in_col):
            if count == 1:
                return [(i, j) for i in range(self.rows)]
        return None

    def _cheapest(self, candidates: list[Cell], need: float, *, along_row: bool) -> Cell | None:
        if not candidates:
            return None
        return min(candidates, key=lambda c: self._cost(c, need, along_row=along_row))

    def _cost(self, cell: Cell, need: float, *, along_row: bool) -> tuple[bool, bool, bool, float]:
        """Lower is better: big enough, closes the crossing line, not a margin, smallest."""
        value = float(self.values[cell])
        is_margin = cell[0] == self.rows - 1 or cell[1] == self.cols - 1
        crossing = self.in_col[cell[1]] if along_row else self.in_row[cell[0]]
        return (value < need, crossing != 1, is_margin, value)

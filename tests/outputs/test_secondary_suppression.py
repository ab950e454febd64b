"""Secondary suppression: naive patterns fall to an attack; solved patterns withstand it."""

from __future__ import annotations

import numpy as np
import pytest

from openhaven.outputs.interval_attack import Interval, ProtectionRule, feasible_intervals
from openhaven.outputs.secondary_suppression import protect, verify


def with_margins(body: list[list[float]]) -> np.ndarray:
    values = np.asarray(body, dtype=float)
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    table[:-1, :-1] = values
    table[:-1, -1] = values.sum(axis=1)
    table[-1, :-1] = values.sum(axis=0)
    table[-1, -1] = values.sum()
    return table


BODY = [[3, 20, 30], [15, 40, 25], [12, 11, 50]]


def test_naive_primary_suppression_is_recovered_exactly() -> None:
    table = with_margins(BODY)
    interval = feasible_intervals(table, {(0, 0)})[(0, 0)]
    assert interval.exact and interval.low == pytest.approx(3)
    assert not verify(table, {(0, 0)}, {(0, 0)}).protected


def test_two_small_cells_in_one_row_only_is_still_recovered() -> None:
    # Hiding a second cell in the same row leaves both columns exposed.
    table = with_margins(BODY)
    intervals = feasible_intervals(table, {(0, 0), (0, 1)})
    assert intervals[(0, 0)].exact and intervals[(0, 0)].low == pytest.approx(3)


def test_a_rectangle_of_hidden_cells_gives_an_interval() -> None:
    table = with_margins(BODY)
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1)}
    interval = feasible_intervals(table, hidden)[(0, 0)]
    # x00 can move by up to min(x01, x10) = 15 up, and down to 0.
    assert interval == Interval(pytest.approx(0.0), pytest.approx(18.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "primary"),
    [
        (BODY, {(0, 0)}),
        (BODY, {(0, 0), (2, 1)}),
        ([[2, 40, 33, 21], [25, 1, 44, 19], [30, 26, 0, 18]], {(0, 0), (1, 1), (2, 2)}),
        ([[5, 50], [60, 70]], {(0, 0)}),
        ([[4, 9, 30], [31, 45, 28]], {(0, 0), (0, 1)}),
    ],
)
def test_solved_patterns_withstand_the_attack(body: list[list[float]],
                                              primary: set[tuple[int, int]]) -> None:
    table = with_margins(body)
    rule = ProtectionRule(absolute=10, relative=0.10)
    pattern = protect(table, primary, rule)
    assert pattern.protected, pattern
    assert pattern.secondary, "a lone hidden cell is always recoverable from its margins"
    # An independent attack on the published table (hidden cells unknown) agrees.
    intervals = feasible_intervals(table, pattern.hidden)
    for cell in primary:
        value = table[cell]
        assert intervals[cell].low <= max(0.0, value - 10) + 1e-6
        assert intervals[cell].high >= value + 10 - 1e-6


def test_a_total_below_threshold_hides_its_whole_line() -> None:
    table = with_margins([[2, 3], [40, 50], [35, 45]])  # row 0 total 5 is itself small
    primary = {(0, 0), (0, 1), (0, 2)}
    pattern = protect(table, primary, ProtectionRule(absolute=10))
    assert pattern.protected
    assert (0, 2) in pattern.hidden


def test_a_one_cell_table_is_protected_only_by_hiding_everything() -> None:
    # One row, one column: the cell equals every margin, so all of them must go.
    table = with_margins([[4]])
    pattern = protect(table, {(0, 0)}, ProtectionRule(absolute=10))
    assert pattern.protected
    assert pattern.hidden == frozenset({(0, 0), (0, 1), (1, 0), (1, 1)})
    partial = verify(table, {(0, 0)}, {(0, 0), (0, 1), (1, 0)}, ProtectionRule(absolute=10))
    assert partial.unprotected == frozenset({(0, 0)})


def test_random_tables_always_end_verified() -> None:
    rng = np.random.default_rng(3)
    for _ in range(15):
        body = rng.integers(0, 60, size=(rng.integers(2, 6), rng.integers(2, 6)))
        table = with_margins(body.tolist())
        primary = {(int(i), int(j)) for i, j in zip(*np.where((body > 0) & (body < 10)),
                                                      strict=True)}
        if not primary:
            continue
        pattern = protect(table, primary, ProtectionRule(absolute=10))
        again = verify(table, primary, pattern.hidden, ProtectionRule(absolute=10))
        assert again.protected == pattern.protected
        assert again.unprotected == pattern.unprotected

"""Rounding policies, table-driven, and their consistent use on cells and totals."""

from __future__ import annotations

import pytest

from openhaven.outputs.rounding import round_count, round_midpoint6, round_to_base


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (2, 0), (3, 5), (7, 5), (8, 10),
                                                 (12, 10), (13, 15), (1825, 1825), (1827, 1825)])
def test_base_5(count: int, expected: int) -> None:
    assert round_to_base(count, 5) == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1, 3), (6, 3), (7, 9), (12, 9),
                                                 (13, 15), (18, 15), (19, 21)])
def test_midpoint_6(count: int, expected: int) -> None:
    assert round_midpoint6(count) == expected


def test_round_count_dispatch_and_errors() -> None:
    assert round_count(7, "none") == 7
    assert round_count(7, "base", 10) == 10
    assert round_count(7, "midpoint6") == 9
    with pytest.raises(ValueError):
        round_count(7, "banker")
    with pytest.raises(ValueError):
        round_midpoint6(-1)

"""Each per-cell check, table-driven on hand-made cells."""

from __future__ import annotations

from typing import Any

import pytest

from openhaven.outputs.check_registry import CellContext, get_check, registered_checks
from openhaven.outputs.crosstab import CellStats


def cell(agg: str = "count", *, row_count: int = 100, margin: bool = False, columns: int = 3,
         **stats: Any) -> CellContext:
    body = CellStats(**stats)
    return CellContext(agg=agg, stats=body, is_margin=margin, row_total=CellStats(count=row_count),
                       col_total=CellStats(count=row_count), columns_in_row=columns)


def magnitude(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values, reverse=True)
    return {"count": len(values), "values": len(values), "total": sum(values),
            "minimum": min(values) if values else None, "maximum": max(values) if values else None,
            "largest": tuple(ordered[:2]), "negatives": sum(v < 0 for v in values)}


@pytest.mark.parametrize(
    ("count", "settings", "flagged"),
    [
        (9, {"safe_threshold": 10}, True),
        (10, {"safe_threshold": 10}, False),
        (0, {"safe_threshold": 10}, True),
        (0, {"safe_threshold": 3, "zeros_pass": True}, False),
        (2, {"safe_threshold": 3, "zeros_pass": True}, True),
        (7, {"safe_threshold": 8, "zeros_pass": True}, True),
        (8, {"safe_threshold": 8, "zeros_pass": True}, False),
    ],
)
def test_threshold(count: int, settings: dict[str, Any], flagged: bool) -> None:
    assert get_check("threshold").evaluate(cell(count=count), settings).flagged is flagged


@pytest.mark.parametrize(
    ("values", "p", "flagged"),
    [
        ([100, 50, 20], 0.10, False),    # rest 20 = 20% of 100
        ([100, 50, 9], 0.10, True),      # rest 9 < 10% of 100
        ([100, 50, 10], 0.10, False),    # exactly 10%: not below
        ([100, 50], 0.10, True),         # two contributors: nothing else
        ([5], 0.10, True),               # one contributor
        ([0, 0, 0], 0.10, False),        # largest is zero
        ([], 0.10, False),               # empty cell
    ],
)
def test_p_ratio(values: list[float], p: float, flagged: bool) -> None:
    finding = get_check("p-ratio").evaluate(cell("sum", **magnitude(values)), {"p": p})
    assert finding.flagged is flagged


@pytest.mark.parametrize(
    ("values", "n", "k", "flagged"),
    [
        ([50, 40, 5, 5], 2, 0.9, True),      # 90/100 >= 0.9
        ([50, 39, 6, 5], 2, 0.9, False),     # 89%
        ([10] * 10, 2, 0.9, False),
        ([7], 2, 0.9, True),
        ([50, 40, 5, 5], 2, 0.95, False),
    ],
)
def test_nk_rule(values: list[float], n: int, k: float, flagged: bool) -> None:
    finding = get_check("nk-rule").evaluate(cell("mean", **magnitude(values)), {"n": n, "k": k})
    assert finding.flagged is flagged


@pytest.mark.parametrize(
    ("context", "settings", "flagged"),
    [
        (cell(count=0), {}, True),                                   # zero: attribute disclosure
        (cell(count=0), {"zeros": False}, False),
        (cell(count=40, row_count=40), {}, True),                     # full cell: whole row
        (cell(count=40, row_count=40), {"full_cells": False}, False),
        (cell(count=40, row_count=40, columns=1), {}, False),         # a one-column table
        (cell(count=40, row_count=40, margin=True), {}, False),       # a margin is its own total
        (cell(count=30, row_count=40), {}, False),
        (cell("mean", **magnitude([5, 5, 5])), {}, True),            # everyone shares the value
        (cell("mean", **magnitude([5, 5, 6])), {}, False),
        (cell("mean", **magnitude([5, 5, 5])), {"same_values": False}, False),
    ],
)
def test_all_values_are_same(context: CellContext, settings: dict[str, Any],
                             flagged: bool) -> None:
    assert get_check("all-values-are-same").evaluate(context, settings).flagged is flagged


@pytest.mark.parametrize(("count", "flagged"), [(10, True), (11, False), (0, True)])
def test_degrees_of_freedom(count: int, flagged: bool) -> None:
    finding = get_check("degrees-of-freedom").evaluate(cell("std", count=count),
                                                       {"safe_dof_threshold": 10})
    assert finding.flagged is flagged


def test_negative_values_are_sent_for_review_and_dominance_is_not_claimed() -> None:
    context = cell("sum", **magnitude([100, -5, 1]))
    assert get_check("negative-values").evaluate(context, {}).flagged
    assert not get_check("p-ratio").evaluate(context, {"p": 0.1}).flagged
    assert not get_check("negative-values").evaluate(cell("sum", **magnitude([1, 2])), {}).flagged


def test_missing_values() -> None:
    assert get_check("missing").evaluate(cell("mean", count=5, missing=1), {}).flagged
    assert not get_check("missing").evaluate(cell("mean", count=5), {}).flagged


def test_reasons_never_carry_the_value() -> None:
    context = cell("sum", **magnitude([123457.0, 98765.0]))
    for check in registered_checks().values():
        reason = check.evaluate(context, {}).reason
        assert "123457" not in reason and "98765" not in reason

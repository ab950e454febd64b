"""Primary suppression of small counts: table-driven."""

from __future__ import annotations

import pytest

from openhaven.analysis.runner import AggregateResult
from openhaven.outputs.small_counts import suppress_small_counts


@pytest.mark.parametrize(
    ("values", "threshold", "expected", "verdict"),
    [
        ([12, 10, 30], 10, [12, 10, 30], "pass"),
        ([12, 9, 30], 10, [12, None, 30], "review"),
        ([1, 2, 3], 10, [None, None, None], "review"),
        ([7, 8], 7, [7, 8], "pass"),
        ([6, 8], 7, [None, 8], "review"),
    ],
)
def test_counts_below_threshold_are_suppressed(
    values: list[int], threshold: int, expected: list[int | None], verdict: str
) -> None:
    result = AggregateResult(("group",), tuple((f"g{i}", v) for i, v in enumerate(values)))
    checked = suppress_small_counts(result, threshold)
    assert [row[-1] for row in checked.rows] == expected
    assert checked.verdict == verdict
    positions = [c["row"] for c in checked.checks["minimum_cell_count"]["suppressed_cells"]]
    assert positions == [i for i, v in enumerate(values) if v < threshold]


def test_suppressed_value_never_appears_in_the_released_form() -> None:
    checked = suppress_small_counts(AggregateResult(("g",), (("x", 3), ("y", 40))), 10)
    released = checked.as_dict()
    assert released["rows"] == [["x", None], ["y", 40]]
    assert "3" not in str(released["checks"])

"""Controlled rounding keeps tables additive; the cell key method is repeatable and bounded."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openhaven.core.errors import InvalidInput
from openhaven.outputs.controls import suppress_checked
from openhaven.outputs.helpers import crosstab
from openhaven.outputs.perturbation import perturbative_control, perturbative_controls
from openhaven.outputs.perturbation_cell_key import (
    PerturbationTable,
    cell_key,
    perturb_crosstab,
    record_key,
)
from openhaven.outputs.perturbation_rounding import controlled_round
from openhaven.outputs.profiles import load_profile

tables = st.integers(1, 6).flatmap(lambda cols: st.lists(
    st.lists(st.integers(0, 60), min_size=cols, max_size=cols), min_size=1, max_size=6))


@settings(max_examples=60, deadline=None)
@given(table=tables, base=st.sampled_from([3, 5, 10]))
def test_controlled_rounding_is_additive_and_adjacent(table: list[list[int]], base: int) -> None:
    result = controlled_round(table, base)
    for i, row in enumerate(result.cells):
        assert sum(row) == result.row_totals[i]
    for j in range(len(table[0])):
        assert sum(row[j] for row in result.cells) == result.col_totals[j]
    assert sum(result.row_totals) == result.total == sum(result.col_totals)
    true_figures = [v for row in table for v in row] + [sum(r) for r in table] + [
        sum(r[j] for r in table) for j in range(len(table[0]))] + [sum(map(sum, table))]
    rounded = [v for row in result.cells for v in row] + result.row_totals + \
        result.col_totals + [result.total]
    for true, shown in zip(true_figures, rounded, strict=True):
        assert shown % base == 0
        assert abs(shown - true) < base           # rounded to a neighbouring multiple
        if true % base == 0:
            assert shown == true                  # multiples (and zeros) are kept


def test_controlled_rounding_refuses_bad_tables() -> None:
    with pytest.raises(InvalidInput, match="non-negative"):
        controlled_round([[1, -2]], 5)
    with pytest.raises(InvalidInput, match="same number") as raised:
        controlled_round([[1, 2], [3]], 5)
    assert raised.value.location is not None and raised.value.location.line == 2


def test_controlled_rounding_as_a_registered_table_control(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pl.DataFrame({"g": ["a"] * 23 + ["b"] * 41, "h": ["x", "y"] * 32}).write_csv(data)
    checked = crosstab(data, ["g"], ["h"], profile="haven")
    table = suppress_checked(checked, load_profile("haven"))
    control = perturbative_control("controlled-rounding")
    assert control.works_on == "table" and set(perturbative_controls()) >= {"cell-key"}
    released = control.apply(table, {"base": 5})
    counts = released.matrix("count")
    for row in counts:
        assert sum(row[:-1]) == row[-1] and all(v % 5 == 0 for v in row)  # type: ignore[operator]
    assert [sum(col) for col in zip(*counts[:-1], strict=True)] == counts[-1]
    assert released.controls[-1]["control"] == "controlled-rounding"


def test_p_table_is_unbiased_bounded_and_never_negative() -> None:
    ptable = PerturbationTable(max_perturbation=3, variance=2.0)
    for count in range(8):
        row = ptable.distribution(count)
        assert sum(p for _, p in row) == pytest.approx(1.0)
        assert sum(v * p for v, p in row) == pytest.approx(0.0, abs=1e-9)
        assert all(abs(v) <= 3 and count + v >= 0 for v, _ in row)
    assert ptable.distribution(0) == [(0, 1.0)]


@settings(max_examples=100, deadline=None)
@given(count=st.integers(0, 500), key=st.floats(0.0, 1.0, exclude_max=True))
def test_cell_key_perturbation_is_bounded(count: int, key: float) -> None:
    ptable = PerturbationTable()
    shown = ptable.perturb(count, key)
    assert shown >= 0 and abs(shown - count) <= ptable.max_perturbation
    assert shown == ptable.perturb(count, key)
    if count == 0:
        assert shown == 0


def test_same_cell_same_noise_whatever_the_query() -> None:
    secret = b"haven secret"
    people = [(f"p{i}", "north" if i % 3 else "south", "f" if i % 2 else "m")
              for i in range(400)]
    keys = {pid: record_key(secret, pid) for pid, _, _ in people}
    assert keys["p1"] == record_key(secret, "p1") != record_key(b"other", "p1")
    first = perturb_crosstab((r, s, keys[p]) for p, r, s in people)
    shuffled = perturb_crosstab((r, s, keys[p]) for p, r, s in reversed(people))
    assert first.counts == shuffled.counts
    # A different query whose cell holds exactly the same records gets the same noise.
    north_f = [p for p, r, s in people if r == "north" and s == "f"]
    other_query = perturb_crosstab(("north", "f", keys[p]) for p in north_f)
    assert other_query.counts[("north", "f")] == first.counts[("north", "f")]
    assert cell_key(keys[p] for p in north_f) == cell_key(reversed([keys[p] for p in north_f]))
    assert first.row_labels == ["north", "south", "All"]


def test_cell_key_counts_from_a_frame_hide_ids() -> None:
    frame = pl.DataFrame({"id": [f"x{i}" for i in range(300)],
                          "g": ["a", "b", "c"] * 100, "s": ["f", "m"] * 150})
    body = perturbative_control("cell-key").apply(frame, "g", "s", id_column="id",
                                                  secret=b"s")
    again = perturbative_control("cell-key").apply(frame.reverse(), "g", "s", id_column="id",
                                                   secret=b"s")
    assert body["counts"] == again["counts"]
    assert body["rows"] == ["a", "b", "c", "All"]
    for row in body["counts"][:-1]:
        assert all(abs(v - 50) <= 2 for v in row[:-1])
    assert "x1" not in repr(body)
    with pytest.raises(InvalidInput, match="No column"):
        perturbative_control("cell-key").apply(frame, "g", "nope", id_column="id",
                                               secret=b"s")


def test_noise_moves_some_cells() -> None:
    ptable = PerturbationTable()
    moved = sum(ptable.perturbation(10, k / 1000) != 0 for k in range(1000))
    assert 500 < moved < 700   # about 60% of cells of 10 are moved at variance 1


def test_every_perturbative_control_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text("utf-8")
    for name in perturbative_controls():
        assert f"`{name}`" in doc, f"control {name} is missing from docs/outputs.md"

"""Differencing across tables released together: the two known cases ACRO passes."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import polars as pl
import pytest

from openhaven.outputs.differencing import ReleasedTable, find_differencing_risks
from openhaven.outputs.helpers import crosstab, suppress


def write(path: Path, groups: dict[tuple[str, ...], int], names: list[str]) -> Path:
    rows = [key for key, n in groups.items() for _ in range(n)]
    pl.DataFrame(rows, schema=names, orient="row").write_parquet(path)
    return path


@pytest.fixture()
def case_one(tmp_path: Path) -> Path:
    # (north, f) holds 3 patients; the south splits into two age bands.
    return write(tmp_path / "c1.parquet", {
        ("north", "f", "young"): 2, ("north", "f", "old"): 1,
        ("north", "m", "young"): 20, ("north", "m", "old"): 20,
        ("south", "f", "young"): 13, ("south", "f", "old"): 12,
        ("south", "m", "young"): 25, ("south", "m", "old"): 25,
    }, ["region", "sex", "band"])


def test_case_one_row_totals_of_a_second_table_recover_the_suppressed_counts(
        case_one: Path) -> None:
    first = crosstab(case_one, ["region"], ["sex"], profile="haven")
    assert first.verdict == "fail"
    released_first = suppress(first)
    secondary = next(c for c in released_first.controls
                     if c["control"] == "secondary-suppression")
    assert secondary["protected"], "on its own the first table is safe"
    alone = find_differencing_risks(case_one, [ReleasedTable("by region", released_first)])
    assert alone == []

    subgroup = crosstab(case_one, ["sex"], ["band"], where="region = 'south'")
    assert subgroup.verdict == "pass"
    together = [ReleasedTable("by region", released_first),
                ReleasedTable("south by band", suppress(subgroup), where="region = 'south'")]
    risks = find_differencing_risks(case_one, together)
    kinds = {r.kind for r in risks}
    assert kinds == {"difference", "linked-tables"}
    recovered = [r for r in risks if r.kind == "linked-tables"]
    assert all(r.details["exact"] for r in recovered)
    hidden_cells = {(c["row"][0], c["col"][0]) for r in recovered for c in r.cells}
    assert ("north", "f") in hidden_cells
    assert all("3" not in r.reason for r in risks)


@pytest.fixture()
def case_two(tmp_path: Path) -> Path:
    # One high-cost patient in (north, f); every cell is large in both tables.
    return write(tmp_path / "c2.parquet", {
        ("north", "f", "no"): 29, ("north", "f", "yes"): 1, ("north", "m", "no"): 35,
        ("south", "f", "no"): 40, ("south", "m", "no"): 38,
    }, ["region", "sex", "high_cost"])


def test_case_two_all_patients_minus_a_high_cost_group_isolates_one(case_two: Path) -> None:
    everyone = crosstab(case_two, ["region"], ["sex"], profile="acro")
    others = crosstab(case_two, ["region"], ["sex"], profile="acro", where="high_cost = 'no'")
    assert everyone.verdict == "pass" and others.verdict == "pass"
    risks = find_differencing_risks(case_two, [
        ReleasedTable("all patients", suppress(everyone)),
        ReleasedTable("without high cost", suppress(others), where="high_cost = 'no'"),
    ])
    assert risks and {r.kind for r in risks} == {"difference"}
    pairs = {(r.cells[0]["row"][0], r.cells[0]["col"][0]) for r in risks}
    assert ("north", "f") in pairs and ("south", "m") not in pairs


def test_tables_with_no_overlap_risk_are_not_flagged(case_two: Path) -> None:
    everyone = crosstab(case_two, ["region"], ["sex"], profile="acro")
    risks = find_differencing_risks(case_two, [ReleasedTable("a", suppress(everyone)),
                                               ReleasedTable("b", suppress(everyone))])
    assert risks == []


def test_acro_passes_both_cases(case_one: Path, case_two: Path) -> None:
    acro = pytest.importorskip("acro", reason="acro is not installed (optional dev tool)")
    import pandas as pd

    logging.getLogger("acro").setLevel(logging.ERROR)
    session = acro.ACRO(suppress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.read_parquet(case_two)
        session.crosstab(frame.region, frame.sex, margins=True)
        kept = frame[frame.high_cost == "no"]
        session.crosstab(kept.region, kept.sex, margins=True)
        south = pd.read_parquet(case_one).query("region == 'south'")
        session.crosstab(south.sex, south.band, margins=True)
    statuses = [r.status for r in session.results.results.values()]
    assert statuses == ["pass", "pass", "pass"]

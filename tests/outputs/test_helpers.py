"""Researcher helpers: tables come back with a machine-readable record of controls."""

from __future__ import annotations

from pathlib import Path

from openhaven.outputs.helpers import crosstab, round_table, suppress
from openhaven.outputs.interval_attack import ProtectionRule, feasible_intervals
from openhaven.outputs.rounding import round_to_base
from openhaven.outputs.table_checks import check_crosstab


def test_suppress_hides_failing_cells_and_their_complements(cohort: Path) -> None:
    checked = crosstab(cohort, ["region"], ["band"], profile="acro")
    failing = {c.position for c in checked.cells if c.verdict == "fail"}
    assert failing
    released = suppress(checked)
    kinds = [c["control"] for c in released.controls]
    assert kinds == ["primary-suppression", "secondary-suppression"]
    secondary = released.controls[1]
    assert secondary["protected"] and secondary["cells"]
    matrix = released.matrix("count")
    hidden = {(i, j) for i, line in enumerate(matrix) for j, v in enumerate(line) if v is None}
    assert failing <= hidden and len(hidden) > len(failing)
    # Attack the released table using only what it publishes (hidden cells as unknowns).
    true = [[float(checked.table.cell(r, c).count) for c in checked.table.col_keys]
            for r in checked.table.row_keys]
    intervals = feasible_intervals(true, hidden)
    rule = ProtectionRule(absolute=10)
    for cell in failing:
        assert rule.is_protected(true[cell[0]][cell[1]], intervals[cell])


def test_round_table_rounds_cells_and_totals_alike(cohort: Path) -> None:
    checked = crosstab(cohort, ["region"], ["sex"], profile="haven")
    rounded = round_table(checked, "base", 5)
    assert rounded.controls[-1]["method"] == "base" and rounded.controls[-1]["base"] == 5
    for (i, j, _), value in rounded.values.items():
        true = checked.table.cell(checked.table.row_keys[i], checked.table.col_keys[j]).count
        assert value == round_to_base(true, 5)
    midpoint = round_table(checked, "midpoint6")
    assert all(v is not None and (v == 0 or v % 6 == 3) for v in midpoint.values.values())


def test_mean_tables_get_primary_suppression_only(cohort: Path) -> None:
    checked = crosstab(cohort, ["region"], ["band"], values="cost", aggs=["mean"],
                       profile="acro")
    released = suppress(checked)
    assert [c["control"] for c in released.controls] == ["primary-suppression"]
    failing = {c.position for c in checked.cells if c.verdict == "fail"}
    assert {(i, j) for (i, j, _), v in released.values.items() if v is None} >= failing


def test_a_passing_table_needs_no_controls(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("g,h\n" + "a,x\n" * 12 + "a,y\n" * 11 + "b,x\n" * 11 + "b,y\n" * 11)
    checked = crosstab(data, ["g"], ["h"], profile="acro")
    assert checked.verdict == "pass"
    assert suppress(checked).controls == []
    assert check_crosstab(checked.table, _profile("datashield")).verdict == "pass"


def _profile(name: str):  # type: ignore[no-untyped-def]
    from openhaven.outputs.profiles import load_profile

    return load_profile(name)

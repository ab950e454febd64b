"""Same cell verdicts as ACRO under the acro profile.

Two layers: hand-derived expectations from ACRO's documented rules (always run), and a
side-by-side run of ACRO itself on the same crosstabs when the optional ``acro`` package is
installed (it imports offline in a few seconds).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest

from openhaven.outputs.helpers import crosstab


def test_hand_derived_acro_rules(tmp_path: Path) -> None:
    # Counts: 12 | 3 | 0 in row "a"; ACRO fails count < 10 and zero cells.
    lines = ["g,h,v"] + ["a,x,1"] * 12 + ["a,y,2"] * 3 + ["b,x,1"] * 20 + ["b,y,1"] * 19
    lines += ["b,z,500"] + ["b,z,1"] * 10 + ["a,x,1"] * 0
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    checked = crosstab(path, ["g"], ["h"], values="v", aggs=["count", "mean"], profile="acro")
    verdict = {(c.row[0], c.col[0], c.agg): c.verdict for c in checked.cells}
    assert verdict[("a", "x", "count")] == "pass"
    assert verdict[("a", "y", "count")] == "fail"           # 3 < 10
    assert verdict[("a", "z", "count")] == "fail"           # a zero cell
    assert verdict[("a", "z", "mean")] == "fail"            # threshold (no contributors)
    assert verdict[("b", "z", "mean")] == "fail"            # 501/510 >= 0.9: (2, 0.9) dominance
    assert verdict[("b", "z", "count")] == "pass"           # 11 records
    assert verdict[("b", "x", "mean")] == "pass"
    assert verdict[("a", "y", "mean")] == "fail"            # threshold (and p-ratio)
    b_z = checked.cell(("b",), ("z",), "mean")
    assert b_z.checks["nk-rule"] == "fail" and b_z.checks["p-ratio"] == "fail"
    assert checked.verdict == "fail"


def _ours(path: Path, rows: list[str], cols: list[str], agg: str) -> dict[Any, str]:
    checked = crosstab(path, rows, cols, values="cost" if agg != "count" else None,
                       aggs=[agg], profile="acro")
    return {(c.row, c.col): c.verdict for c in checked.cells}


def _acros(path: Path, rows: list[str], cols: list[str], agg: str) -> dict[Any, str]:
    acro = pytest.importorskip("acro", reason="acro is not installed (optional dev tool)")
    import pandas as pd

    logging.getLogger("acro").setLevel(logging.ERROR)
    frame = pd.read_parquet(path)
    session = acro.ACRO(suppress=False, config="default")
    index = [frame[r] for r in rows]
    columns = [frame[c] for c in cols]
    with warnings.catch_warnings():  # ACRO's own pandas deprecation warnings
        warnings.simplefilter("ignore")
        if agg == "count":
            session.crosstab(index, columns, margins=True)
        else:
            session.crosstab(index, columns, values=frame["cost"], aggfunc=agg, margins=True)
    outcome = list(session.results.results.values())[-1].outcome

    def key(label: Any) -> tuple[Any, ...]:
        return tuple(label) if isinstance(label, tuple) else (label,)

    return {(key(r), key(c)): ("pass" if outcome.loc[r, c] == "ok" else "fail")
            for r in outcome.index for c in outcome.columns}


@pytest.mark.parametrize("agg", ["count", "mean", "sum", "median", "min", "max"])
@pytest.mark.parametrize(("rows", "cols"), [(["region"], ["band"]),
                                            (["region", "band"], ["sex"]),
                                            (["region"], ["band", "sex"])])
def test_same_cell_verdicts_as_acro(cohort: Path, rows: list[str], cols: list[str],
                                    agg: str) -> None:
    theirs = _acros(cohort, rows, cols, agg)
    ours = _ours(cohort, rows, cols, agg)
    assert set(ours) == set(theirs)
    assert ours == theirs
    assert "fail" in ours.values() and "pass" in ours.values()


def test_standard_deviations_are_judged_cell_by_cell(cohort: Path) -> None:
    """OpenHaven fails exactly the cells with fewer than 10 degrees of freedom. ACRO's
    degrees-of-freedom mask for tables is the degrees of freedom themselves, not a
    comparison, so its per-cell marks differ (its table verdict agrees)."""
    checked = crosstab(cohort, ["region"], ["band"], values="cost", aggs=["std"],
                       profile="acro")
    for cell in checked.cells:
        count = checked.table.cell(cell.row, cell.col).count
        assert (cell.verdict == "fail") == (count - 1 < 10)
    assert checked.verdict == "fail"
    theirs = _acros(cohort, ["region"], ["band"], "std")
    ours = _ours(cohort, ["region"], ["band"], "std")
    assert set(ours) == set(theirs) and ours != theirs


def test_where_openhaven_is_stricter_than_acro(tmp_path: Path) -> None:
    """A row combination nobody falls into publishes a zero row total; ACRO passes it."""
    import polars as pl

    path = tmp_path / "gap.parquet"
    rows = [("a", "x", "p")] * 12 + [("a", "y", "q")] * 12 + [("b", "x", "q")] * 12
    pl.DataFrame(rows, schema=["g", "h", "k"], orient="row").write_parquet(path)
    ours = _ours(path, ["g", "h"], ["k"], "count")
    assert ours[(("b", "y"), ("All",))] == "fail"       # the empty combination's total
    assert ours[(("a", "x"), ("All",))] == "pass"
    theirs = _acros(path, ["g", "h"], ["k"], "count")
    assert theirs[(("b", "y"), ("All",))] == "pass"
    differ = {key for key in ours if ours[key] != theirs[key]}
    assert differ == {(("b", "y"), ("All",))}

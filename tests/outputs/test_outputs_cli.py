"""``openhaven outputs crosstab``: the JSON shape acceptance checks rely on, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from openhaven.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["outputs", "crosstab", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("profile", ["acro", "opensafely", "datashield", "haven"])
def test_json_shape(cohort: Path, profile: str) -> None:
    code, body = run(str(cohort), "--rows", "region,band", "--cols", "sex", "--values", "cost",
                     "--agg", "count,mean", "--profile", profile)
    assert code == 0
    assert body["verdict"] in ("pass", "review", "fail")
    assert {c["agg"] for c in body["cells"]} == {"count", "mean"}
    # 12 region × band combinations present (+ the margin row) × (2 sexes + margin) × 2 aggs
    assert len(body["cells"]) == (len({tuple(c["row"]) for c in body["cells"]})) * 3 * 2
    for cell in body["cells"]:
        assert set(cell) >= {"row", "col", "agg", "value", "checks", "verdict"}
        assert len(cell["row"]) == 2 and len(cell["col"]) == 1
        assert set(cell["checks"]) >= {"threshold", "p-ratio", "nk-rule", "all-values-are-same"}
        assert set(cell["checks"].values()) <= {"pass", "fail"}
        assert cell["verdict"] in ("pass", "review", "fail")
    worst = max((c["verdict"] for c in body["cells"]),
                key=["pass", "review", "fail"].index)
    assert body["verdict"] == worst


def test_profiles_differ_where_their_rules_do(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pl.DataFrame({"g": ["a"] * 5 + ["b"] * 30, "h": ["x"] * 2 + ["y"] * 3 + ["x", "y"] * 15}
                 ).write_csv(data)
    verdicts = {}
    for profile in ("acro", "opensafely", "datashield"):
        code, body = run(str(data), "--rows", "g", "--cols", "h", "--profile", profile)
        assert code == 0
        verdicts[profile] = {(c["row"][0], c["col"][0]): c["verdict"] for c in body["cells"]}
    assert verdicts["acro"][("a", "x")] == "fail"          # 2 < 10
    assert verdicts["opensafely"][("a", "y")] == "fail"    # 3 <= 7
    assert verdicts["datashield"][("a", "x")] == "fail"    # 0 < 2 < 3
    assert verdicts["datashield"][("a", "y")] == "pass"    # 3 is allowed
    assert verdicts["acro"][("b", "x")] == "pass"


def test_controls_add_the_released_table(cohort: Path) -> None:
    code, body = run(str(cohort), "--rows", "region", "--cols", "band", "--profile",
                     "opensafely", "--controls")
    assert code == 0
    released = body["released"]
    counts = released["tables"]["count"]
    assert all(v is None or v % 5 == 0 for line in counts for v in line)
    assert [c["control"] for c in released["controls"]][-1] == "rounding"


def test_missing_column_and_unreadable_file_are_exit_3(tmp_path: Path, cohort: Path) -> None:
    code, body = run(str(cohort), "--rows", "region", "--cols", "nosuch")
    assert code == 3
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["location"] == {"file": "cohort.parquet", "field": "nosuch"}
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage\x00\x00")
    code, body = run(str(broken), "--rows", "a", "--cols", "b")
    assert code == 3 and body["error"]["location"]["file"] == "broken.csv"


def test_human_output_names_the_verdict(cohort: Path) -> None:
    result = runner.invoke(app, ["outputs", "crosstab", str(cohort), "--rows", "region",
                                 "--cols", "sex"])
    assert result.exit_code == 0
    assert "verdict" in result.output

"""The check registry (built-ins register like anyone else) and profiles as data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from openhaven.core.errors import InvalidInput
from openhaven.outputs.check_registry import (
    CellContext,
    Finding,
    get_check,
    register_check,
    registered_checks,
)
from openhaven.outputs.crosstab import build_crosstab
from openhaven.outputs.profiles import BUILT_IN, load_profile, parse_profile
from openhaven.outputs.table_checks import check_crosstab


def test_built_in_checks_are_registered() -> None:
    assert {"threshold", "p-ratio", "nk-rule", "all-values-are-same", "degrees-of-freedom",
            "negative-values", "missing"} <= set(registered_checks())


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_profiles_load(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.settings_for("threshold") is not None


def test_profile_thresholds() -> None:
    assert load_profile("acro").threshold == 10
    assert load_profile("haven").threshold == 10
    assert load_profile("opensafely").threshold == 8      # counts <= 7 fail
    assert load_profile("opensafely").rounding == {"method": "base", "base": 5,
                                                   "rates": "midpoint6"}
    assert load_profile("datashield").threshold == 3      # 0 < n < 3 fails
    assert load_profile("datashield").zeros_pass_threshold


def test_acro_profile_matches_acro_default_config() -> None:
    acro = pytest.importorskip("acro", reason="acro is not installed (optional)")
    import yaml

    defaults = yaml.safe_load((Path(acro.__file__).parent / "default.yaml").read_text())
    profile = load_profile("acro")
    assert profile.threshold == defaults["safe_threshold"]
    assert profile.settings_for("degrees-of-freedom").parameters["safe_dof_threshold"] == \
        defaults["safe_dof_threshold"]
    nk = profile.settings_for("nk-rule").parameters
    assert (nk["n"], nk["k"]) == (defaults["safe_nk_n"], defaults["safe_nk_k"])
    assert profile.settings_for("p-ratio").parameters["p"] == defaults["safe_pratio_p"]
    assert (profile.settings_for("missing") is not None) == defaults["check_missing_values"]
    zeros = profile.settings_for("all-values-are-same").parameters["zeros"]
    assert zeros == defaults["zeros_are_disclosive"]


def test_unknown_profile_and_bad_profile_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Unknown disclosure profile"):
        load_profile("nope")
    bad = tmp_path / "p.yaml"
    bad.write_text("checks:\n  no-such-check: {}\n")
    with pytest.raises(InvalidInput) as caught:
        load_profile(bad)
    assert caught.value.location is not None and caught.value.location.field == "no-such-check"
    with pytest.raises(InvalidInput, match="severity"):
        parse_profile({"checks": {"threshold": {"severity": "maybe"}}}, source="x.yaml")


class _EvenCountCheck:
    """A third party's check, registered exactly as the built-ins are."""

    name: ClassVar[str] = "test-even-count"
    default_applies_to: ClassVar[tuple[str, ...]] = ("count",)
    default_severity: ClassVar[str] = "review"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        return Finding(cell.stats.count % 2 == 0, "even count")


def test_a_third_party_check_registers_and_runs_from_a_profile(tmp_path: Path) -> None:
    register_check(_EvenCountCheck())
    assert get_check("test-even-count").name == "test-even-count"
    data = tmp_path / "d.csv"
    data.write_text("g,h\n" + "a,x\n" * 12 + "a,y\n" * 11 + "b,x\n" * 11 + "b,y\n" * 11)
    profile = parse_profile({"checks": {"threshold": {}, "test-even-count": {}}}, source="t")
    checked = check_crosstab(build_crosstab(data, ["g"], ["h"]), profile)
    flagged = checked.cell(("a",), ("x",), "count")
    assert flagged.checks["test-even-count"] == "fail" and flagged.verdict == "review"
    assert checked.cell(("a",), ("y",), "count").verdict == "pass"
    assert checked.verdict == "review"


def test_every_built_in_check_and_profile_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text(
        encoding="utf-8")
    for name in registered_checks():
        if not name.startswith("test-"):
            assert f"`{name}`" in doc, f"check {name} is missing from docs/outputs.md"
    for name in BUILT_IN:
        assert f"`{name}`" in doc, f"profile {name} is missing from docs/outputs.md"

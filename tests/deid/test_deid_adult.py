"""On the reference tool's own benchmark (adult), the anonymiser chooses what ARX chooses.

The expected figures are those in ../shared/data/arx/README.md (ARX 3.9.2): levels in the order
sex, age, race, marital-status, education, native-country, workclass, occupation, salary-class,
the number of suppressed records and of equivalence classes; for the non-uniform entropy metric
also the exact optimal score.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from openhaven.provisioning.deid import (
    AnonymisationResult,
    Hierarchy,
    PrivacySettings,
    TextTable,
    anonymise_table,
    load_hierarchy,
    read_table,
    risk_of_rows,
)

ARX_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "arx"
ATTRIBUTES = ("sex", "age", "race", "marital-status", "education", "native-country",
              "workclass", "occupation", "salary-class")

pytestmark = pytest.mark.skipif(
    not (ARX_DATA / "adult.csv").exists(),
    reason="the ARX adult benchmark data (../shared/data/arx) is not present",
)

# (sensitive, suppression, metric, levels, suppressed, classes, exact score or None)
ARX_RESULTS = [
    (None, 0.0, "loss", "0,4,1,1,3,2,2,1,0", 0, 24, None),
    (None, 0.04, "loss", "0,3,0,1,1,1,1,2,0", 1178, 370, None),
    (None, 0.0, "entropy", "1,2,1,1,3,2,2,1,1", 0, 48, 407289.5388925293),
    (None, 0.04, "entropy", "1,0,1,1,3,2,2,0,1", 906, 1046, 255559.85455731067),
    ("occupation", 0.0, "loss", "0,4,1,2,3,2,0,-,0", 0, 26, None),
    ("occupation", 0.04, "loss", "0,3,0,1,1,1,1,-,0", 1204, 368, None),
    ("salary-class", 0.0, "loss", "0,4,0,2,3,2,2,1,-", 0, 30, None),
    ("salary-class", 0.04, "loss", "0,4,0,2,2,1,0,1,-", 1070, 197, None),
]


@cache
def _adult() -> tuple[TextTable, dict[str, Hierarchy]]:
    """Read once for the module: the searches are what these tests are about."""
    table = read_table(ARX_DATA / "adult.csv", sep=";")
    hierarchies = {name: load_hierarchy(name, ARX_DATA / f"adult_hierarchy_{name}.csv")
                   for name in ATTRIBUTES}
    return table, hierarchies


def _run(sensitive: str | None, suppression: float, metric: str) -> AnonymisationResult:
    quasi = tuple(name for name in ATTRIBUTES if name != sensitive)
    settings = PrivacySettings(quasi=quasi, k=5, suppression=suppression, metric=metric,
                               sensitive=sensitive, l=2 if sensitive else None)
    table, hierarchies = _adult()
    return anonymise_table(table, {name: hierarchies[name] for name in quasi}, settings)


@pytest.mark.parametrize(
    ("sensitive", "suppression", "metric", "levels", "suppressed", "classes", "score"),
    ARX_RESULTS, ids=lambda value: str(value))
def test_adult_matches_arx(sensitive: str | None, suppression: float, metric: str, levels: str,
                           suppressed: int, classes: int, score: float | None) -> None:
    result = _run(sensitive, suppression, metric)
    expected = {name: int(level) for name, level in zip(ATTRIBUTES, levels.split(","),
                                                        strict=True) if level != "-"}
    assert result.levels == expected
    assert result.suppressed == suppressed
    assert result.classes == classes
    if score is not None:
        assert result.score == pytest.approx(score, rel=1e-12)
    # The independent check: regroup the published table's text values.
    groups = Counter(zip(*(result.table.columns[name] for name in expected), strict=True))
    stars = groups.pop(tuple("*" for _ in expected), 0)
    assert stars == suppressed
    assert min(groups.values()) >= 5


def test_adult_risk_matches_arx_before_and_after() -> None:
    table, _ = _adult()
    raw = risk_of_rows(list(zip(*(table.columns[name] for name in ATTRIBUTES), strict=True)))
    assert round(raw.average_risk, 3) == 0.647
    assert raw.highest_risk == 1.0
    assert round(raw.share_above_threshold, 3) == 0.778
    assert round(raw.sample_unique_share, 3) == 0.514
    after = _run(None, 0.0, "loss").risk
    assert round(after.average_risk, 4) == 0.0008
    assert round(after.highest_risk, 4) == 0.0145
    assert after.sample_uniques == 0
    assert "24 groups" in after.summary

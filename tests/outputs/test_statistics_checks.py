"""Order statistics on small groups and regression degrees of freedom, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest
from airlock_world import AirlockWorld, build_world
from sqlalchemy.orm import Session

from openhaven.analysis.measure_checks import check_measure_table
from openhaven.analysis.runner import AggregateResult, CellEvidence
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.outputs import airlock
from openhaven.outputs.airlock import ItemRequest
from openhaven.outputs.helpers import save_statistics
from openhaven.outputs.profiles import load_profile
from openhaven.outputs.statistics_checks import (
    check_regression,
    check_statistic,
    check_statistics_record,
)


@pytest.mark.parametrize(("statistic", "people", "expected"), [
    ("min", 4, "fail"), ("max", 9, "fail"), ("median", 9, "fail"), ("p90", 5, "fail"),
    ("percentile_95", 2, "fail"), ("mean", 9, "fail"),
    ("min", 10, "review"), ("max", 500, "review"),
    ("median", 10, "pass"), ("p90", 50, "pass"), ("mean", 10, "pass"),
])
def test_order_statistics_on_small_groups(statistic: str, people: int, expected: str) -> None:
    result = check_statistic(statistic, people, load_profile("haven"))
    assert result["result"] == expected
    assert people == 10 or str(people) not in result["reason"]  # never the group size


@pytest.mark.parametrize(("profile", "observations", "parameters", "expected"), [
    ("haven", 20, 5, "pass"),        # 15 residual degrees of freedom
    ("haven", 14, 5, "fail"),        # 9
    ("haven", 15, 5, "pass"),        # exactly 10
    ("acro", 12, 3, "fail"),
    ("datashield", 100, 30, "pass"),  # 30 ≤ 0.33 · 100
    ("datashield", 100, 34, "fail"),  # more parameters than a third of the observations
])
def test_regression_residual_degrees_of_freedom(profile: str, observations: int,
                                                parameters: int, expected: str) -> None:
    result = check_regression(observations, parameters, load_profile(profile))
    assert result["result"] == expected
    assert result["residual_degrees_of_freedom"] == observations - parameters


def test_a_document_is_checked_entry_by_entry() -> None:
    document = {"format": "openhaven-statistics/1",
                "models": [{"model": "m1", "n_observations": 500, "n_parameters": 4},
                           {"model": "m2", "n_observations": 12, "n_parameters": 4}],
                "statistics": [{"statistic": "max", "n": 3, "value": 1.0},
                               {"statistic": "mean", "n": 300, "value": 1.0}]}
    result = check_statistics_record(document, "stats.json", load_profile("haven"))
    assert result["result"] == "fail"
    assert [f["where"] for f in result["findings"]] == ["models[1]", "statistics[0]"]
    with pytest.raises(InvalidInput, match=r"stats\.json"):
        check_statistics_record({"models": [{"n_observations": "many"}]}, "stats.json",
                                load_profile("haven"))


@pytest.fixture
def world(session: Session, haven: Haven) -> AirlockWorld:
    return build_world(session, haven)


def test_the_airlock_recomputes_a_models_degrees_of_freedom(
        session: Session, haven: Haven, world: AirlockWorld) -> None:
    folder: Path = haven.paths.project(world.project.reference) / "jobs" / "1" / "output"
    folder.mkdir(parents=True)
    # The stated residual degrees of freedom are wrong; n and p are what count.
    path = save_statistics(folder / "model.json", models=[
        {"model": "admissions ~ age + sex", "n_observations": 12, "n_parameters": 4,
         "residual_df": 100}])
    with pytest.raises(InvalidInput, match="written exception"):
        airlock.request_release(session, haven, world.project.reference, requester=world.lead,
                                title="Model", items=[ItemRequest("A model", path=path)])
    fine = save_statistics(folder / "fine.json", models=[
        {"model": "admissions ~ age + sex", "n_observations": 400, "n_parameters": 4}])
    made = airlock.request_release(session, haven, world.project.reference,
                                   requester=world.lead, title="Model",
                                   items=[ItemRequest("A model", path=fine)])
    assert made.items[0].verdict == "pass"
    assert made.items[0].checks["statistics"]["models"] == 1


@pytest.mark.parametrize(("measure", "patients", "suppressed"), [
    ("median", 4, True), ("median", 10, False),
    ("quantiles", 9, True), ("quantiles", 40, False),
    ("mean", 3, True), ("mean", 12, False),
])
def test_query_medians_and_quantiles_on_small_groups_are_suppressed(
        measure: str, patients: int, suppressed: bool) -> None:
    """The query path: every measure stands on the people behind its cell (threshold 10)."""
    values = tuple(float(40 + k) for k in range(patients))
    evidence = CellEvidence(patients=patients, n_values=patients, total=sum(values),
                            largest=tuple(sorted(values, reverse=True)[:2]))
    result = AggregateResult(("quantile",), (("0.5", 41.0),), measure=measure,
                             evidence=(evidence,))
    checked = check_measure_table(result, threshold=10)
    assert (checked.rows[0][-1] is None) == suppressed
    assert checked.verdict == ("review" if suppressed else "pass")

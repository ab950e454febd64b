"""Differencing at request time: each table against the project's releases, in the airlock.

The two cases ACRO passes (tests/outputs/test_differencing.py shows it does) are made here as
a researcher would: a job writes a table with ``helpers.save_table``, the first request is
released by two checkers, the second is flagged with the cells concerned.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from airlock_world import AirlockWorld, build_world
from sqlalchemy.orm import Session

from openhaven.analysis.query_spec import AggregateQuery
from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.outputs import airlock
from openhaven.outputs import repository as outputs
from openhaven.outputs.airlock import ItemRequest
from openhaven.outputs.airlock_models import ReleaseRequest
from openhaven.outputs.helpers import crosstab, save_table, suppress
from openhaven.outputs.service import COMPARABLE_KEY, _comparable
from openhaven.outputs.small_counts import CheckedTable


@pytest.fixture
def world(session: Session, haven: Haven) -> AirlockWorld:
    return build_world(session, haven)


def records(path: Path, groups: dict[tuple[str, ...], int], names: list[str]) -> Path:
    rows = [key for key, n in groups.items() for _ in range(n)]
    pl.DataFrame(rows, schema=names, orient="row").write_parquet(path)
    return path


def job_table(haven: Haven, world: AirlockWorld, name: str, data: Path, rows: list[str],
              cols: list[str], *, where: str | None = None, profile: str = "haven") -> Path:
    folder = haven.paths.project(world.project.reference) / "jobs" / "1" / "output"
    folder.mkdir(parents=True, exist_ok=True)
    table = suppress(crosstab(data, rows, cols, where=where, profile=profile))
    return save_table(table, folder / name)


def request(session: Session, haven: Haven, world: AirlockWorld, path: Path,
            exception: str | None = None) -> ReleaseRequest:
    return airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title=path.stem,
        items=[ItemRequest(f"Table {path.stem}", path=path, exception_reason=exception)])


def release(session: Session, haven: Haven, world: AirlockWorld,
            path: Path) -> ReleaseRequest:
    made = request(session, haven, world, path)
    for checker in (world.checker_a, world.checker_b):
        airlock.review_release(session, haven, made.id, checker=checker, decision="approve")
    assert made.status == "released"
    return made


@pytest.fixture
def case_one(tmp_path: Path) -> Path:
    # (north, f) holds 3 patients: suppressed, and protected within its own table.
    return records(tmp_path / "c1.parquet", {
        ("north", "f", "young"): 2, ("north", "f", "old"): 1,
        ("north", "m", "young"): 20, ("north", "m", "old"): 20,
        ("south", "f", "young"): 13, ("south", "f", "old"): 12,
        ("south", "m", "young"): 25, ("south", "m", "old"): 25,
    }, ["region", "sex", "band"])


@pytest.fixture
def case_two(tmp_path: Path) -> Path:
    # One high-cost patient in (north, f); every cell is large in both tables.
    return records(tmp_path / "c2.parquet", {
        ("north", "f", "no"): 29, ("north", "f", "yes"): 1, ("north", "m", "no"): 35,
        ("south", "f", "no"): 40, ("south", "m", "no"): 38,
    }, ["region", "sex", "high_cost"])


def test_case_one_a_second_tables_row_totals_recover_a_released_suppressed_count(
        session: Session, haven: Haven, world: AirlockWorld, case_one: Path) -> None:
    first = release(session, haven, world,
                    job_table(haven, world, "by-region.json", case_one, ["region"], ["sex"]))
    item = first.items[0]
    assert item.verdict == "pass"
    assert item.checks["controls"]["result"] == "pass"
    assert item.checks["differencing"] == {
        "result": "pass", "threshold": 10, "severity": "review", "compared_with": [],
        "findings": []}

    second = request(session, haven, world, job_table(
        haven, world, "south.json", case_one, ["sex"], ["band"], where="region = 'south'"))
    flagged = second.items[0]
    found = flagged.checks["differencing"]
    assert flagged.verdict == found["result"] == "review"
    assert found["compared_with"] == [f"by-region.json (release {first.id})"]
    kinds = {f["kind"] for f in found["findings"]}
    assert kinds == {"difference", "linked-tables"}
    exposed = next(f for f in found["findings"] if f["kind"] == "linked-tables")
    assert exposed["exact"] is True
    assert exposed["cells"] == [{"table": f"by-region.json (release {first.id})",
                                 "row": ["north"], "col": ["f"], "position": [0, 0]}]
    assert "3" not in " ".join(f["reason"] for f in found["findings"])
    assert airlock.describe_release(session, second, world.checker_a)["items"][0][
        "checks"]["differencing"]["findings"]


def test_case_two_all_patients_then_all_but_a_high_cost_group(
        session: Session, haven: Haven, world: AirlockWorld, case_two: Path) -> None:
    first = release(session, haven, world, job_table(
        haven, world, "everyone.json", case_two, ["region"], ["sex"], profile="acro"))
    second = request(session, haven, world, job_table(
        haven, world, "usual-cost.json", case_two, ["region"], ["sex"], profile="acro",
        where="high_cost = 'no'"))
    found = second.items[0].checks["differencing"]
    assert second.items[0].verdict == "review"
    assert {f["kind"] for f in found["findings"]} == {"difference"}
    pairs = {(f["cells"][0]["row"][0], f["cells"][0]["col"][0]) for f in found["findings"]}
    assert ("north", "f") in pairs and ("south", "m") not in pairs
    outer, inner = found["findings"][0]["cells"]
    assert outer["table"] == f"everyone.json (release {first.id})"
    assert inner["table"] == "usual-cost.json"


@pytest.mark.parametrize("second", ["same table again", "another variable", "other universe"])
def test_no_finding_when_nothing_is_isolated(session: Session, haven: Haven,
                                            world: AirlockWorld, case_two: Path,
                                            second: str) -> None:
    release(session, haven, world, job_table(haven, world, "everyone.json", case_two,
                                             ["region"], ["sex"], profile="acro"))
    folder = haven.paths.project(world.project.reference) / "jobs" / "1" / "output"
    if second == "same table again":
        path = job_table(haven, world, "again.json", case_two, ["region"], ["sex"],
                         profile="acro")
    elif second == "another variable":
        path = job_table(haven, world, "by-sex.json", case_two, ["sex"], ["region"],
                         profile="acro")
    else:
        table = suppress(crosstab(case_two, ["region"], ["sex"], profile="acro",
                                  where="high_cost = 'no'"))
        path = save_table(table, folder / "events.json", universe="admissions")
    made = request(session, haven, world, path)
    assert made.items[0].verdict == "pass"
    assert made.items[0].checks["differencing"]["findings"] == []


def test_tables_of_one_request_are_compared_with_each_other(
        session: Session, haven: Haven, world: AirlockWorld, case_two: Path) -> None:
    everyone = job_table(haven, world, "everyone.json", case_two, ["region"], ["sex"],
                         profile="acro")
    others = job_table(haven, world, "usual-cost.json", case_two, ["region"], ["sex"],
                       profile="acro", where="high_cost = 'no'")
    made = airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title="Both",
        items=[ItemRequest("All", path=everyone), ItemRequest("Most", path=others)])
    assert [i.verdict for i in made.items] == ["review", "review"]
    assert made.items[0].checks["differencing"]["compared_with"] == ["usual-cost.json"]


def test_a_profile_that_fails_differencing_needs_a_written_exception(
        session: Session, haven: Haven, world: AirlockWorld, case_two: Path) -> None:
    (haven.home / "disclosure-profile.yaml").write_text(
        "name: strict\nchecks:\n  threshold:\n    safe_threshold: 10\n"
        "differencing:\n  severity: fail\n", encoding="utf-8")
    release(session, haven, world, job_table(haven, world, "everyone.json", case_two,
                                             ["region"], ["sex"], profile="acro"))
    path = job_table(haven, world, "usual-cost.json", case_two, ["region"], ["sex"],
                     profile="acro", where="high_cost = 'no'")
    with pytest.raises(InvalidInput, match="written exception"):
        request(session, haven, world, path)
    made = request(session, haven, world, path, exception="Published figures are rounded "
                   "in the paper")
    assert made.items[0].verdict == "fail"


def test_a_release_made_meanwhile_sends_an_approved_request_back(
        session: Session, haven: Haven, world: AirlockWorld, case_two: Path) -> None:
    waiting = request(session, haven, world, job_table(
        haven, world, "usual-cost.json", case_two, ["region"], ["sex"], profile="acro",
        where="high_cost = 'no'"))
    assert waiting.items[0].verdict == "pass"  # nothing released yet to compare with
    release(session, haven, world, job_table(haven, world, "everyone.json", case_two,
                                             ["region"], ["sex"], profile="acro"))
    for checker in (world.checker_a, world.checker_c):
        airlock.review_release(session, haven, waiting.id, checker=checker, decision="approve")
    assert waiting.status == "returned"
    assert waiting.items[0].verdict == "review"
    assert "release.rechecked" in [e.action for e in read_entries(haven)]
    # Resubmitted, the findings stay attached for the next round's checkers to weigh.
    airlock.resubmit_release(session, haven, waiting.id, requester=world.lead)
    assert waiting.items[0].checks["differencing"]["findings"]


def test_a_table_whose_control_record_does_not_hold_fails(
        session: Session, haven: Haven, world: AirlockWorld, case_one: Path) -> None:
    path = job_table(haven, world, "by-region.json", case_one, ["region"], ["sex"])
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    document["tables"]["count"][0][0] = 3  # the suppressed cell, published after all
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidInput, match="written exception"):
        request(session, haven, world, path)
    made = request(session, haven, world, path, exception="trust me")
    controls = made.items[0].checks["controls"]
    assert controls["result"] == "fail" and controls["recomputed"] is True
    assert {f["control"] for f in controls["findings"]} == {"primary-suppression", "threshold"}
    assert all(f["cells"] == [[0, 0]] for f in controls["findings"])


def query_output(session: Session, world: AirlockWorld, name: str,
                 population: dict[str, object] | None, counts: dict[str, int | None]) -> int:
    raw: dict[str, object] = {"name": name, "measure": "count_patients", "group_by": ["sex"],
                              "reference_date": "2026-01-01"}
    if population:
        raw["population"] = population
    query = AggregateQuery.from_dict(raw)
    checked = CheckedTable(("sex",), tuple((k, v) for k, v in counts.items()), "pass", {})
    comparable = _comparable(query, checked, extract_version=1)
    assert comparable is not None
    return outputs.record_output(
        session, project_id=world.project.id, extract_id=None, kind="query", name=name,
        created_at=utc_now(), result=checked.as_dict(), verdict="pass",
        checks={"minimum_cell_count": {"suppressed_cells": []}, COMPARABLE_KEY: comparable},
        status="checked").id


def test_query_outputs_are_compared_too(session: Session, haven: Haven,
                                        world: AirlockWorld) -> None:
    everyone = query_output(session, world, "everyone", None, {"female": 40, "male": 35})
    first = airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title="All",
        items=[ItemRequest("Patients by sex", output_id=everyone)])
    for checker in (world.checker_a, world.checker_b):
        airlock.review_release(session, haven, first.id, checker=checker, decision="approve")
    assert COMPARABLE_KEY not in first.items[0].checks  # kept in release_tables instead
    diagnosed = query_output(session, world, "diagnosed", {
        "conditions": {"code_system": "snomed", "codes": ["38341003"]}},
        {"female": 37, "male": 35})
    same_population = query_output(session, world, "everyone again", None,
                                   {"female": 40, "male": 35})
    second = airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title="Subgroup",
        items=[ItemRequest("Diagnosed patients by sex", output_id=diagnosed),
               ItemRequest("Everyone again", output_id=same_population)])
    # The subgroup lies inside the released table and inside this request's other table,
    # three women fewer: both pairs are found; the other table is flagged beside it.
    flagged, beside = second.items
    assert flagged.verdict == beside.verdict == "review"
    finding = flagged.checks["differencing"]["findings"]
    assert {(f["kind"], tuple(f["cells"][0]["row"])) for f in finding} == {
        ("difference", ("female",))}
    assert {f["cells"][0]["table"] for f in finding} == {
        f"{first.items[0].name} (release {first.id})", beside.name}
    alone = airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title="Again",
        items=[ItemRequest("Everyone again", output_id=same_population)])
    assert alone.items[0].verdict == "pass"
    assert alone.items[0].checks["differencing"]["compared_with"] == [
        f"{first.items[0].name} (release {first.id})"]


def test_only_counts_of_patients_are_kept_comparable() -> None:
    query = AggregateQuery.from_dict({"name": "mean age", "measure": {"kind": "mean",
                                                                      "of": "age"},
                                      "group_by": ["sex"], "reference_date": "2026-01-01"})
    assert _comparable(query, CheckedTable(("sex",), (("female", 50.5),), "pass", {}), 1) \
        is None

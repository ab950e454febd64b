"""Through the provisioning service: look-up operators count what they could not place, and
an extract still reads after the haven's home moves."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from pipeline_fixtures import approved_project, write_population
from sqlalchemy.orm import Session

from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import run_query_unsafe
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.jobs.sandbox import SandboxLimits, isolation_problem, run_sandboxed
from openhaven.ledger import read_entries
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.service import provision_extract
from openhaven.provisioning.specification import DatasetSpecification

AT = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
#: ICD-10 codes climb subcategory -> category -> block -> chapter, so three levels up a
#: subcategory (E11.9) reaches its chapter while a category (I10) has nothing left
LOOKUPS: dict[str, Any] = {"tables": {
    "patients": {"patient_id": "pseudonymise", "sex": "keep", "postcode": "postcode_region"},
    "conditions": {"patient_id": "pseudonymise", "code_system": "keep",
                   "code": "code_parent:3"},
}}


def _query(path: Path, sql: str) -> list[dict[str, Any]]:
    with open_session(path, read_only=True) as data:
        rows: list[dict[str, Any]] = data.query(sql).to_pylist()
    return rows


def test_values_a_look_up_cannot_place_become_null_and_are_counted(
    session: Session, haven: Haven
) -> None:
    store = write_population(haven.paths.record_store)
    reference = approved_project(session, haven, LOOKUPS, suffix="look").reference
    report = provision_extract(session, haven, reference, actor="custodian", cut_off=AT)
    extract = haven.home / report.path
    source = _query(store, "SELECT code, count(*) AS n FROM conditions GROUP BY code")
    categories = sum(r["n"] for r in source if "." not in r["code"])
    written = _query(extract, "SELECT code, count(*) AS n FROM conditions GROUP BY code")
    assert categories > 0
    assert {r["code"]: r["n"] for r in written}[None] == categories
    assert {r["code"] for r in written} - {None} <= {"IV", "X"}  # the chapters of E and J
    assert report.generalised_to_null == {"conditions.code": categories,
                                          "patients.postcode": 0}
    regions = _query(extract, "SELECT DISTINCT postcode_region AS r FROM patients ORDER BY r")
    assert [r["r"] for r in regions] == ["London", "North West", "Yorkshire and The Humber"]
    [event] = [e for e in read_entries(haven, action_prefix="extract.provisioned")
               if e.subject == reference]
    assert event.details["generalised_to_null"] == report.generalised_to_null


def test_an_extract_reads_after_the_havens_home_moves(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    write_population(haven.paths.record_store)
    reference = approved_project(session, haven, LOOKUPS, suffix="move").reference
    report = provision_extract(session, haven, reference, actor="custodian", cut_off=AT)
    moved = tmp_path / "elsewhere" / "haven"
    shutil.copytree(haven.home, moved)
    # nothing is left at the old place for the moved extract to lean on
    haven.paths.projects.rename(haven.home / "projects-removed")
    extract = Haven.open(moved).home / report.path
    assert _query(extract, "SELECT count(*) AS n FROM patients") == [
        {"n": report.patient_count}]
    counted = run_query_unsafe(extract, AggregateQuery.from_dict(
        {"name": "by sex", "group_by": ["sex"]}))
    assert sum(row[-1] for row in counted.rows) == report.patient_count
    # a reader outside the haven's engine (a job's own DuckDB) needs the folder as its
    # search path, as docs/provisioning.md says; the extract's file names no absolute path
    assert str(haven.home).encode() not in (extract).read_bytes()


def test_a_job_in_the_sandbox_reads_the_views_where_the_extract_is_mounted(
    tmp_path: Path,
) -> None:
    problem = isolation_problem()
    if problem is not None:
        pytest.skip(f"no sandbox here: {problem}")
    store = write_population(tmp_path / "records.duckdb")
    build = build_extract(store, tmp_path / "v1",
                          specification=DatasetSpecification.from_dict(LOOKUPS),
                          project_key=b"k" * 32, opted_out_nhs_numbers=[])
    script = tmp_path / "count.py"
    script.write_text(
        "import os, duckdb\n"
        "extract = os.environ['OPENHAVEN_EXTRACT']\n"
        "con = duckdb.connect(extract, read_only=True,\n"
        "                     config={'file_search_path': os.path.dirname(extract)})\n"
        "print('patients', con.sql('SELECT count(*) FROM patients').fetchall()[0][0])\n",
        encoding="utf-8")
    output, scratch = tmp_path / "output", tmp_path / "scratch"
    output.mkdir()
    scratch.mkdir()
    run = run_sandboxed(script, extract=build.path, output=output, scratch=scratch,
                        limits=SandboxLimits(wall_seconds=60.0))
    assert run.exit_code == 0, run.log
    assert f"patients {build.patient_count}" in run.log


def test_unplaceable_postcodes_are_counted_whatever_the_table(tmp_path: Path) -> None:
    store = write_population(tmp_path / "records.duckdb")
    with open_session(store) as data:
        data.execute("UPDATE patients SET postcode = 'GY1 1AA' WHERE patient_id IN "
                     "('p000', 'p001', 'p002')")
        data.execute("UPDATE patients SET postcode = NULL WHERE patient_id = 'p003'")
    build = build_extract(store, tmp_path / "v1",
                          specification=DatasetSpecification.from_dict(LOOKUPS),
                          project_key=b"k" * 32, opted_out_nhs_numbers=[])
    assert build.generalised_to_null["patients.postcode"] == 3
    nulls = _query(build.path, "SELECT count(*) AS n FROM patients WHERE postcode_region IS NULL")
    assert nulls == [{"n": 4}]  # the three Guernsey postcodes and the one never recorded

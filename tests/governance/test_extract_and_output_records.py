"""Extract and output records: versions, JSON fields, lookups, on each engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, NotFound
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import Project
from openhaven.outputs import repository as outputs
from openhaven.provisioning import repository as extracts

CUT_OFF = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def project(session: Session, haven: Haven) -> Project:
    organisation = governance.register_organisation(
        session, haven, name="Records Trust", kind="nhs", actor="custodian"
    )
    lead = governance.register_person(
        session,
        haven,
        display_name="R",
        email="r@trust.nhs.uk",
        roles=["researcher"],
        organisation=organisation,
        actor="custodian",
    )
    return governance.create_project(
        session,
        haven,
        title="Extract test",
        lay_summary="l",
        purpose="p",
        purpose_codes="HMB",
        organisation=organisation,
        lead=lead,
        legal_basis="UK GDPR 6(1)(e) and 9(2)(j); anonymised",
        identifiability="pseudonymised",
        commercial=False,
        dataset_specification={"tables": {"patients": {"patient_id": "pseudonymise"}}},
        team=[],
        actor="custodian",
    )


def _extract_fields(project: Project, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "project_id": project.id,
        "cut_off": CUT_OFF,
        "path": f"projects/{project.reference}/extracts/v1",
        "patient_count": 120,
        "row_counts": {"patients": 120, "admissions": 340},
        "removed_by_choices": 7,
        "choices_snapshot_hash": "a" * 64,
        "patients_digest": "b" * 64,
        "status": "current",
    }
    fields.update(changes)
    return fields


def test_extract_versions_count_up_per_project(session: Session, project: Project) -> None:
    assert extracts.latest_extract(session, project.id) is None
    first = extracts.record_extract(session, **_extract_fields(project, version=1))
    second = extracts.record_extract(
        session, **_extract_fields(project, row_counts=json.dumps({"patients": 99}))
    )
    assert second.version == 2
    assert second.row_counts == {"patients": 99}
    assert extracts.latest_extract(session, project.id) == second
    assert extracts.list_extracts(session, project.id) == [first, second]
    assert extracts.list_extracts(session) == [first, second]
    assert extracts.list_extracts(session, project.id + 1000) == []
    session.expire_all()
    reread = extracts.get_extract(session, first.id)
    assert reread.row_counts == {"patients": 120, "admissions": 340}
    assert reread.cut_off == CUT_OFF
    extracts.set_extract_status(session, reread, "stale")
    assert extracts.get_extract(session, first.id).status == "stale"
    with pytest.raises(InvalidInput, match="status"):
        extracts.set_extract_status(session, reread, "lost")
    with pytest.raises(NotFound):
        extracts.get_extract(session, 987654)


def test_an_extract_version_cannot_be_recorded_twice(session: Session, project: Project) -> None:
    extracts.record_extract(session, **_extract_fields(project, version=1))
    with pytest.raises(IntegrityError), session.begin_nested():
        extracts.record_extract(session, **_extract_fields(project, version=1))


def test_outputs_keep_their_checked_result_and_checks(session: Session, project: Project) -> None:
    extract = extracts.record_extract(session, **_extract_fields(project))
    table = {"columns": ["sex", "count"], "rows": [["F", 40], ["M", None]]}
    checks = {"minimum_cell_count": {"threshold": 10, "suppressed_cells": 1}}
    first = outputs.record_output(
        session,
        project_id=project.id,
        extract_id=extract.id,
        kind="query",
        name="by sex",
        result=json.dumps(table),
        verdict="review",
        checks=json.dumps(checks),
        status="checked",
    )
    second = outputs.record_output(
        session,
        project_id=project.id,
        extract_id=None,
        kind="job",
        name="model",
        result=table,
        verdict="pass",
        checks=checks,
    )
    session.expire_all()
    reread = outputs.get_output(session, first.id)
    assert (reread.result, reread.checks) == (table, checks)
    assert outputs.get_output(session, second.id).result == table
    assert second.status == "checked"
    assert [o.name for o in outputs.list_outputs(session, project.id)] == ["by sex", "model"]
    assert outputs.list_outputs(session, project.id + 1000) == []
    outputs.set_output_status(session, reread, "released")
    assert outputs.get_output(session, first.id).status == "released"
    with pytest.raises(InvalidInput, match="result"):
        outputs.record_output(
            session,
            project_id=project.id,
            kind="query",
            name="x",
            result="{not json",
            verdict="pass",
            checks={},
        )

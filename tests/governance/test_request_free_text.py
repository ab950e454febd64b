"""The request's free-text allowance: asked for, shown, approved, carried to provisioning.

Notes are dropped unless the approved request allows de-identified free text
(``data.free_text: deidentified``); the allowance reaches the project's dataset
specification, where ``check_identifiability`` reads it. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from governance_cast import SPECIFICATION, Cast, make_project
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, SafeguardRefused
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.access_request import AccessRequest
from openhaven.ledger import read_entries
from openhaven.provisioning.specification import DatasetSpecification

WITH_NOTES: dict[str, Any] = {"tables": {
    **SPECIFICATION["tables"],
    "notes": {"patient_id": "pseudonymise", "note_date": "month", "text": "deidentify_text"},
}}


def test_the_allowance_reaches_the_specification_and_the_record(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = make_project(session, haven, cast, dataset_specification=WITH_NOTES,
                           request_details={"free_text": "deidentified"})
    stored = project.dataset_specification
    assert stored["free_text"] == "deidentified"
    DatasetSpecification.from_dict(stored).check_identifiability(project.identifiability)
    content = project.requests[0].content
    assert content["data"]["free_text"] == "deidentified"
    assert AccessRequest.from_dict(content).as_dict() == content
    created = [e for e in read_entries(haven, action_prefix="project.created")
               if e.subject == project.reference]
    assert created[-1].details["free_text"] == "deidentified"


def test_without_the_allowance_the_operator_is_refused(
    session: Session, haven: Haven, cast: Cast
) -> None:
    # where the request is written: refused naming the field, and nothing is written ...
    before = len(service.list_projects(session))
    with pytest.raises(InvalidInput) as at_request:
        make_project(session, haven, cast, dataset_specification=WITH_NOTES)
    assert at_request.value.location is not None
    assert at_request.value.location.field == "data.tables.notes.text"
    assert len(service.list_projects(session)) == before
    # ... and again at provisioning, whatever route a specification took to get there
    specification = DatasetSpecification.from_dict(WITH_NOTES)
    with pytest.raises(SafeguardRefused) as refused:
        specification.check_identifiability("pseudonymised")
    assert refused.value.location is not None
    assert refused.value.location.field == "tables.notes.text"


def test_a_bad_allowance_is_refused_naming_the_field_and_nothing_is_written(
    session: Session, haven: Haven, cast: Cast
) -> None:
    before = len(service.list_projects(session))
    with pytest.raises(InvalidInput) as refused:
        make_project(session, haven, cast, dataset_specification=WITH_NOTES,
                     request_details={"free_text": "verbatim"})
    assert refused.value.location is not None
    assert refused.value.location.field == "data.free_text"
    assert len(service.list_projects(session)) == before

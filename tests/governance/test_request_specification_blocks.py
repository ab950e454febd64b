"""The request's cohort and privacy blocks reach the project's dataset specification.

What the committee approves must be exactly what provisioning builds: the tables, the
cohort's criteria and the privacy model. Each case is run on SQLite and PostgreSQL (the
``session`` fixture), and each refusal names the field and writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from governance_cast import SPECIFICATION, Cast, make_project
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.access_request import AccessRequest
from openhaven.provisioning.specification import DatasetSpecification

CRITERIA = {"conditions": ["J45"], "age": [18, 65], "onset": ["2015-01-01", None]}
PRIVACY = {"quasi_identifiers": ["date_of_birth_year", "sex"], "k": 5,
           "suppression": "record", "suppression_limit": 0.05}
PRIVACY_STORED = {**PRIVACY, "risk_threshold": 0.2}


@pytest.mark.parametrize(
    ("case", "specification", "details", "cohort", "privacy", "description"),
    [
        ("tables only", SPECIFICATION, {}, None, None, ""),
        ("description only", SPECIFICATION, {"cohort": "Adults with asthma"}, None, None,
         "Adults with asthma"),
        ("criteria in the request", SPECIFICATION, {"cohort": CRITERIA}, CRITERIA, None, ""),
        ("criteria with a description", SPECIFICATION,
         {"cohort": {**CRITERIA, "description": "Adults with asthma"}}, CRITERIA, None,
         "Adults with asthma"),
        ("privacy in the request", SPECIFICATION, {"privacy": PRIVACY}, None, PRIVACY_STORED,
         ""),
        ("both in the specification", {**SPECIFICATION, "cohort": CRITERIA,
                                       "privacy": PRIVACY}, {}, CRITERIA, PRIVACY_STORED, ""),
        ("criteria in the specification, description in the request",
         {**SPECIFICATION, "cohort": CRITERIA}, {"cohort": "Adults with asthma"}, CRITERIA,
         None, "Adults with asthma"),
    ],
)
def test_cohort_and_privacy_reach_the_dataset_specification(
    session: Session, haven: Haven, cast: Cast, case: str, specification: dict[str, Any],
    details: dict[str, Any], cohort: dict[str, Any] | None, privacy: dict[str, Any] | None,
    description: str,
) -> None:
    project = make_project(session, haven, cast, dataset_specification=specification,
                           request_details=details)
    stored = project.dataset_specification
    assert stored["tables"] == SPECIFICATION["tables"], case
    assert stored.get("cohort") == cohort, case
    assert stored.get("privacy") == privacy, case
    built = DatasetSpecification.from_dict(stored)
    assert (built.privacy is not None) == (privacy is not None)
    assert built.cohort.is_everyone == (cohort is None)

    # The stored request version reads back as the same request, blocks and description.
    content = project.requests[0].content
    request = AccessRequest.from_dict(content)
    assert request.data.cohort == description
    assert request.dataset_specification() == built
    assert request.as_dict() == content


def test_a_request_file_carries_its_blocks_to_the_project(
    session: Session, haven: Haven, cast: Cast
) -> None:
    raw = {
        "title": "Asthma admissions and air quality",
        "lay_summary": "Whether poor air days send more people with asthma to hospital.",
        "purpose": "Health research",
        "purpose_codes": ["HMB"],
        "public_benefit": "Fewer asthma admissions on poor air days.",
        "declared_uses": ["research"],
        "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)",
                        "common_law": "anonymised"},
        "identifiability": "pseudonymised",
        "commercial": False,
        "safeguards_accepted": True,
        "organisation": cast.university.name,
        "lead": "lead@testing.ac.uk",
        "team": ["colleague@testing.ac.uk"],
        "data": {**SPECIFICATION, "cohort": {**CRITERIA, "description": "Adults"},
                 "privacy": PRIVACY},
    }
    project = service.create_project_from_request(session, haven, raw, actor="custodian",
                                                  source="request.yaml")
    assert project.dataset_specification["cohort"] == CRITERIA
    assert project.dataset_specification["privacy"] == PRIVACY_STORED


@pytest.mark.parametrize(
    ("case", "data", "field", "words"),
    [
        ("cohort neither text nor mapping", {"cohort": 7}, "data.cohort",
         "description or a mapping"),
        ("unknown criterion", {"cohort": {"postcode": ["LS1"]}}, "data.cohort",
         "Unknown cohort criteria"),
        ("conditions not a list", {"cohort": {"conditions": "J45"}}, "data.cohort.conditions",
         "list of codes"),
        ("age the wrong way round", {"cohort": {"age": [70, 40]}}, "data.cohort.age",
         "starts after it ends"),
        ("onset not a date", {"cohort": {"onset": ["soon", None]}}, "data.cohort.onset",
         "wrong kind"),
        ("description not text", {"cohort": {"description": 3}}, "data.cohort.description",
         "must be text"),
        ("privacy not a mapping", {"privacy": ["k", 5]}, "data.privacy", "must be a mapping"),
        ("k below one", {"privacy": {**PRIVACY, "k": 0}}, "data.privacy.k", "at least 1"),
        ("quasi-identifier not in the extract",
         {"privacy": {**PRIVACY, "quasi_identifiers": ["postcode_district"]}}, "data.privacy",
         "not a column"),
        ("l without a sensitive column", {"privacy": {**PRIVACY, "l": 2}},
         "data.privacy.sensitive", "need privacy.sensitive"),
        ("suppression unknown", {"privacy": {**PRIVACY, "suppression": "some"}},
         "data.privacy.suppression", "must be one of"),
    ],
)
def test_a_bad_block_is_refused_naming_the_field_and_nothing_is_written(
    session: Session, haven: Haven, cast: Cast, case: str, data: dict[str, Any], field: str,
    words: str,
) -> None:
    before = len(service.list_projects(session))
    with pytest.raises(InvalidInput) as refused:
        make_project(session, haven, cast, request_details=data)
    assert refused.value.location is not None
    assert refused.value.location.field == field, case
    assert words in refused.value.message, case
    assert len(service.list_projects(session)) == before

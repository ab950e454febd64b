"""A cast of people and a well-formed request that governance tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.access import record_accreditation
from openhaven.governance.models import Organisation, Person, Project

CUSTODIAN = "custodian"
REQUIRED = ("accredited_researcher", "ig_training")
SPECIFICATION = {
    "tables": {
        "patients": {"patient_id": "pseudonymise", "date_of_birth": "year", "sex": "keep"},
        "conditions": {"patient_id": "pseudonymise", "code_system": "keep", "code": "keep",
                       "onset_date": "month"},
    }
}


@dataclass
class Cast:
    university: Organisation
    company: Organisation
    lead: Person
    colleague: Person
    chair: Person
    vice: Person
    committee_colleague: Person
    checker: Person
    admin: Person


def accredit(session: Session, haven: Haven, person: Person, *, days_left: int = 365,
             kinds: tuple[str, ...] = REQUIRED) -> None:
    start = utc_now() - timedelta(days=30)
    for kind in kinds:
        record_accreditation(session, haven, person, kind=kind, valid_from=start,
                             expires_at=utc_now() + timedelta(days=days_left), actor=CUSTODIAN)


@pytest.fixture
def cast(session: Session, haven: Haven) -> Cast:
    university = service.register_organisation(
        session, haven, name="University of Testing", kind="academic", actor=CUSTODIAN
    )
    company = service.register_organisation(
        session, haven, name="Testing Analytics Ltd", kind="commercial", actor=CUSTODIAN
    )

    def person(name: str, roles: list[str]) -> Person:
        return service.register_person(
            session, haven, display_name=name, email=f"{name.lower()}@testing.ac.uk",
            roles=roles, organisation=university, actor=CUSTODIAN,
        )

    found = Cast(
        university=university,
        company=company,
        lead=person("Lead", ["researcher", "committee_member"]),
        colleague=person("Colleague", ["researcher"]),
        chair=person("Chair", ["committee_member"]),
        vice=person("Vice", ["committee_member"]),
        committee_colleague=person("Teammate", ["committee_member", "researcher"]),
        checker=person("Checker", ["output_checker"]),
        admin=person("Admin", ["custodian_admin"]),
    )
    for member in (found.lead, found.colleague, found.committee_colleague):
        accredit(session, haven, member)
    return found


def project_fields(cast: Cast, **changes: Any) -> dict[str, Any]:
    """Keyword arguments for ``create_project`` that screening allows."""
    details = {
        "public_benefit": "Fewer asthma admissions on poor air days.",
        "declared_uses": ["research"],
        "safeguards_accepted": True,
        "duration_days": 180,
    }
    details.update(changes.pop("request_details", {}))
    fields: dict[str, Any] = {
        "title": "Asthma admissions and air quality",
        "lay_summary": "Whether poor air days send more people with asthma to hospital.",
        "purpose": "Health research",
        "purpose_codes": ["HMB"],
        "organisation": cast.university,
        "lead": cast.lead,
        "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)",
                        "common_law": "anonymised"},
        "identifiability": "pseudonymised",
        "commercial": False,
        "dataset_specification": SPECIFICATION,
        "team": [cast.colleague, cast.committee_colleague],
        "actor": cast.lead.reference,
        "request_details": details,
    }
    fields.update(changes)
    return fields


def make_project(session: Session, haven: Haven, cast: Cast, **changes: Any) -> Project:
    return service.create_project(session, haven, **project_fields(cast, **changes))


def submitted(session: Session, haven: Haven, cast: Cast, **changes: Any) -> Project:
    project = make_project(session, haven, cast, **changes)
    return service.submit_project(session, haven, project.reference, actor=cast.lead.reference)


def approved(session: Session, haven: Haven, cast: Cast, **changes: Any) -> Project:
    project = submitted(session, haven, cast, **changes)
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="Proportionate; lawful.", acknowledge_flags=True)
    assert project.status == "approved"
    return project

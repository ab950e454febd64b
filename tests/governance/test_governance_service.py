"""Governance services: registering people, and a project's way from draft to approval."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.models import Organisation, Person, Project
from openhaven.ledger import read_entries

CUSTODIAN = "custodian"


@dataclass
class Cast:
    university: Organisation
    lead: Person
    colleague: Person
    chair: Person
    committee_colleague: Person
    checker: Person


@pytest.fixture
def cast(session: Session, haven: Haven) -> Cast:
    university = service.register_organisation(
        session, haven, name="University of Testing", kind="academic", actor=CUSTODIAN
    )

    def person(name: str, roles: list[str]) -> Person:
        return service.register_person(
            session,
            haven,
            display_name=name,
            email=f"{name.lower()}@testing.ac.uk",
            roles=roles,
            organisation=university,
            actor=CUSTODIAN,
        )

    return Cast(
        university=university,
        lead=person("Lead", ["researcher", "committee_member"]),
        colleague=person("Colleague", ["researcher"]),
        chair=person("Chair", ["committee_member"]),
        committee_colleague=person("Teammate", ["committee_member", "researcher"]),
        checker=person("Checker", ["output_checker"]),
    )


def _project(session: Session, haven: Haven, cast: Cast, **changes: object) -> Project:
    fields: dict[str, object] = {
        "title": "Asthma admissions and air quality",
        "lay_summary": "Whether poor air days send more people with asthma to hospital.",
        "purpose": "Health research",
        "purpose_codes": ["DUO:0000042", "HMB"],
        "organisation": cast.university,
        "lead": cast.lead,
        "legal_basis": "UK GDPR 6(1)(e) and 9(2)(j)",
        "identifiability": "pseudonymised",
        "commercial": False,
        "dataset_specification": {"tables": ["patients", "admissions"]},
        "team": [cast.colleague, cast.committee_colleague],
        "actor": cast.lead.reference,
    }
    fields.update(changes)
    return service.create_project(session, haven, **fields)


def _submitted(session: Session, haven: Haven, cast: Cast) -> Project:
    project = _project(session, haven, cast)
    return service.submit_project(session, haven, project.reference, actor=cast.lead.reference)


def test_a_project_starts_as_a_draft_with_a_yearly_reference(
    session: Session, haven: Haven, cast: Cast
) -> None:
    first = _project(session, haven, cast)
    second = _project(session, haven, cast, purpose_codes="GRU, NCU")
    year = utc_now().year
    assert first.reference == f"OH-{year}-0001"
    assert second.reference == f"OH-{year}-0002"
    assert first.status == "draft"
    assert {m.person.display_name: m.role_in_project for m in first.members} == {
        "Lead": "lead",
        "Colleague": "member",
        "Teammate": "member",
    }
    assert second.purpose_code_list == ["GRU", "NCU"]
    assert not service.is_active(first)


def test_approval_by_an_independent_committee_member(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = _submitted(session, haven, cast)
    approved = service.approve_project(
        session,
        haven,
        project.reference,
        approver=cast.chair,
        reasons="Proportionate; lawful.",
        duration_days=30,
    )
    assert approved.status == "approved"
    assert approved.approved_at is not None and approved.expires_at is not None
    assert approved.expires_at - approved.approved_at == timedelta(days=30)
    assert service.is_active(approved)
    assert service.is_active(approved, approved.approved_at + timedelta(days=29))
    assert not service.is_active(approved, approved.expires_at)
    assert not service.is_active(approved, approved.approved_at - timedelta(seconds=1))
    [decision] = approved.decisions
    assert (decision.decision, decision.by_person_id, decision.reasons) == (
        "approved",
        cast.chair.id,
        "Proportionate; lawful.",
    )
    entry = list(read_entries(haven, action_prefix="project.approved"))[-1]
    assert (entry.actor, entry.subject) == (cast.chair.reference, project.reference)
    assert entry.details["reasons"] == "Proportionate; lawful."


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("lead", "lead may not .* their own project"),
        ("committee_colleague", "member of the project's team"),
        ("colleague", "Only a committee member"),
        ("checker", "Only a committee member"),
    ],
)
def test_approval_is_refused_to_anyone_but_an_independent_committee_member(
    session: Session, haven: Haven, cast: Cast, who: str, why: str
) -> None:
    project = _submitted(session, haven, cast)
    with pytest.raises(PermissionDenied, match=why):
        service.approve_project(
            session, haven, project.reference, approver=getattr(cast, who), reasons="Fine."
        )
    with pytest.raises(PermissionDenied, match=why):
        service.reject_project(
            session, haven, project.reference, approver=getattr(cast, who), reasons="No."
        )
    assert service.get_project(session, project.reference).status == "submitted"
    assert project.decisions == []
    assert list(read_entries(haven, action_prefix="project.approved")) == []


def test_only_a_submitted_project_can_be_approved(
    session: Session, haven: Haven, cast: Cast
) -> None:
    draft = _project(session, haven, cast)
    with pytest.raises(Conflict, match="only a submitted project"):
        service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="x")
    service.submit_project(session, haven, draft.reference, actor=CUSTODIAN)
    with pytest.raises(Conflict, match="only a draft"):
        service.submit_project(session, haven, draft.reference, actor=CUSTODIAN)
    service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="ok")
    with pytest.raises(Conflict):
        service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="x")
    assert len(draft.decisions) == 1


def test_a_rejected_project_cannot_then_be_approved(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = _submitted(session, haven, cast)
    rejected = service.reject_project(
        session, haven, project.reference, approver=cast.chair, reasons="No lawful basis."
    )
    assert rejected.status == "rejected"
    assert not service.is_active(rejected)
    with pytest.raises(Conflict):
        service.approve_project(session, haven, project.reference, approver=cast.chair, reasons="x")
    assert [d.decision for d in rejected.decisions] == ["rejected"]


def test_suspending_and_closing_end_access(session: Session, haven: Haven, cast: Cast) -> None:
    project = _submitted(session, haven, cast)
    with pytest.raises(Conflict, match="only an approved project"):
        service.suspend_project(
            session, haven, project.reference, decided_by=cast.chair, reasons="Breach."
        )
    service.approve_project(session, haven, project.reference, approver=cast.chair, reasons="ok")
    with pytest.raises(PermissionDenied):
        service.suspend_project(
            session, haven, project.reference, decided_by=cast.colleague, reasons="Breach."
        )
    service.suspend_project(
        session, haven, project.reference, decided_by=cast.chair, reasons="Breach reported."
    )
    assert project.status == "suspended"
    assert not service.is_active(project)
    with pytest.raises(PermissionDenied):
        service.close_project(
            session, haven, project.reference, decided_by=cast.checker, reasons="Done."
        )
    service.close_project(session, haven, project.reference, decided_by=cast.lead, reasons="Done.")
    assert project.status == "closed"
    assert [d.decision for d in project.decisions] == ["approved", "suspended", "closed"]
    with pytest.raises(Conflict):
        service.close_project(
            session, haven, project.reference, decided_by=cast.lead, reasons="Again."
        )
    actions = [e.action for e in read_entries(haven, action_prefix="project.")]
    assert actions[-2:] == ["project.suspended", "project.closed"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"identifiability": "fully_identified"}, "identifiability"),
        ({"purpose_codes": []}, "purpose_codes"),
        ({"purpose_codes": ["anything goes"]}, "purpose_codes"),
        ({"commercial": "no"}, "commercial"),
        ({"dataset_specification": {"when": object()}}, "dataset_specification"),
    ],
)
def test_invalid_projects_are_refused_naming_the_field(
    session: Session, haven: Haven, cast: Cast, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _project(session, haven, cast, **changes)
    assert caught.value.location is not None and caught.value.location.field == field
    assert service.list_projects(session) == []


def test_approval_needs_reasons_and_a_positive_duration(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = _submitted(session, haven, cast)
    with pytest.raises(InvalidInput, match="reasons"):
        service.approve_project(session, haven, project.reference, approver=cast.chair, reasons="")
    with pytest.raises(InvalidInput, match="duration_days"):
        service.approve_project(
            session, haven, project.reference, approver=cast.chair, reasons="ok", duration_days=0
        )
    with pytest.raises(InvalidInput, match="10-digit"):
        service.approve_project(
            session, haven, project.reference, approver=cast.chair, reasons="See 9434765919"
        )
    assert project.status == "submitted"
    assert list(read_entries(haven, action_prefix="project.approved")) == []


def test_people_and_organisations_are_registered_once(
    session: Session, haven: Haven, cast: Cast
) -> None:
    with pytest.raises(Conflict, match="email"):
        service.register_person(
            session,
            haven,
            display_name="Twin",
            email="LEAD@testing.ac.uk",
            roles=[],
            organisation=None,
            actor=CUSTODIAN,
        )
    with pytest.raises(Conflict, match="name"):
        service.register_organisation(
            session, haven, name="University of Testing", kind="academic", actor=CUSTODIAN
        )
    with pytest.raises(InvalidInput, match="kind must be one of"):
        service.register_organisation(session, haven, name="Acme", kind="pharma", actor=CUSTODIAN)
    with pytest.raises(InvalidInput) as caught:
        service.register_person(
            session,
            haven,
            display_name="X",
            email="x@y.org",
            roles=["overlord"],
            organisation=None,
            actor=CUSTODIAN,
        )
    assert caught.value.location is not None and caught.value.location.field == "roles"
    with pytest.raises(InvalidInput, match="email"):
        service.register_person(
            session,
            haven,
            display_name="X",
            email="not-an-address",
            roles=[],
            organisation=None,
            actor=CUSTODIAN,
        )
    assert service.find_person_by_email(session, "Lead@Testing.ac.uk") == cast.lead
    assert cast.lead.role_names == {"researcher", "committee_member"}
    assert service.get_person(session, cast.chair.id) == cast.chair


def test_lookups_and_the_public_summary(session: Session, haven: Haven, cast: Cast) -> None:
    project = _submitted(session, haven, cast)
    service.approve_project(session, haven, project.reference, approver=cast.chair, reasons="ok")
    with pytest.raises(NotFound):
        service.get_project(session, "OH-1999-0001")
    assert [p.reference for p in service.list_projects(session)] == [project.reference]
    summary = service.project_summary(project)
    assert json.loads(json.dumps(summary)) == summary
    assert summary["reference"] == project.reference
    assert summary["status"] == "approved"
    assert summary["organisation"] == "University of Testing"
    assert summary["identifiability"] == "pseudonymised"
    assert summary["purpose_codes"] == ["DUO:0000042", "HMB"]
    assert summary["expires_at"] is not None
    assert "testing.ac.uk" not in json.dumps(summary)


def test_every_change_is_in_the_ledger_and_no_email_is(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = _submitted(session, haven, cast)
    service.approve_project(session, haven, project.reference, approver=cast.chair, reasons="ok")
    actions = [entry.action for entry in read_entries(haven)]
    assert actions == ["organisation.registered"] + ["person.registered"] * 5 + [
        "project.created",
        "project.submitted",
        "project.approved",
    ]
    ledger_text = (haven.paths.ledger / "entries.jsonl").read_text(encoding="utf-8")
    assert "@testing.ac.uk" not in ledger_text
    assert "Colleague" not in ledger_text

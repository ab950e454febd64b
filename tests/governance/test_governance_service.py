"""Governance services: registering people, and a project's way from draft to approval."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from governance_cast import (
    CUSTODIAN,
    Cast,
    approved,
    make_project,
    project_fields,
    submitted,
)
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.models import Project
from openhaven.ledger import read_entries


def _project(session: Session, haven: Haven, cast: Cast, **changes: object) -> Project:
    return make_project(session, haven, cast, **changes)


def _submitted(session: Session, haven: Haven, cast: Cast) -> Project:
    return submitted(session, haven, cast)


def test_a_project_starts_as_a_draft_with_a_yearly_reference(
    session: Session, haven: Haven, cast: Cast
) -> None:
    first = _project(session, haven, cast)
    second = _project(session, haven, cast, purpose_codes="GRU, NCU")
    assert project_fields(cast)["purpose_codes"] == ["HMB"]
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


def test_approval_by_two_independent_committee_members(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = _submitted(session, haven, cast)
    assert project.status == "submitted"
    assert project.requests[-1].status == "committee_review"
    service.approve_project(
        session, haven, project.reference, approver=cast.chair, reasons="Lawful.",
        duration_days=30,
    )
    assert project.status == "submitted", "one approval is short of the quorum of two"
    assert not service.is_active(project)
    approved_project = service.approve_project(
        session, haven, project.reference, approver=cast.vice, reasons="Proportionate.",
        duration_days=30,
    )
    assert approved_project.status == "approved"
    assert approved_project.approved_at is not None and approved_project.expires_at is not None
    assert approved_project.expires_at - approved_project.approved_at == timedelta(days=30)
    [agreement] = approved_project.agreements
    assert (agreement.starts_at, agreement.ends_at) == (
        approved_project.approved_at, approved_project.expires_at)
    assert service.is_active(approved_project)
    assert service.is_active(approved_project, approved_project.approved_at + timedelta(days=29))
    assert not service.is_active(approved_project, approved_project.expires_at)
    assert not service.is_active(
        approved_project, approved_project.approved_at - timedelta(seconds=1))
    [decision] = approved_project.decisions
    assert (decision.decision, decision.by_person_id, decision.reasons) == (
        "approved", cast.vice.id, "Lawful. | Proportionate.")
    entry = list(read_entries(haven, action_prefix="project.approved"))[-1]
    assert (entry.actor, entry.subject) == (cast.vice.reference, project.reference)
    assert entry.details["votes"] == [cast.chair.reference, cast.vice.reference]


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
    assert project.requests[-1].votes == []
    assert list(read_entries(haven, action_prefix="project.approved")) == []


def test_only_a_request_in_committee_review_can_be_approved(
    session: Session, haven: Haven, cast: Cast
) -> None:
    draft = _project(session, haven, cast)
    with pytest.raises(Conflict, match="only a request in committee review"):
        service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="x")
    service.submit_project(session, haven, draft.reference, actor=CUSTODIAN)
    with pytest.raises(Conflict, match="only a draft"):
        service.submit_project(session, haven, draft.reference, actor=CUSTODIAN)
    service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="ok")
    with pytest.raises(Conflict, match="already voted"):
        service.approve_project(session, haven, draft.reference, approver=cast.chair, reasons="x")
    service.approve_project(session, haven, draft.reference, approver=cast.vice, reasons="ok")
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
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member, reasons="ok")
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
    with pytest.raises(InvalidInput, match="extracts were destroyed"):
        service.close_project(
            session, haven, project.reference, decided_by=cast.lead, reasons="Done."
        )
    service.close_project(
        session, haven, project.reference, decided_by=cast.lead, reasons="Done.",
        extracts_destroyed=True,
    )
    assert project.status == "closed"
    assert [d.decision for d in project.decisions] == ["approved", "suspended", "closed"]
    with pytest.raises(Conflict):
        service.close_project(
            session, haven, project.reference, decided_by=cast.lead, reasons="Again.",
            extracts_destroyed=True,
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
        ({"dataset_specification": {"tables": ["patients"]}}, "data.tables"),
        ({"purpose_codes": "HMB,DS"}, "purpose_codes"),
        ({"legal_basis": {"article6": "6(1)(z)"}}, "legal_basis.article6"),
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
    project = approved(session, haven, cast)
    with pytest.raises(NotFound):
        service.get_project(session, "OH-1999-0001")
    assert [p.reference for p in service.list_projects(session)] == [project.reference]
    summary = service.project_summary(project)
    assert json.loads(json.dumps(summary)) == summary
    assert summary["reference"] == project.reference
    assert summary["status"] == "approved"
    assert summary["organisation"] == "University of Testing"
    assert summary["identifiability"] == "pseudonymised"
    assert summary["purpose_codes"] == ["HMB"]
    assert summary["expires_at"] is not None
    assert "testing.ac.uk" not in json.dumps(summary)


def test_every_change_is_in_the_ledger_and_no_email_is(
    session: Session, haven: Haven, cast: Cast
) -> None:
    approved(session, haven, cast)
    actions = [entry.action for entry in read_entries(haven)
               if not entry.action.startswith(("person.accredited", "person.access"))]
    assert actions == ["organisation.registered"] * 2 + ["person.registered"] * 7 + [
        "project.created",
        "project.submitted",
        "project.screened",
        "committee.voted",
        "committee.voted",
        "project.approved",
    ]
    ledger_text = (haven.paths.ledger / "entries.jsonl").read_text(encoding="utf-8")
    assert "@testing.ac.uk" not in ledger_text
    assert "Colleague" not in ledger_text

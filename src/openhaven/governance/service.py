"""Governance decisions: registering safe people, and a project's way from draft to approval.

Each function takes the caller's session (the caller's unit of work commits) and the haven
(for the ledger), checks its input and the current state, changes the database through the
repository, and writes one ledger entry naming what happened. Ledger entries name people by
reference (``person:12``) and projects by reference (``OH-2026-0001``); never an email.

The rule that matters most lives in ``approve_project``: only a committee member who is
neither the project's lead nor on its team may approve it, and only once it is submitted.
An approved project may later be suspended or closed. A project's data may be provisioned
only while ``is_active`` holds: approved, and between its approval and its expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.database import ensure_utc
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import input_checks as check
from openhaven.governance import repository
from openhaven.governance.models import (
    Decision,
    Identifiability,
    Organisation,
    OrganisationKind,
    Person,
    PersonRole,
    Project,
    ProjectDecision,
    ProjectMember,
    ProjectStatus,
    Role,
)
from openhaven.ledger import record_event

REFERENCE_PREFIX = "OH"
LEAD_ROLE = "lead"
MEMBER_ROLE = "member"


def register_organisation(
    session: Session, haven: Haven, *, name: str, kind: str, actor: str
) -> Organisation:
    """Register an organisation; its name must be new."""
    name = check.required_text(name, "name", 200)
    organisation_kind = check.member(OrganisationKind, kind, "kind")
    if repository.organisation_by_name(session, name) is not None:
        raise Conflict(
            "An organisation with this name is already registered", Location(field="name")
        )
    organisation = Organisation(name=name, kind=organisation_kind)
    repository.add(session, organisation)
    record_event(
        haven,
        "organisation.registered",
        actor=actor,
        subject=f"organisation:{organisation.id}",
        details={"kind": str(organisation_kind)},
    )
    return organisation


def register_person(
    session: Session,
    haven: Haven,
    *,
    display_name: str,
    email: str,
    roles: Sequence[str],
    organisation: Organisation | None,
    actor: str,
) -> Person:
    """Register a person with their roles; the email (lower-cased) must be new."""
    display_name = check.required_text(display_name, "display_name", 200)
    email = check.required_text(email, "email", 320).lower()
    check.email_address(email)
    if isinstance(roles, str):
        roles = [roles]
    chosen = sorted({check.member(Role, role, "roles") for role in roles})
    if repository.person_by_email(session, email) is not None:
        raise Conflict("A person with this email is already registered", Location(field="email"))
    person = Person(
        display_name=display_name,
        email=email,
        organisation=organisation,
        roles=[PersonRole(role=role) for role in chosen],
    )
    repository.add(session, person)
    record_event(
        haven,
        "person.registered",
        actor=actor,
        subject=person.reference,
        details={
            "roles": [str(role) for role in chosen],
            "organisation": None if organisation is None else f"organisation:{organisation.id}",
        },
    )
    return person


def get_person(session: Session, person_id: int) -> Person:
    person = repository.person_by_id(session, person_id)
    if person is None:
        raise NotFound(f"No person person:{person_id}")
    return person


def find_person_by_email(session: Session, email: str) -> Person | None:
    return repository.person_by_email(session, email.strip().lower())


def list_organisations(session: Session) -> list[Organisation]:
    return repository.all_organisations(session)


def create_project(
    session: Session,
    haven: Haven,
    *,
    title: str,
    lay_summary: str,
    purpose: str,
    purpose_codes: Sequence[str] | str,
    organisation: Organisation,
    lead: Person,
    legal_basis: str,
    identifiability: str,
    commercial: bool,
    dataset_specification: dict[str, Any],
    team: Sequence[Person],
    actor: str,
) -> Project:
    """Create a draft project with a new ``OH-<year>-<nnnn>`` reference.

    The lead joins the team as ``lead``; everyone in ``team`` joins as ``member``.
    ``purpose_codes`` are DUO terms or their abbreviations, as a list or a space- or
    comma-separated string.
    """
    fields = {
        "title": check.required_text(title, "title", 300),
        "lay_summary": check.required_text(lay_summary, "lay_summary"),
        "purpose": check.required_text(purpose, "purpose"),
        "legal_basis": check.required_text(legal_basis, "legal_basis"),
    }
    codes = check.purpose_codes(purpose_codes)
    level = check.member(Identifiability, identifiability, "identifiability")
    if not isinstance(commercial, bool):
        raise InvalidInput("commercial must be true or false", Location(field="commercial"))
    specification = check.json_object(dataset_specification, "dataset_specification")
    created_at = utc_now()
    project = Project(
        reference=_next_reference(session, created_at.year),
        purpose_codes=" ".join(codes),
        organisation=organisation,
        lead=lead,
        commercial=commercial,
        identifiability=level,
        status=ProjectStatus.DRAFT,
        created_at=created_at,
        dataset_specification=specification,
        **fields,
    )
    project.members = [ProjectMember(person=lead, role_in_project=LEAD_ROLE)]
    seen = {lead.id}
    for person in team:
        if person.id not in seen:
            seen.add(person.id)
            project.members.append(ProjectMember(person=person, role_in_project=MEMBER_ROLE))
    repository.add(session, project)
    record_event(
        haven,
        "project.created",
        actor=actor,
        subject=project.reference,
        details={
            "organisation": f"organisation:{organisation.id}",
            "lead": lead.reference,
            "team": [f"person:{person_id}" for person_id in sorted(seen)],
            "identifiability": str(level),
            "commercial": commercial,
            "purpose_codes": codes,
        },
    )
    return project


def submit_project(session: Session, haven: Haven, reference: str, *, actor: str) -> Project:
    """Submit a draft project for a committee's decision."""
    project = get_project(session, reference)
    if project.status != ProjectStatus.DRAFT:
        raise Conflict(f"Project {reference} is {project.status}; only a draft can be submitted")
    project.status = ProjectStatus.SUBMITTED
    project.submitted_at = utc_now()
    repository.save(session)
    record_event(haven, "project.submitted", actor=actor, subject=reference)
    return project


def approve_project(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    approver: Person,
    reasons: str,
    duration_days: int = 365,
) -> Project:
    """Approve a submitted project for ``duration_days`` from now, recording the reasons."""
    project = get_project(session, reference)
    _check_may_decide(project, approver, "approve")
    reasons = check.reasons(reasons)
    if isinstance(duration_days, bool) or not isinstance(duration_days, int) or duration_days < 1:
        raise InvalidInput(
            "duration_days must be a whole number of at least 1", Location(field="duration_days")
        )
    _check_submitted(project, "approved")
    decided_at = utc_now()
    project.status = ProjectStatus.APPROVED
    project.approved_at = decided_at
    project.expires_at = decided_at + timedelta(days=duration_days)
    _decide(session, project, Decision.APPROVED, approver, reasons, decided_at)
    record_event(
        haven,
        "project.approved",
        actor=approver.reference,
        subject=reference,
        details={
            "reasons": reasons,
            "duration_days": duration_days,
            "expires_at": project.expires_at.isoformat(),
        },
    )
    return project


def reject_project(
    session: Session, haven: Haven, reference: str, *, approver: Person, reasons: str
) -> Project:
    """Reject a submitted project, recording the reasons; the same people may decide."""
    project = get_project(session, reference)
    _check_may_decide(project, approver, "reject")
    reasons = check.reasons(reasons)
    _check_submitted(project, "rejected")
    decided_at = utc_now()
    project.status = ProjectStatus.REJECTED
    _decide(session, project, Decision.REJECTED, approver, reasons, decided_at)
    record_event(
        haven,
        "project.rejected",
        actor=approver.reference,
        subject=reference,
        details={"reasons": reasons},
    )
    return project


def suspend_project(
    session: Session, haven: Haven, reference: str, *, decided_by: Person, reasons: str
) -> Project:
    """Stop an approved project's access at once (a committee member or custodian admin)."""
    project = get_project(session, reference)
    if not {Role.COMMITTEE_MEMBER, Role.CUSTODIAN_ADMIN} & decided_by.role_names:
        raise PermissionDenied("Only a committee member or custodian admin may suspend a project")
    reasons = check.reasons(reasons)
    if project.status != ProjectStatus.APPROVED:
        raise Conflict(
            f"Project {reference} is {project.status}; only an approved project can be suspended"
        )
    project.status = ProjectStatus.SUSPENDED
    _decide(session, project, Decision.SUSPENDED, decided_by, reasons, utc_now())
    record_event(
        haven,
        "project.suspended",
        actor=decided_by.reference,
        subject=reference,
        details={"reasons": reasons},
    )
    return project


def close_project(
    session: Session, haven: Haven, reference: str, *, decided_by: Person, reasons: str
) -> Project:
    """End an approved or suspended project for good (its lead, committee or custodian)."""
    project = get_project(session, reference)
    deciders = {Role.COMMITTEE_MEMBER, Role.CUSTODIAN_ADMIN}
    if decided_by.id != project.lead_id and not deciders & decided_by.role_names:
        raise PermissionDenied(
            "Only the project's lead, a committee member or a custodian admin may close it"
        )
    reasons = check.reasons(reasons)
    if project.status not in (ProjectStatus.APPROVED, ProjectStatus.SUSPENDED):
        raise Conflict(
            f"Project {reference} is {project.status}; "
            "only an approved or suspended project can be closed"
        )
    project.status = ProjectStatus.CLOSED
    _decide(session, project, Decision.CLOSED, decided_by, reasons, utc_now())
    record_event(
        haven,
        "project.closed",
        actor=decided_by.reference,
        subject=reference,
        details={"reasons": reasons},
    )
    return project


def get_project(session: Session, reference: str) -> Project:
    project = repository.project_by_reference(session, reference)
    if project is None:
        raise NotFound(f"No project {reference}", Location(field="reference"))
    return project


def list_projects(session: Session) -> list[Project]:
    return repository.all_projects(session)


def is_active(project: Project, at: datetime | None = None) -> bool:
    """Whether the project is approved and in date at ``at`` (default: now)."""
    if project.status != ProjectStatus.APPROVED:
        return False
    if project.approved_at is None or project.expires_at is None:
        return False
    moment = ensure_utc(at) if at is not None else utc_now()
    return project.approved_at <= moment < project.expires_at


def project_summary(project: Project) -> dict[str, Any]:
    """What anyone may know about a project: JSON-ready, naming no person."""
    return {
        "reference": project.reference,
        "title": project.title,
        "status": str(project.status),
        "organisation": project.organisation.name,
        "organisation_kind": str(project.organisation.kind),
        "commercial": project.commercial,
        "lay_summary": project.lay_summary,
        "purpose": project.purpose,
        "purpose_codes": project.purpose_code_list,
        "legal_basis": project.legal_basis,
        "identifiability": str(project.identifiability),
        "approved_at": _iso(project.approved_at),
        "expires_at": _iso(project.expires_at),
    }


def _check_may_decide(project: Project, person: Person, verb: str) -> None:
    """Refuse a decision by anyone but an independent committee member, saying why."""
    if Role.COMMITTEE_MEMBER not in person.role_names:
        raise PermissionDenied(f"Only a committee member may {verb} a project")
    if person.id == project.lead_id:
        raise PermissionDenied(f"A project's lead may not {verb} their own project")
    if any(member.person_id == person.id for member in project.members):
        raise PermissionDenied(f"A member of the project's team may not {verb} it")


def _check_submitted(project: Project, outcome: str) -> None:
    if project.status != ProjectStatus.SUBMITTED:
        raise Conflict(
            f"Project {project.reference} is {project.status}; "
            f"only a submitted project can be {outcome}"
        )


def _decide(
    session: Session,
    project: Project,
    decision: Decision,
    person: Person,
    reasons: str,
    decided_at: datetime,
) -> None:
    record = ProjectDecision(
        project=project,
        decision=decision,
        by_person=person,
        reasons=reasons,
        decided_at=decided_at,
    )
    repository.add(session, record)


def _next_reference(session: Session, year: int) -> str:
    prefix = f"{REFERENCE_PREFIX}-{year}-"
    numbers = [
        int(reference[len(prefix) :])
        for reference in repository.references_starting(session, prefix)
        if reference[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()

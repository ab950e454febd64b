"""Governance decisions: registering safe people, and creating a project's access request.

Each function takes the caller's session (the caller's unit of work commits) and the haven
(for the ledger), checks its input and the current state, changes the database through the
repository, and writes one ledger entry naming what happened. Ledger entries name people by
reference (``person:12``) and projects by reference (``OH-2026-0001``); never an email.

A project is created as a draft with version 1 of its data access request. What happens next
— submission, screening against the policy, the committee's votes, amendments, suspension and
closure — lives in ``workflow`` (re-exported here so callers have one place to look);
accreditations and ``may_access`` live in ``access``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.governance import input_checks as check
from openhaven.governance import repository
from openhaven.governance.access import is_active, may_access
from openhaven.governance.access_request import AccessRequest
from openhaven.governance.models import (
    AccessRequestRecord,
    Organisation,
    OrganisationKind,
    Person,
    PersonRole,
    Project,
    ProjectMember,
    ProjectStatus,
    RequestKind,
    RequestStatus,
    Role,
)
from openhaven.governance.workflow import (
    approve_project,
    cast_vote,
    close_project,
    declare_conflict,
    get_project,
    reinstate_project,
    reject_project,
    return_for_changes,
    revise_request,
    submit_project,
    suspend_project,
)
from openhaven.ledger import record_event

__all__ = [
    "approve_project",
    "cast_vote",
    "close_project",
    "create_project",
    "create_project_from_request",
    "declare_conflict",
    "get_project",
    "is_active",
    "may_access",
    "reinstate_project",
    "reject_project",
    "return_for_changes",
    "revise_request",
    "submit_project",
    "suspend_project",
]

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
    legal_basis: str | Mapping[str, Any],
    identifiability: str,
    commercial: bool,
    dataset_specification: Mapping[str, Any],
    team: Sequence[Person],
    actor: str,
    request_details: Mapping[str, Any] | None = None,
) -> Project:
    """Create a draft project, with a new ``OH-<year>-<nnnn>`` reference, and its request.

    The lead joins the team as ``lead``; everyone in ``team`` joins as ``member``.
    ``purpose_codes`` are DUO codes (docs/governance.md), as a list or a comma- or
    space-separated string. ``legal_basis`` is ``{article6, article9, common_law}`` (a text
    naming them, such as "UK GDPR 6(1)(e) and 9(2)(j); anonymised", is read the same way).
    ``request_details`` holds the rest of the request (public_benefit, declared_uses,
    ethics_reference, justifications, cohort, privacy, free_text, date_from, date_to,
    duration_days, safeguards_accepted); the whole is checked as an ``AccessRequest``. The
    specification's ``cohort``, ``privacy`` and ``free_text`` blocks (given there or in
    ``request_details``) reach the project's dataset specification unchanged.
    """
    details = dict(request_details or {})
    specification = check.json_object(dict(dataset_specification), "dataset_specification")
    data: dict[str, Any] = {key: specification[key]
                           for key in ("tables", "cohort", "privacy", "free_text")
                           if key in specification}
    data.setdefault("tables", None)
    for key in ("justifications", "cohort", "privacy", "free_text", "date_from", "date_to"):
        if key in details:
            given = details.pop(key)
            data[key] = _merged_cohort(data, given) if key == "cohort" else given
    if not isinstance(commercial, bool):
        raise InvalidInput("commercial must be true or false", Location(field="commercial"))
    if organisation.kind == OrganisationKind.COMMERCIAL and not commercial:
        raise InvalidInput("commercial must be true when the organisation is commercial",
                           Location(field="commercial"))
    request = AccessRequest.from_dict({
        **details,
        "title": title, "lay_summary": lay_summary, "purpose": purpose,
        "purpose_codes": purpose_codes, "commercial": commercial,
        "identifiability": identifiability, "data": data,
        "legal_basis": _legal_basis(legal_basis),
    })
    created_at = utc_now()
    project = Project(
        reference=_next_reference(session, created_at.year),
        title=request.title,
        lay_summary=request.lay_summary,
        purpose=request.purpose,
        purpose_codes=" ".join(request.purpose_codes),
        organisation=organisation,
        lead=lead,
        commercial=request.commercial,
        legal_basis=request.legal_basis.describe(),
        identifiability=request.identifiability,
        status=ProjectStatus.DRAFT,
        created_at=created_at,
        dataset_specification=request.dataset_specification().as_dict(),
    )
    project.members = [ProjectMember(person=lead, role_in_project=LEAD_ROLE)]
    seen = {lead.id}
    for person in team:
        if person.id not in seen:
            seen.add(person.id)
            project.members.append(ProjectMember(person=person, role_in_project=MEMBER_ROLE))
    repository.add(session, project)
    repository.add(session, AccessRequestRecord(
        project=project, version=1, kind=RequestKind.APPLICATION, status=RequestStatus.DRAFT,
        content=request.as_dict(), created_at=created_at))
    record_event(
        haven,
        "project.created",
        actor=actor,
        subject=project.reference,
        details={
            "organisation": f"organisation:{organisation.id}",
            "lead": lead.reference,
            "team": [f"person:{person_id}" for person_id in sorted(seen)],
            "identifiability": request.identifiability,
            "free_text": request.data.free_text,
            "commercial": request.commercial,
            "purpose_codes": list(request.purpose_codes),
        },
    )
    return project


def create_project_from_request(
    session: Session, haven: Haven, raw: Mapping[str, Any], *, actor: str,
    source: str | None = None,
) -> Project:
    """Create a draft project from a request file or form: people named by email.

    Besides the request's own fields (docs/governance.md), ``organisation`` names a
    registered organisation, ``lead`` is the lead's email and ``team`` lists members' emails.
    """
    if not isinstance(raw, Mapping):
        raise InvalidInput("A data access request must be a mapping", Location(file=source))
    fields = dict(raw)

    def person(email: object, where: str) -> Person:
        found = find_person_by_email(session, email) if isinstance(email, str) else None
        if found is None:
            raise NotFound("No registered person has this email", Location(file=source,
                                                                           field=where))
        return found

    name = fields.pop("organisation", None)
    organisation = repository.organisation_by_name(session, name) if isinstance(
        name, str) else None
    if organisation is None:
        raise NotFound("No registered organisation has this name",
                       Location(file=source, field="organisation"))
    lead = person(fields.pop("lead", None), "lead")
    members = fields.pop("team", []) or []
    if not isinstance(members, list):
        raise InvalidInput("team must be a list of emails", Location(file=source, field="team"))
    team = [person(email, f"team[{index}]") for index, email in enumerate(members)]
    data = fields.pop("data", None)
    if not isinstance(data, Mapping):
        raise InvalidInput("data must give the tables and fields wanted",
                           Location(file=source, field="data"))
    details = {key: value for key, value in data.items() if key != "tables"}
    core = ("title", "lay_summary", "purpose", "purpose_codes", "legal_basis",
            "identifiability", "commercial")
    try:
        return create_project(
            session, haven,
            **{key: fields.pop(key, None) for key in core},  # type: ignore[arg-type]
            organisation=organisation, lead=lead, team=team, actor=actor,
            dataset_specification={"tables": data.get("tables")},
            request_details={**fields, **details},
        )
    except InvalidInput as error:
        where = None if error.location is None else error.location.field
        raise InvalidInput(error.message, Location(file=source, field=where)) from None


def _merged_cohort(data: Mapping[str, Any], given: Any) -> Any:
    """A cohort description given beside criteria from the specification joins them."""
    criteria = data.get("cohort")
    if isinstance(given, str) and isinstance(criteria, Mapping):
        return {**criteria, "description": given}
    return given


_ARTICLE = re.compile(r"\b([69])\((\d)\)\(([a-j])\)")


def _legal_basis(value: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """A structured legal basis, read from a mapping or from a text that names its parts."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str):
        raise InvalidInput("legal_basis must give article6, article9 and common_law",
                           Location(field="legal_basis"))
    found = {article: f"{article}({number})({letter})"
             for article, number, letter in _ARTICLE.findall(value)}
    text = value.lower()
    common_law = next((basis for basis, words in (
        ("s251", ("s251", "section 251")), ("consent", ("consent",)),
        ("anonymised", ("anonymised", "pseudonymised", "de-identified")),
    ) if any(word in text for word in words)), None)
    return {"article6": found.get("6"), "article9": found.get("9"), "common_law": common_law}


def list_projects(session: Session) -> list[Project]:
    return repository.all_projects(session)


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
        "register_flags": _register_flags(project),
    }


def _register_flags(project: Project) -> list[str]:
    """Flags screening raised for the public register (``commercial-on-register``)."""
    screened = [r.screening for r in project.requests if r.screening]
    if not screened:
        return ["commercial-on-register"] if project.commercial else []
    return [rule["id"] for rule in screened[-1].get("fired", []) if rule["outcome"] == "flag"]


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

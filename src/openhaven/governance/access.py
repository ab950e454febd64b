"""Safe people in time: accreditations with expiry dates, and who may reach a project's data.

Access is decided at the moment of use, from dates, so it stops the instant an accreditation
or a data sharing agreement ends — no job has to run first. ``may_access`` is that decision:
the project approved and inside its agreement, the person on its team, and every
accreditation the policy requires held and in date. It always says why.

The ledger must still show each suspension and restoration, once. ``refresh_access_states``
compares each researcher's accreditation now with what was last recorded and writes
``person.access_suspended`` / ``person.access_restored`` for each change; recording a renewal
calls it for that person at once, and the ``people refresh-access`` command runs it for
everyone (a custodian schedules it daily).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.database import ensure_utc
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance import repository
from openhaven.governance.input_checks import member as enum_member
from openhaven.governance.models import (
    Accreditation,
    AccreditationKind,
    Person,
    PersonAccessState,
    Project,
    ProjectStatus,
    Role,
)
from openhaven.governance.policy import load_policy
from openhaven.ledger import record_event


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def record_accreditation(
    session: Session,
    haven: Haven,
    person: Person,
    *,
    kind: str,
    valid_from: datetime | date,
    expires_at: datetime | date,
    certificate: str | None = None,
    actor: str,
) -> Accreditation:
    """Record an accreditation (or its renewal: a new row) and update the person's access."""
    chosen = enum_member(AccreditationKind, kind, "kind")
    start, end = ensure_utc(valid_from), ensure_utc(expires_at)
    if end <= start:
        raise InvalidInput("expires_at must be after valid_from", Location(field="expires_at"))
    if certificate is not None and (not certificate.strip() or len(certificate) > 100):
        raise InvalidInput("certificate must be 1 to 100 characters",
                           Location(field="certificate"))
    accreditation = Accreditation(person_id=person.id, kind=chosen, certificate=certificate,
                                  valid_from=start, expires_at=end, recorded_at=utc_now())
    repository.add(session, accreditation)
    record_event(
        haven, "person.accredited", actor=actor, subject=person.reference,
        details={"kind": str(chosen), "valid_from": start.isoformat(),
                 "expires_at": end.isoformat()},
    )
    refresh_access_states(session, haven, people=[person])
    return accreditation


def current_accreditations(
    session: Session, person: Person, at: datetime | None = None
) -> frozenset[str]:
    """The kinds of accreditation ``person`` holds in date at ``at`` (default: now)."""
    moment = ensure_utc(at) if at is not None else utc_now()
    return frozenset(
        str(a.kind) for a in repository.accreditations_of(session, person.id)
        if a.valid_from <= moment < a.expires_at
    )


def missing_accreditations(
    session: Session, person: Person, at: datetime | None = None,
    required: Iterable[str] | None = None,
) -> list[str]:
    needed = set(required if required is not None else load_policy().required_accreditations)
    return sorted(needed - current_accreditations(session, person, at))


def is_active(project: Project, at: datetime | None = None) -> bool:
    """Approved, and ``at`` (default: now) inside its data sharing agreement."""
    if project.status != ProjectStatus.APPROVED:
        return False
    moment = ensure_utc(at) if at is not None else utc_now()
    if project.agreements:
        return any(a.starts_at <= moment < a.ends_at for a in project.agreements)
    if project.approved_at is None or project.expires_at is None:
        return False
    return project.approved_at <= moment < project.expires_at


def may_access(
    session: Session, person: Person, project: Project, at: datetime | None = None,
    *, required: Iterable[str] | None = None,
) -> AccessDecision:
    """May ``person`` reach ``project``'s data at ``at``? Always with the reason."""
    moment = ensure_utc(at) if at is not None else utc_now()
    if project.status != ProjectStatus.APPROVED:
        return AccessDecision(False, f"project {project.reference} is {project.status}")
    if not is_active(project, moment):
        return AccessDecision(
            False, f"project {project.reference} has no data sharing agreement in force"
        )
    if not any(member.person_id == person.id for member in project.members):
        return AccessDecision(False, f"{person.reference} is not on the project's team")
    if Role.RESEARCHER not in person.role_names:
        return AccessDecision(False, f"{person.reference} does not hold the researcher role")
    missing = missing_accreditations(session, person, moment, required)
    if missing:
        return AccessDecision(
            False, f"{person.reference} lacks current accreditation: {', '.join(missing)}"
        )
    return AccessDecision(True, "approved project in agreement; accredited team member")


def refresh_access_states(
    session: Session, haven: Haven, *, people: Iterable[Person] | None = None,
    at: datetime | None = None, actor: str = "system",
) -> list[dict[str, object]]:
    """Record (once each) every researcher whose access lapsed or came back since last time."""
    moment = ensure_utc(at) if at is not None else utc_now()
    required = load_policy(haven.home).required_accreditations
    chosen = list(people) if people is not None else repository.people_with_role(
        session, Role.RESEARCHER
    )
    changes: list[dict[str, object]] = []
    for person in chosen:
        missing = missing_accreditations(session, person, moment, required)
        suspended = bool(missing)
        state = repository.access_state_of(session, person.id)
        if state is None:
            # The first look is a baseline: a person who never had access was not "suspended".
            repository.add(session, PersonAccessState(
                person_id=person.id, suspended=suspended, changed_at=moment))
            continue
        if state.suspended == suspended:
            continue
        state.suspended = suspended
        state.changed_at = moment
        repository.save(session)
        projects = [p.reference for p in repository.projects_of_person(session, person.id)]
        action = "person.access_suspended" if suspended else "person.access_restored"
        details: dict[str, object] = {"projects": projects, "at": moment.isoformat()}
        if suspended:
            details["missing_accreditations"] = missing
        record_event(haven, action, actor=actor, subject=person.reference, details=details)
        changes.append({"person": person.reference, "action": action, **details})
    return changes

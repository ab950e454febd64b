"""A request's way through governance: submission, screening, the committee, and after.

The state machine, for each version of a request (the application, then any amendments)::

    draft → submitted → screening ─┬→ rejected            (the policy denied it)
                                   └→ committee_review ─┬→ approved
                                                        ├→ rejected
                                                        └→ returned → (revised) draft → …

An application moves its project with it (draft, submitted, approved or rejected); an
amendment leaves an approved project approved, under its old terms, until the amendment is
approved. An approved project may be suspended (and reinstated), and closed once its
extracts are confirmed destroyed.

The committee: only committee members may vote; nobody votes on a project they lead or are
on the team of, or on which they declared a conflict of interest; each member votes once per
version; ``quorum`` approvals (the policy's, default two) approve; one rejection rejects; one
"return for changes" returns. A request screening referred (sensitive purpose, identifiers,
unaccredited team, …) needs each approving vote to acknowledge the referred points: that is
the committee's explicit approval. Every vote, comment and transition is stored (append-only)
and written to the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import input_checks as check
from openhaven.governance import repository
from openhaven.governance.access import current_accreditations
from openhaven.governance.access_request import AccessRequest
from openhaven.governance.models import (
    AccessRequestRecord,
    CommitteeVote,
    ConflictOfInterest,
    DataSharingAgreement,
    Decision,
    Person,
    Project,
    ProjectDecision,
    ProjectStatus,
    ProjectTransition,
    RequestKind,
    RequestStatus,
    Role,
    VoteKind,
)
from openhaven.governance.policy import Policy, load_policy, screen
from openhaven.governance.policy_conditions import PersonFacts
from openhaven.ledger import record_event

SCREENING_ACTOR = "policy-engine"


def get_project(session: Session, reference: str) -> Project:
    project = repository.project_by_reference(session, reference)
    if project is None:
        raise NotFound(f"No project {reference}", Location(field="reference"))
    return project


def latest_request(project: Project) -> AccessRequestRecord:
    if not project.requests:
        raise Conflict(f"Project {project.reference} has no data access request")
    return project.requests[-1]


def request_of(record: AccessRequestRecord) -> AccessRequest:
    return AccessRequest.from_dict(record.content)


def revise_request(
    session: Session, haven: Haven, reference: str, *, changes: Mapping[str, Any], actor: str
) -> AccessRequestRecord:
    """Change a draft, revise a returned request, or propose an amendment to an approved one.

    A draft is edited in place; a returned request or an approved project gets a new version
    (the old one stays as it was decided).
    """
    project = get_project(session, reference)
    record = latest_request(project)
    content = {**record.content, **dict(changes)}
    AccessRequest.from_dict(content)  # refuses bad changes, naming the field
    if record.status == RequestStatus.DRAFT:
        record.content = content
        repository.save(session)
        record_event(haven, "request.revised", actor=actor, subject=reference,
                     details={"version": record.version, "fields": sorted(changes)})
        return record
    if record.status == RequestStatus.RETURNED:
        kind = record.kind
    elif record.status == RequestStatus.APPROVED and project.status == ProjectStatus.APPROVED:
        kind = RequestKind.AMENDMENT
    else:
        raise Conflict(f"Request v{record.version} of {reference} is {record.status}; "
                       "it cannot be changed now")
    new = AccessRequestRecord(project=project, version=record.version + 1, kind=kind,
                              status=RequestStatus.DRAFT, content=content, created_at=utc_now())
    repository.add(session, new)
    _transition(session, haven, project, new, str(record.status), "draft", actor,
                "amendment proposed" if kind == RequestKind.AMENDMENT else "request revised",
                {"version": new.version, "fields": sorted(changes)})
    return new


def submit_project(
    session: Session, haven: Haven, reference: str, *, actor: str, policy: Policy | None = None
) -> Project:
    """Submit the latest draft version and screen it at once against the policy."""
    project = get_project(session, reference)
    record = latest_request(project)
    if record.status == RequestStatus.RETURNED:
        raise Conflict(f"Project {reference} was returned for changes; revise it first")
    if record.status != RequestStatus.DRAFT:
        raise Conflict(f"Project {reference}'s request is {record.status}; "
                       "only a draft can be submitted")
    if record.kind == RequestKind.APPLICATION and project.status != ProjectStatus.DRAFT:
        raise Conflict(f"Project {reference} is {project.status}; only a draft can be submitted")
    now = utc_now()
    record.status = RequestStatus.SUBMITTED
    record.submitted_at = now
    if record.kind == RequestKind.APPLICATION:
        project.status = ProjectStatus.SUBMITTED
        project.submitted_at = now
    repository.save(session)
    _transition(session, haven, project, record, "draft", "submitted", actor, "submitted",
                {"version": record.version, "kind": str(record.kind)})
    record_event(haven, "project.submitted", actor=actor, subject=reference,
                 details={"version": record.version, "kind": str(record.kind)})
    _screen(session, haven, project, record, policy or load_policy(haven.home))
    return project


def _screen(session: Session, haven: Haven, project: Project, record: AccessRequestRecord,
            policy: Policy) -> None:
    record.status = RequestStatus.SCREENING
    repository.save(session)
    _transition(session, haven, project, record, "submitted", "screening", SCREENING_ACTOR,
                "automatic policy check", {"version": record.version})
    people = tuple(
        PersonFacts(member.person.reference, frozenset(member.person.role_names),
                    current_accreditations(session, member.person))
        for member in project.members
    )
    verdict = screen(request_of(record), policy, people=people)
    record.screening = {**verdict.as_dict(), "policy": policy.source, "quorum": policy.quorum}
    fired = [rule.id for rule in verdict.fired]
    if verdict.outcome == "deny":
        _finish(session, record, project, RequestStatus.REJECTED)
        reasons = "; ".join(f"{r.id}: {r.why}" for r in verdict.fired if r.outcome == "deny")
        _transition(session, haven, project, record, "screening", "rejected", SCREENING_ACTOR,
                    reasons, {"outcome": "deny", "rules": fired})
    else:
        record.status = RequestStatus.COMMITTEE_REVIEW
        repository.save(session)
        _transition(session, haven, project, record, "screening", "committee_review",
                    SCREENING_ACTOR, f"screening outcome: {verdict.outcome}",
                    {"outcome": verdict.outcome, "rules": fired})
    record_event(haven, "project.screened", actor=SCREENING_ACTOR, subject=project.reference,
                 details={"version": record.version, "outcome": verdict.outcome,
                          "rules": fired, "flags": verdict.flags})


def declare_conflict(
    session: Session, haven: Haven, reference: str, *, member: Person, reason: str
) -> ConflictOfInterest:
    """A committee member declares a conflict with a project: they may no longer vote on it."""
    project = get_project(session, reference)
    reason = check.reasons(reason)
    if any(c.person_id == member.id for c in project.conflicts):
        raise Conflict(f"{member.reference} has already declared a conflict on {reference}")
    conflict = ConflictOfInterest(project=project, person_id=member.id, reason=reason,
                                  declared_at=utc_now())
    repository.add(session, conflict)
    record_event(haven, "committee.conflict_declared", actor=member.reference,
                 subject=reference, details={"reason": reason})
    return conflict


def committee_may_vote(project: Project, member: Person) -> str | None:
    """Why ``member`` may not vote on ``project``, or None if they may."""
    if Role.COMMITTEE_MEMBER not in member.role_names:
        return "only a committee member may vote on a request"
    if member.id == project.lead_id:
        return "a project's lead may not vote on their own project"
    if any(m.person_id == member.id for m in project.members):
        return "a member of the project's team may not vote on it"
    if any(c.person_id == member.id for c in project.conflicts):
        return "a committee member who declared a conflict of interest may not vote on it"
    return None


def cast_vote(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    member: Person,
    vote: str,
    comment: str,
    acknowledge_flags: bool = False,
    duration_days: int | None = None,
    policy: Policy | None = None,
) -> Project:
    """Record a committee member's vote (or comment) and settle the request if it decides it."""
    project = get_project(session, reference)
    record = latest_request(project)
    kind = check.member(VoteKind, vote, "vote")
    refusal = committee_may_vote(project, member)
    if refusal is not None:
        raise PermissionDenied(refusal[0].upper() + refusal[1:])
    comment = check.reasons(comment) if kind != VoteKind.COMMENT else _comment(comment)
    if record.status != RequestStatus.COMMITTEE_REVIEW:
        raise Conflict(f"Project {reference}'s request is {record.status}; "
                       "only a request in committee review can be voted on")
    if kind != VoteKind.COMMENT and any(
        v.person_id == member.id and v.vote != VoteKind.COMMENT for v in record.votes
    ):
        raise Conflict(f"{member.reference} has already voted on this version of {reference}")
    screening = record.screening or {}
    if kind == VoteKind.APPROVE and screening.get("outcome") == "refer" and not acknowledge_flags:
        referred = [r["id"] for r in screening.get("fired", []) if r["outcome"] == "refer"]
        raise PermissionDenied(
            "Screening referred this request to the committee (" + ", ".join(referred)
            + "); an approving vote must acknowledge those points explicitly",
            Location(field="acknowledge_flags"),
        )
    if duration_days is not None and (
        isinstance(duration_days, bool) or not isinstance(duration_days, int) or duration_days < 1
    ):
        raise InvalidInput("duration_days must be a whole number of at least 1",
                           Location(field="duration_days"))
    cast = CommitteeVote(request=record, person_id=member.id, vote=kind, comment=comment,
                         acknowledges_flags=bool(acknowledge_flags), cast_at=utc_now())
    repository.add(session, cast)
    record_event(haven, "committee.voted" if kind != VoteKind.COMMENT else "committee.commented",
                 actor=member.reference, subject=reference,
                 details={"version": record.version, "vote": str(kind), "comment": comment,
                          "acknowledges_flags": bool(acknowledge_flags)})
    if kind == VoteKind.REJECT:
        _reject(session, haven, project, record, member, comment)
    elif kind == VoteKind.RETURN:
        _return(session, haven, project, record, member, comment)
    elif kind == VoteKind.APPROVE:
        approvals = [v for v in record.votes if v.vote == VoteKind.APPROVE]
        quorum = int(screening.get("quorum") or (policy or load_policy(haven.home)).quorum)
        if len(approvals) >= quorum:
            _approve(session, haven, project, record, member, approvals, duration_days)
    return project


def _approve(session: Session, haven: Haven, project: Project, record: AccessRequestRecord,
             member: Person, approvals: list[CommitteeVote], duration_days: int | None) -> None:
    request = request_of(record)
    now = utc_now()
    days = min(request.duration_days, duration_days or request.duration_days)
    agreement = DataSharingAgreement(project=project, request_id=record.id, starts_at=now,
                                     ends_at=now + timedelta(days=days), created_at=now)
    repository.add(session, agreement)
    project.purpose = request.purpose
    project.purpose_codes = " ".join(request.purpose_codes)
    project.commercial = request.commercial
    project.identifiability = request.identifiability  # type: ignore[assignment]
    project.legal_basis = request.legal_basis.describe()
    project.dataset_specification = request.dataset_specification().as_dict()
    project.status = ProjectStatus.APPROVED
    if record.kind == RequestKind.APPLICATION or project.approved_at is None:
        project.approved_at = now
    project.expires_at = agreement.ends_at
    reasons = " | ".join(v.comment for v in approvals)
    _finish(session, record, project, RequestStatus.APPROVED)
    _decide(session, project, Decision.APPROVED, member, reasons, now)
    voters = [f"person:{v.person_id}" for v in approvals]
    _transition(session, haven, project, record, "committee_review", "approved",
                member.reference, reasons, {"votes": voters, "agreement_days": days})
    record_event(haven, "project.approved", actor=member.reference, subject=project.reference,
                 details={"version": record.version, "kind": str(record.kind),
                          "reasons": reasons, "votes": voters, "duration_days": days,
                          "agreement_starts_at": agreement.starts_at.isoformat(),
                          "expires_at": agreement.ends_at.isoformat()})


def _reject(session: Session, haven: Haven, project: Project, record: AccessRequestRecord,
            member: Person, reasons: str) -> None:
    now = utc_now()
    _finish(session, record, project, RequestStatus.REJECTED)
    if record.kind == RequestKind.APPLICATION:
        _decide(session, project, Decision.REJECTED, member, reasons, now)
    _transition(session, haven, project, record, "committee_review", "rejected",
                member.reference, reasons, {"version": record.version})
    record_event(haven, "project.rejected", actor=member.reference, subject=project.reference,
                 details={"version": record.version, "kind": str(record.kind),
                          "reasons": reasons})


def _return(session: Session, haven: Haven, project: Project, record: AccessRequestRecord,
            member: Person, reasons: str) -> None:
    record.status = RequestStatus.RETURNED
    record.decided_at = utc_now()
    if record.kind == RequestKind.APPLICATION:
        project.status = ProjectStatus.DRAFT
    repository.save(session)
    _transition(session, haven, project, record, "committee_review", "returned",
                member.reference, reasons, {"version": record.version})
    record_event(haven, "project.returned_for_changes", actor=member.reference,
                 subject=project.reference,
                 details={"version": record.version, "reasons": reasons})


def _finish(session: Session, record: AccessRequestRecord, project: Project,
            status: RequestStatus) -> None:
    record.status = status
    record.decided_at = utc_now()
    if record.kind == RequestKind.APPLICATION and status == RequestStatus.REJECTED:
        project.status = ProjectStatus.REJECTED
    repository.save(session)


def approve_project(
    session: Session, haven: Haven, reference: str, *, approver: Person, reasons: str,
    duration_days: int | None = None, acknowledge_flags: bool = False,
) -> Project:
    """One committee member's approving vote; the project is approved once quorum is met."""
    return cast_vote(session, haven, reference, member=approver, vote="approve",
                     comment=reasons, acknowledge_flags=acknowledge_flags,
                     duration_days=duration_days)


def reject_project(
    session: Session, haven: Haven, reference: str, *, approver: Person, reasons: str
) -> Project:
    """A committee member's rejection: one is enough to reject the request."""
    return cast_vote(session, haven, reference, member=approver, vote="reject", comment=reasons)


def return_for_changes(
    session: Session, haven: Haven, reference: str, *, member: Person, reasons: str
) -> Project:
    return cast_vote(session, haven, reference, member=member, vote="return_for_changes",
                     comment=reasons)


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
    _transition(session, haven, project, None, "approved", "suspended", decided_by.reference,
                reasons, {})
    record_event(haven, "project.suspended", actor=decided_by.reference, subject=reference,
                 details={"reasons": reasons})
    return project


def reinstate_project(
    session: Session, haven: Haven, reference: str, *, decided_by: Person, reasons: str
) -> Project:
    """Lift a suspension (a committee member or custodian admin); the agreement still bounds it."""
    project = get_project(session, reference)
    if not {Role.COMMITTEE_MEMBER, Role.CUSTODIAN_ADMIN} & decided_by.role_names:
        raise PermissionDenied(
            "Only a committee member or custodian admin may reinstate a project")
    if any(m.person_id == decided_by.id for m in project.members):
        raise PermissionDenied("A member of the project's team may not reinstate it")
    reasons = check.reasons(reasons)
    if project.status != ProjectStatus.SUSPENDED:
        raise Conflict(f"Project {reference} is {project.status}; "
                       "only a suspended project can be reinstated")
    project.status = ProjectStatus.APPROVED
    repository.save(session)
    _transition(session, haven, project, None, "suspended", "approved", decided_by.reference,
                reasons, {"reinstated": True})
    record_event(haven, "project.reinstated", actor=decided_by.reference, subject=reference,
                 details={"reasons": reasons})
    return project


def close_project(
    session: Session, haven: Haven, reference: str, *, decided_by: Person, reasons: str,
    extracts_destroyed: bool = False,
) -> Project:
    """End an approved or suspended project for good, confirming its extracts were destroyed."""
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
    if extracts_destroyed is not True:
        raise InvalidInput("Closing a project needs confirmation that its extracts were "
                           "destroyed", Location(field="extracts_destroyed"))
    before = str(project.status)
    project.status = ProjectStatus.CLOSED
    _decide(session, project, Decision.CLOSED, decided_by, reasons, utc_now())
    _transition(session, haven, project, None, before, "closed", decided_by.reference, reasons,
                {"extracts_destroyed_confirmed": True})
    record_event(haven, "project.closed", actor=decided_by.reference, subject=reference,
                 details={"reasons": reasons, "extracts_destroyed_confirmed": True})
    return project


def review_queue(session: Session) -> list[AccessRequestRecord]:
    """Every request version waiting for the committee, oldest first."""
    return repository.requests_with_status(session, RequestStatus.COMMITTEE_REVIEW)


def history(session: Session, reference: str) -> list[dict[str, Any]]:
    project = get_project(session, reference)
    return [
        {"from": t.from_state, "to": t.to_state, "actor": t.actor, "reasons": t.reasons,
         "details": t.details, "at": t.at.isoformat(),
         "version": next((r.version for r in project.requests if r.id == t.request_id), None)}
        for t in repository.transitions_of(session, project.id)
    ]


def _comment(value: object) -> str:
    return check.reasons(value)


def _decide(session: Session, project: Project, decision: Decision, person: Person,
            reasons: str, decided_at: datetime) -> None:
    repository.add(session, ProjectDecision(project=project, decision=decision, by_person=person,
                                            reasons=reasons, decided_at=decided_at))


def _transition(session: Session, haven: Haven, project: Project,
                record: AccessRequestRecord | None, before: str, after: str, actor: str,
                reasons: str, details: dict[str, Any]) -> None:
    repository.add(session, ProjectTransition(
        project_id=project.id, request_id=None if record is None else record.id,
        from_state=before, to_state=after, actor=actor[:64], reasons=reasons,
        details=details, at=utc_now()))

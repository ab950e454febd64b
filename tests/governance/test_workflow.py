"""The workflow on each engine: screening, the committee's rules, returns, amendments."""

from __future__ import annotations

import json

import pytest
from governance_cast import Cast, approved, make_project, submitted
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from openhaven.core.errors import Conflict, InvalidInput, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service, workflow
from openhaven.governance.models import (
    ConflictOfInterest,
    Person,
    PersonRole,
    Project,
    ProjectMember,
)
from openhaven.governance.policy import POLICY_FILE_NAME, default_policy_text
from openhaven.governance.views import queue_entry, request_detail
from openhaven.ledger import read_entries


def test_a_red_line_is_rejected_at_screening_without_reaching_the_committee(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = submitted(session, haven, cast,
                        request_details={"declared_uses": ["research", "marketing"]})
    assert project.status == "rejected"
    record = project.requests[-1]
    assert record.status == "rejected"
    assert record.screening is not None and record.screening["outcome"] == "deny"
    assert [r["id"] for r in record.screening["fired"]] == ["no-marketing"]
    with pytest.raises(Conflict, match="committee review"):
        service.approve_project(session, haven, project.reference, approver=cast.chair,
                                reasons="ok")
    steps = [(h["from"], h["to"]) for h in workflow.history(session, project.reference)]
    assert steps == [("draft", "submitted"), ("submitted", "screening"),
                     ("screening", "rejected")]
    [screened] = read_entries(haven, action_prefix="project.screened")
    assert screened.details["outcome"] == "deny" and screened.details["rules"] == ["no-marketing"]
    assert workflow.review_queue(session) == []


def test_a_referred_request_needs_each_approval_to_acknowledge_the_points(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = submitted(session, haven, cast, purpose_codes="HMB,paediatric")
    assert project.requests[-1].screening["outcome"] == "refer"  # type: ignore[index]
    with pytest.raises(PermissionDenied, match="duo-sensitive-purpose") as caught:
        service.approve_project(session, haven, project.reference, approver=cast.chair,
                                reasons="ok")
    assert caught.value.location is not None
    assert caught.value.location.field == "acknowledge_flags"
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="Children's data: justified.", acknowledge_flags=True)
    assert project.status == "approved"
    assert all(v.acknowledges_flags for v in project.requests[-1].votes)


def test_a_declared_conflict_excludes_a_member_and_the_quorum_waits(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = submitted(session, haven, cast)
    service.declare_conflict(session, haven, project.reference, member=cast.vice,
                             reason="Co-author with the lead.")
    with pytest.raises(Conflict, match="already declared"):
        service.declare_conflict(session, haven, project.reference, member=cast.vice,
                                 reason="Again.")
    with pytest.raises(PermissionDenied, match="conflict of interest"):
        service.approve_project(session, haven, project.reference, approver=cast.vice,
                                reasons="ok")
    service.approve_project(session, haven, project.reference, approver=cast.chair,
                            reasons="ok")
    assert project.status == "submitted"
    third = service.register_person(session, haven, display_name="Third",
                                    email="third@testing.ac.uk", roles=["committee_member"],
                                    organisation=None, actor="custodian")
    service.approve_project(session, haven, project.reference, approver=third, reasons="ok")
    assert project.status == "approved"
    [conflict] = read_entries(haven, action_prefix="committee.conflict_declared")
    assert conflict.actor == cast.vice.reference


@pytest.mark.parametrize("who", ["lead", "committee_colleague", "colleague", "checker"])
def test_nobody_votes_on_a_request_they_are_named_on_or_without_the_role(
    session: Session, haven: Haven, cast: Cast, who: str
) -> None:
    project = submitted(session, haven, cast)
    for vote in ("approve", "reject", "return_for_changes", "comment"):
        with pytest.raises(PermissionDenied):
            service.cast_vote(session, haven, project.reference, member=getattr(cast, who),
                              vote=vote, comment="Fine.", acknowledge_flags=True)
    assert project.requests[-1].votes == []
    assert project.status == "submitted"


def test_one_rejection_rejects_and_comments_are_kept(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = submitted(session, haven, cast)
    service.cast_vote(session, haven, project.reference, member=cast.chair, vote="comment",
                      comment="Is the date range needed?")
    service.approve_project(session, haven, project.reference, approver=cast.chair,
                            reasons="Yes, fine.")
    service.reject_project(session, haven, project.reference, approver=cast.vice,
                           reasons="No lawful basis for the linkage.")
    assert project.status == "rejected"
    votes = [(v.vote, v.person_id) for v in project.requests[-1].votes]
    assert votes == [("comment", cast.chair.id), ("approve", cast.chair.id),
                     ("reject", cast.vice.id)]
    actions = [e.action for e in read_entries(haven, action_prefix="committee.")]
    assert actions == ["committee.commented", "committee.voted", "committee.voted"]


def test_returned_for_changes_then_revised_resubmitted_and_approved(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = submitted(session, haven, cast)
    service.return_for_changes(session, haven, project.reference, member=cast.chair,
                               reasons="Narrow the date range.")
    assert project.status == "draft"
    assert project.requests[-1].status == "returned"
    with pytest.raises(Conflict, match="revise it first"):
        service.submit_project(session, haven, project.reference, actor=cast.lead.reference)
    revised = service.revise_request(
        session, haven, project.reference, actor=cast.lead.reference,
        changes={"data": {**project.requests[0].content["data"], "date_from": "2020-01-01"}},
    )
    assert (revised.version, revised.status, revised.kind) == (2, "draft", "application")
    service.submit_project(session, haven, project.reference, actor=cast.lead.reference)
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="Now proportionate.")
    assert project.status == "approved"
    assert [r.status for r in project.requests] == ["returned", "approved"]


def test_an_amendment_goes_through_the_same_path_while_access_continues(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast)
    data = project.requests[0].content["data"]
    tables = {**data["tables"], "medications": {"patient_id": "pseudonymise", "code": "keep"}}
    amendment = service.revise_request(session, haven, project.reference,
                                       actor=cast.lead.reference,
                                       changes={"data": {**data, "tables": tables}})
    assert (amendment.version, amendment.kind) == (2, "amendment")
    service.submit_project(session, haven, project.reference, actor=cast.lead.reference)
    assert project.status == "approved" and service.is_active(project)
    assert "medications" not in project.dataset_specification["tables"]
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="Medications are needed.")
    assert "medications" in project.dataset_specification["tables"]
    assert len(project.agreements) == 2
    assert [d.decision for d in project.decisions] == ["approved", "approved"]


def test_the_quorum_comes_from_the_havens_policy(
    session: Session, haven: Haven, cast: Cast
) -> None:
    policy = default_policy_text().replace("quorum: 2", "quorum: 3")
    (haven.home / POLICY_FILE_NAME).write_text(policy, encoding="utf-8")
    project = submitted(session, haven, cast)
    for member in (cast.chair, cast.vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="ok")
    assert project.status == "submitted"
    [entry] = [queue_entry(r) for r in workflow.review_queue(session)]
    assert (entry["approvals"], entry["quorum"]) == (2, 3)


def test_the_request_view_names_people_by_reference_only(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast)
    detail = request_detail(session, project.reference)
    as_text = json.dumps(detail)
    assert "testing.ac.uk" not in as_text and "Lead" not in detail["team"]
    assert detail["team"] == [cast.lead.reference, cast.colleague.reference,
                              cast.committee_colleague.reference]
    assert [h["to"] for h in detail["history"]] == [
        "submitted", "screening", "committee_review", "approved"]
    assert detail["agreements"][0]["ends_at"] == project.expires_at.isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("table", ["committee_votes", "project_transitions"])
def test_votes_and_transitions_are_append_only(
    session: Session, haven: Haven, cast: Cast, table: str
) -> None:
    approved(session, haven, cast)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(f"DELETE FROM {table}"))


def test_a_draft_can_be_edited_in_place(session: Session, haven: Haven, cast: Cast) -> None:
    project = make_project(session, haven, cast)
    record = service.revise_request(session, haven, project.reference,
                                    actor=cast.lead.reference, changes={"title": "Asthma"})
    assert record.version == 1 and record.content["title"] == "Asthma"


def test_commercial_use_is_flagged_for_the_public_register(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast, organisation=cast.company, commercial=True,
                       request_details={"declared_uses": ["product-development"]})
    summary = service.project_summary(project)
    assert summary["commercial"] is True
    assert summary["register_flags"] == ["commercial-on-register"]
    plain = approved(session, haven, cast)
    assert service.project_summary(plain)["register_flags"] == []


ROLE_SETS = st.sets(st.sampled_from(["researcher", "committee_member", "output_checker",
                                     "custodian_admin", "auditor"]))


@settings(max_examples=200, deadline=None)
@given(roles=ROLE_SETS, is_lead=st.booleans(), on_team=st.booleans(),
       conflicted=st.booleans())
def test_who_may_vote_is_exactly_an_independent_unconflicted_committee_member(
    roles: set[str], is_lead: bool, on_team: bool, conflicted: bool
) -> None:
    member = Person(id=7, display_name="M", email="m@x.org",
                    roles=[PersonRole(role=role) for role in roles])
    lead_id = 7 if is_lead else 1
    people_on_team = {lead_id} | ({7} if on_team else set())
    project = Project(
        lead_id=lead_id,
        members=[ProjectMember(person_id=pid, role_in_project="member")
                 for pid in sorted(people_on_team)],
        conflicts=[ConflictOfInterest(person_id=7, reason="r")] if conflicted else [],
    )
    independent = "committee_member" in roles and not (is_lead or on_team or conflicted)
    assert (workflow.committee_may_vote(project, member) is None) == independent


def test_a_commercial_organisation_cannot_apply_as_non_commercial(
    session: Session, haven: Haven, cast: Cast
) -> None:
    with pytest.raises(InvalidInput, match="organisation is commercial") as caught:
        make_project(session, haven, cast, organisation=cast.company, commercial=False)
    assert caught.value.location is not None and caught.value.location.field == "commercial"


def test_a_suspension_can_be_lifted_but_not_by_the_team(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast)
    with pytest.raises(Conflict, match="only a suspended project"):
        service.reinstate_project(session, haven, project.reference, decided_by=cast.chair,
                                  reasons="Nothing to lift.")
    service.suspend_project(session, haven, project.reference, decided_by=cast.chair,
                            reasons="Breach reported.")
    assert not service.is_active(project)
    with pytest.raises(PermissionDenied):
        service.reinstate_project(session, haven, project.reference,
                                  decided_by=cast.committee_colleague, reasons="Fixed.")
    service.reinstate_project(session, haven, project.reference, decided_by=cast.admin,
                              reasons="Breach investigated and resolved.")
    assert project.status == "approved" and service.is_active(project)
    assert [h["to"] for h in workflow.history(session, project.reference)][-2:] == [
        "suspended", "approved"]

"""Safe people in time: accreditation expiry and renewal, agreements, and ``may_access``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from governance_cast import REQUIRED, Cast, accredit, approved, make_project, submitted
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.access import (
    current_accreditations,
    may_access,
    record_accreditation,
    refresh_access_states,
)
from openhaven.governance.models import ProjectMember
from openhaven.ledger import read_entries


def test_an_accredited_team_member_may_reach_an_approved_project_in_agreement(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast)
    decision = may_access(session, cast.colleague, project)
    assert decision.allowed, decision.reason
    assert bool(decision)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not on the team", "not on the project's team"),
        ("not a researcher", "does not hold the researcher role"),
        ("accreditation expired", "lacks current accreditation: accredited_researcher"),
        ("agreement ended", "no data sharing agreement in force"),
        ("project suspended", "is suspended"),
        ("project only submitted", "is submitted"),
        ("project only a draft", "is draft"),
    ],
)
def test_no_path_to_data_without_an_approved_unexpired_project_and_accreditation(
    session: Session, haven: Haven, cast: Cast, case: str, expected: str
) -> None:
    if case == "project only submitted":
        project = submitted(session, haven, cast)
    elif case == "project only a draft":
        project = make_project(session, haven, cast)
    else:
        project = approved(session, haven, cast)
    person, at = cast.colleague, utc_now()
    if case == "not on the team":
        person = cast.chair
    elif case == "not a researcher":
        person = service.register_person(
            session, haven, display_name="Analyst", email="analyst@testing.ac.uk",
            roles=["output_checker"], organisation=None, actor="custodian")
        project.members.append(ProjectMember(person=person, role_in_project="member"))
        accredit(session, haven, person)
    elif case == "accreditation expired":
        person = service.register_person(
            session, haven, display_name="Late", email="late@testing.ac.uk",
            roles=["researcher"], organisation=None, actor="custodian")
        project.members.append(ProjectMember(person=person, role_in_project="member"))
        accredit(session, haven, person, days_left=10, kinds=("accredited_researcher",))
        accredit(session, haven, person, days_left=100, kinds=("ig_training",))
        at = utc_now() + timedelta(days=11)
    elif case == "agreement ended":
        assert project.expires_at is not None
        at = project.expires_at
    elif case == "project suspended":
        service.suspend_project(session, haven, project.reference, decided_by=cast.admin,
                                reasons="Breach reported.")
    decision = may_access(session, person, project, at)
    assert not decision.allowed
    assert expected in decision.reason


def test_expiry_suspends_access_and_renewal_restores_it_each_recorded_once(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast)
    person = cast.colleague
    later = utc_now() + timedelta(days=400)
    assert not may_access(session, person, project, later).allowed
    assert current_accreditations(session, person, later) == frozenset()
    changes = refresh_access_states(session, haven, at=later)
    suspended = {c["person"] for c in changes if c["action"] == "person.access_suspended"}
    assert person.reference in suspended
    assert refresh_access_states(session, haven, at=later) == [], "recorded once"
    [entry] = [e for e in read_entries(haven, action_prefix="person.access_suspended")
               if e.subject == person.reference]
    assert entry.details["projects"] == [project.reference]
    assert entry.details["missing_accreditations"] == list(REQUIRED)
    def restored() -> int:
        return sum(1 for e in read_entries(haven, action_prefix="person.access_restored")
                   if e.subject == person.reference)

    before = restored()
    for kind in REQUIRED:
        record_accreditation(session, haven, person, kind=kind,
                             valid_from=later - timedelta(days=1),
                             expires_at=later + timedelta(days=365), actor="custodian")
    assert restored() == before + 1, "the renewal restored access, recorded once"
    assert refresh_access_states(session, haven, people=[person], at=later) == []
    assert current_accreditations(session, person, later) == frozenset(REQUIRED)
    assert may_access(session, person, project, later - timedelta(days=1)).allowed is False


def test_a_renewal_restores_at_once(session: Session, haven: Haven, cast: Cast) -> None:
    person = service.register_person(
        session, haven, display_name="Lapsed", email="lapsed@testing.ac.uk",
        roles=["researcher"], organisation=None, actor="custodian")
    long_ago = utc_now() - timedelta(days=800)
    for kind in REQUIRED:
        record_accreditation(session, haven, person, kind=kind, valid_from=long_ago,
                             expires_at=long_ago + timedelta(days=365), actor="custodian")
    refresh_access_states(session, haven)
    accredit(session, haven, person)
    restored = [e for e in read_entries(haven, action_prefix="person.access_restored")
                if e.subject == person.reference]
    assert len(restored) == 1


def test_an_accreditation_needs_sensible_dates_and_a_known_kind(
    session: Session, haven: Haven, cast: Cast
) -> None:
    now = utc_now()
    with pytest.raises(InvalidInput, match="after valid_from"):
        record_accreditation(session, haven, cast.colleague, kind="ig_training",
                             valid_from=now, expires_at=now, actor="custodian")
    with pytest.raises(InvalidInput, match="kind must be one of"):
        record_accreditation(session, haven, cast.colleague, kind="black_belt",
                             valid_from=now, expires_at=now + timedelta(days=1),
                             actor="custodian")


def test_access_ends_with_the_agreement_even_while_approved(
    session: Session, haven: Haven, cast: Cast
) -> None:
    project = approved(session, haven, cast, request_details={"duration_days": 30})
    [agreement] = project.agreements
    assert agreement.ends_at - agreement.starts_at == timedelta(days=30)
    assert service.is_active(project, agreement.ends_at - timedelta(seconds=1))
    assert not service.is_active(project, agreement.ends_at)
    assert project.status == "approved"

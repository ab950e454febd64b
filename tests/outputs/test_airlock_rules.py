"""The airlock's rules, one table per rule: who may do what, and what the ledger records."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from airlock_world import AirlockWorld, build_world
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance.models import Person
from openhaven.ledger import read_entries
from openhaven.outputs import airlock
from openhaven.outputs.airlock import ItemRequest
from openhaven.outputs.airlock_models import ReleaseRequest

PEOPLE = ("lead", "colleague", "checker_on_project", "checker_a", "outsider")


@pytest.fixture
def world(session: Session, haven: Haven) -> AirlockWorld:
    return build_world(session, haven)


def _request(session: Session, haven: Haven, world: AirlockWorld,
             by: Person | None = None) -> ReleaseRequest:
    output = world.output(session)
    return airlock.request_release(
        session, haven, world.project.reference, requester=by or world.lead, title="T",
        items=[ItemRequest("Admissions by sex", output_id=output.id)])


def _returned(session: Session, haven: Haven, world: AirlockWorld) -> ReleaseRequest:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="return", comments="Say what the rows are")
    airlock.review_release(session, haven, request.id, checker=world.checker_b,
                           decision="approve")
    assert request.status == "returned"
    return request


Step = Callable[[Session, Haven, AirlockWorld, Person], object]

STEPS: dict[str, Step] = {
    "request": lambda s, h, w, p: _request(s, h, w, by=p),
    "review": lambda s, h, w, p: airlock.review_release(
        s, h, _request(s, h, w).id, checker=p, decision="approve"),
    "withdraw": lambda s, h, w, p: airlock.withdraw_release(
        s, h, _request(s, h, w).id, requester=p),
    "resubmit": lambda s, h, w, p: airlock.resubmit_release(
        s, h, _returned(s, h, w).id, requester=p),
    "see": lambda s, h, w, p: airlock.describe_release(s, _request(s, h, w), p),
}

#: who may take each step (the lead made every request but their own "request" row)
ALLOWED = {
    "request": {"lead", "colleague", "checker_on_project"},
    "review": {"checker_a"},
    "withdraw": {"lead"},
    "resubmit": {"lead"},
    "see": {"lead", "colleague", "checker_on_project", "checker_a"},
}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("step", sorted(STEPS))
def test_who_may_take_each_step(session: Session, haven: Haven, world: AirlockWorld,
                                step: str, who: str) -> None:
    person = getattr(world, who)
    if who in ALLOWED[step]:
        STEPS[step](session, haven, world, person)
    else:
        with pytest.raises(PermissionDenied):
            STEPS[step](session, haven, world, person)


def _withdrawn(session: Session, haven: Haven, world: AirlockWorld) -> None:
    airlock.withdraw_release(session, haven, _request(session, haven, world).id,
                             requester=world.lead)


def _rejected(session: Session, haven: Haven, world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="reject", comments="Not an aggregate")
    airlock.review_release(session, haven, request.id, checker=world.checker_b,
                           decision="approve")


def _resubmitted(session: Session, haven: Haven, world: AirlockWorld) -> None:
    airlock.resubmit_release(session, haven, _returned(session, haven, world).id,
                             requester=world.lead)


def _released(session: Session, haven: Haven, world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    for checker in (world.checker_a, world.checker_b):
        airlock.review_release(session, haven, request.id, checker=checker, decision="approve")


@pytest.mark.parametrize(("journey", "events"), [
    (_withdrawn, ["release.requested", "release.withdrawn"]),
    (_rejected, ["release.requested", "release.reviewed", "release.reviewed",
                 "release.rejected"]),
    (_returned, ["release.requested", "release.reviewed", "release.reviewed",
                 "release.returned"]),
    (_resubmitted, ["release.requested", "release.reviewed", "release.reviewed",
                    "release.returned", "release.resubmitted"]),
    (_released, ["release.requested", "release.reviewed", "release.reviewed",
                 "release.released"]),
])
def test_every_step_is_in_the_ledger(session: Session, haven: Haven, world: AirlockWorld,
                                     journey: Callable[..., object],
                                     events: list[str]) -> None:
    before = len(list(read_entries(haven)))
    journey(session, haven, world)
    entries = list(read_entries(haven))[before:]
    assert [e.action for e in entries if e.action.startswith("release.")] == events
    assert all(e.subject == world.project.reference for e in entries)


def test_a_jobs_files_become_items_by_name(session: Session, haven: Haven,
                                           world: AirlockWorld) -> None:
    world.job_file(haven, "table.csv", "sex,count\nf,40\nm,35\n")
    world.job_file(haven, "scratch.txt", "not for release")
    items = airlock.job_output_items(haven, world.project.reference, 1,
                                     {"table.csv": "Admissions by sex"})
    made = airlock.request_release(session, haven, world.project.reference,
                                   requester=world.lead, title="Job 1", items=items)
    assert [i.name for i in made.items] == ["table.csv"]
    with pytest.raises(InvalidInput, match="no file"):
        airlock.job_output_items(haven, world.project.reference, 1, {"other.csv": "x"})

"""The airlock's rules, role by role, on a real migrated database and a real haven folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airlock_world import AirlockWorld, build_world
from sqlalchemy.orm import Session

from openhaven.core.errors import Conflict, InvalidInput, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.ledger.signing_key import signing_key
from openhaven.outputs import airlock
from openhaven.outputs.airlock import ItemRequest
from openhaven.outputs.airlock_manifest import verify_release_folder
from openhaven.outputs.airlock_models import ReleaseRequest
from openhaven.outputs.models import OutputStatus
from openhaven.transparency.register import register_entries


@pytest.fixture
def world(session: Session, haven: Haven) -> AirlockWorld:
    return build_world(session, haven)


def _request(session: Session, haven: Haven, world: AirlockWorld, verdict: str = "pass",
             exception: str | None = None) -> ReleaseRequest:
    output = world.output(session, verdict)
    figure = world.job_file(haven, "figure.csv", "sex,count\nf,40\nm,35\n")
    return airlock.request_release(
        session, haven, world.project.reference, requester=world.lead, title="Table 1",
        items=[ItemRequest("Admissions by sex", output_id=output.id, exception_reason=exception),
               ItemRequest("The same as a CSV for the paper", path=figure)])


def _approve_twice(session: Session, haven: Haven, world: AirlockWorld,
                   request_id: int) -> ReleaseRequest:
    airlock.review_release(session, haven, request_id, checker=world.checker_a,
                           decision="approve")
    return airlock.review_release(session, haven, request_id, checker=world.checker_b,
                                  decision="approve")


def test_two_independent_approvals_release_with_a_signed_manifest(
        session: Session, haven: Haven, world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    after_one = airlock.review_release(session, haven, request.id, checker=world.checker_a,
                                       decision="approve")
    assert after_one.status == "submitted"
    released = airlock.review_release(session, haven, request.id, checker=world.checker_b,
                                      decision="approve")
    assert released.status == "released"
    assert released.manifest["approved_by"] == sorted(
        [world.checker_a.reference, world.checker_b.reference])
    assert {f["name"] for f in released.manifest["files"]} == {
        released.items[0].name, "figure.csv"}
    output = session.get(type(world.output(session)), released.items[0].output_id)
    assert output is not None and output.status == OutputStatus.RELEASED
    folder = airlock.release_folder(haven, world.project.reference, request.id)
    key = signing_key(haven).public_key()
    assert verify_release_folder(folder, key).valid
    actions = [e.action for e in read_entries(haven)]
    assert actions[-4:] == ["release.requested", "release.reviewed", "release.reviewed",
                            "release.released"]
    assert airlock.released_bundles(session, world.project.id)[0]["files"] == [
        released.items[0].name, "figure.csv"]
    row = next(r for r in register_entries(session, haven)
               if r["reference"] == world.project.reference)
    assert [(o["name"], o["kind"]) for o in row["outputs_released"]] == [
        ("by sex", "query"), ("figure.csv", "file")]


def test_one_changed_byte_breaks_the_manifest(session: Session, haven: Haven,
                                              world: AirlockWorld) -> None:
    request = _approve_twice(session, haven, world, _request(session, haven, world).id)
    folder = airlock.release_folder(haven, world.project.reference, request.id)
    key = signing_key(haven).public_key()
    figure = folder / "figure.csv"
    figure.write_bytes(figure.read_bytes().replace(b"40", b"41"))
    check = verify_release_folder(folder, key)
    assert not check.valid and check.problems == ["figure.csv: its bytes do not match the manifest"]
    figure.write_bytes(figure.read_bytes().replace(b"41", b"40"))
    assert verify_release_folder(folder, key).valid
    (folder / "extra.csv").write_text("a,b\n1,2\n")
    assert verify_release_folder(folder, key).problems == [
        "extra.csv: in the folder but not in the manifest"]
    (folder / "extra.csv").unlink()
    manifest = folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"Table 1", b"Table 2"))
    assert "the signature does not match the manifest" in verify_release_folder(
        folder, key).problems


@pytest.mark.parametrize("who", ["lead", "colleague", "checker_on_project", "outsider"])
def test_only_checkers_off_the_project_may_review(session: Session, haven: Haven,
                                                  world: AirlockWorld, who: str) -> None:
    request = _request(session, haven, world)
    with pytest.raises(PermissionDenied):
        airlock.review_release(session, haven, request.id, checker=getattr(world, who),
                               decision="approve")
    assert request.reviews == []
    assert request not in airlock.review_queue(session, getattr(world, who))
    assert request in airlock.review_queue(session, world.checker_a)


def test_a_checker_who_requested_cannot_review_it(session: Session, haven: Haven,
                                                   world: AirlockWorld) -> None:
    output = world.output(session)
    request = airlock.request_release(
        session, haven, world.project.reference, requester=world.checker_on_project,
        title="Mine", items=[ItemRequest("A table", output_id=output.id)])
    with pytest.raises(PermissionDenied, match=r"own|Members"):
        airlock.review_release(session, haven, request.id,
                               checker=world.checker_on_project, decision="approve")


def test_only_project_members_may_request(session: Session, haven: Haven,
                                          world: AirlockWorld) -> None:
    output = world.output(session)
    with pytest.raises(PermissionDenied):
        airlock.request_release(session, haven, world.project.reference,
                                requester=world.outsider, title="Not mine",
                                items=[ItemRequest("A table", output_id=output.id)])


def test_two_distinct_checkers_are_needed(session: Session, haven: Haven,
                                          world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="approve")
    with pytest.raises(Conflict, match="already voted"):
        airlock.review_release(session, haven, request.id, checker=world.checker_a,
                               decision="approve")
    assert request.status == "submitted"


def test_votes_are_sealed_until_both_are_in(session: Session, haven: Haven,
                                            world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="return", comments="Label the axes")
    seen_by_b = airlock.describe_release(session, request, world.checker_b)
    seen_by_a = airlock.describe_release(session, request, world.checker_a)
    seen_by_lead = airlock.describe_release(session, request, world.lead)
    assert seen_by_b["reviews"] == [] and seen_by_b["votes_in"] == 1
    assert seen_by_lead["reviews"] == []
    assert [r["decision"] for r in seen_by_a["reviews"]] == ["return"]
    airlock.review_release(session, haven, request.id, checker=world.checker_b,
                           decision="approve")
    assert request.status == "returned"
    seen = airlock.describe_release(session, request, world.checker_b)
    assert sorted(r["decision"] for r in seen["reviews"]) == ["approve", "return"]
    with pytest.raises(PermissionDenied):
        airlock.describe_release(session, request, world.outsider)


def test_failing_outputs_need_a_written_exception_both_checkers_accept(
        session: Session, haven: Haven, world: AirlockWorld) -> None:
    with pytest.raises(InvalidInput, match="written exception") as raised:
        _request(session, haven, world, verdict="fail")
    assert raised.value.location is not None and raised.value.location.entry == 1
    request = _request(session, haven, world, verdict="fail",
                       exception="The small cell is a national figure already published")
    with pytest.raises(Conflict, match="exception"):
        airlock.review_release(session, haven, request.id, checker=world.checker_a,
                               decision="approve")
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="approve", approve_exceptions=True)
    with pytest.raises(Conflict, match="exception"):
        airlock.review_release(session, haven, request.id, checker=world.checker_b,
                               decision="approve")
    assert request.status == "submitted"
    airlock.review_release(session, haven, request.id, checker=world.checker_b,
                           decision="approve", approve_exceptions=True)
    assert request.status == "released"
    assert request.manifest["files"][0]["exception"].startswith("The small cell")


def test_reject_wins_and_is_final(session: Session, haven: Haven,
                                  world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="approve")
    airlock.review_release(session, haven, request.id, checker=world.checker_b,
                           decision="reject", comments="Record-level data")
    assert request.status == "rejected"
    with pytest.raises(Conflict):
        airlock.resubmit_release(session, haven, request.id, requester=world.lead)
    with pytest.raises(Conflict):
        airlock.withdraw_release(session, haven, request.id, requester=world.lead)


def test_withdraw_and_resubmit(session: Session, haven: Haven, world: AirlockWorld) -> None:
    request = _request(session, haven, world)
    airlock.review_release(session, haven, request.id, checker=world.checker_a,
                           decision="return", comments="Describe the CSV better")
    airlock.review_release(session, haven, request.id, checker=world.checker_c,
                           decision="approve")
    assert request.status == "returned"
    with pytest.raises(PermissionDenied):
        airlock.resubmit_release(session, haven, request.id, requester=world.colleague)
    airlock.resubmit_release(session, haven, request.id, requester=world.lead,
                             descriptions={"figure.csv": "Counts by sex, for Table 1"})
    assert request.status == "submitted" and request.review_round == 2
    assert request in airlock.review_queue(session, world.checker_a)  # a fresh round
    _approve_twice(session, haven, world, request.id)
    assert request.status == "released"
    assert len(request.reviews) == 4
    second = _request(session, haven, world)
    airlock.withdraw_release(session, haven, second.id, requester=world.lead)
    assert second.status == "withdrawn"
    with pytest.raises(Conflict):
        airlock.review_release(session, haven, second.id, checker=world.checker_a,
                               decision="approve")


def test_job_files_must_pass_the_file_rules_and_lie_in_the_project(
        session: Session, haven: Haven, world: AirlockWorld, tmp_path: Path) -> None:
    leaky = world.job_file(haven, "leaky.csv", "nhs_number,count\n9434765919,1\n")
    with pytest.raises(InvalidInput, match="written exception"):
        airlock.request_release(session, haven, world.project.reference, requester=world.lead,
                                title="Leaky", items=[ItemRequest("rows", path=leaky)])
    binary = world.job_file(haven, "model.pkl", "not allowed")
    with pytest.raises(InvalidInput, match="cannot be released"):
        airlock.request_release(session, haven, world.project.reference, requester=world.lead,
                                title="Model", items=[ItemRequest("a model", path=binary)])
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("a,b\n1,2\n")
    code = world.job_file(haven, "notes.txt", "fine").parent.parent / "code"
    code.mkdir()
    (code / "notes.txt").write_text("fine")
    link = world.job_file(haven, "notes.txt", "fine").parent / "link.csv"
    link.symlink_to(elsewhere)
    for path in (elsewhere, code / "notes.txt", link):
        with pytest.raises(PermissionDenied, match="output folder"):
            airlock.request_release(session, haven, world.project.reference,
                                    requester=world.lead, title="Outside",
                                    items=[ItemRequest("x", path=path)])
    assert airlock.requests_of_project(session, world.project.id) == []


def test_nothing_identifying_reaches_the_ledger(session: Session, haven: Haven,
                                                world: AirlockWorld) -> None:
    _approve_twice(session, haven, world, _request(session, haven, world).id)
    text = json.dumps([e.details for e in read_entries(haven)])
    assert "testing.ac.uk" not in text and "Lead" not in text

"""Re-identification over the web: custodian only, POST only, reason required, CSRF checked,
answered once with no-store, recorded in the log and the ledger; the history page shows who,
when and why but no NHS number. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_fixtures import NHS_NUMBERS, write_population

from db_fixtures import ENGINES
from openhaven.core.database import unit_of_work
from openhaven.governance import service as governance
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.ledger import read_entries
from openhaven.provisioning import repository
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.web.credentials import CSRF_HEADER

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "identity"))
from identity_world import World, build_world

REASON = "Safeguarding case 42 referred by the data protection officer"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROFILE_ENV, "fast")
        for built in build_world(request.param, tmp_path_factory.mktemp("reidentify")):
            write_population(built.haven.paths.record_store)
            yield built


def _pseudonym(world: World, index: int = 0) -> str:
    key = project_key(world.haven.master_key(), world.project)
    return pseudonymise(key, patient_token(NHS_NUMBERS[index], f"p{index:03d}"))


def _logged(world: World) -> list[tuple[str, str, bool]]:
    with unit_of_work(world.engine) as session:
        project = governance.get_project(session, world.project)
        return [(e.requested_by, e.reason, e.found)
                for e in repository.list_reidentifications(session, project.id)]


def _ledger(world: World) -> list[dict[str, object]]:
    return [e.details for e in read_entries(world.haven, action_prefix="pseudonym.reidentified")
            if e.subject == world.project]


@pytest.mark.parametrize("role", [None, "researcher", "output_checker", "committee_member",
                                  "auditor"])
def test_only_the_custodian_may_reidentify(world: World, role: str | None) -> None:
    client = world.client(role)
    before = len(_logged(world)), len(_ledger(world))
    form = {"project": world.project, "pseudonym": _pseudonym(world), "reason": REASON}
    answers = [
        client.get("/reidentify", follow_redirects=False),
        client.post("/reidentify", data=form, follow_redirects=False),
        client.post("/api/reidentify", json=form),
        client.get(f"/api/projects/{world.project}/reidentifications"),
        client.get(f"/projects/{world.project}/reidentifications", follow_redirects=False),
    ]
    if role is None:  # pages send the visitor to sign in; the API answers 401
        assert [a.status_code for a in answers] == [303, 303, 401, 401, 303]
    else:
        assert [a.status_code for a in answers] == [403] * 5
    assert all(NHS_NUMBERS[0] not in a.text for a in answers)
    assert (len(_logged(world)), len(_ledger(world))) == before


def test_the_custodian_reidentifies_once_and_it_is_recorded(world: World) -> None:
    client = world.client("custodian_admin")
    form = client.get("/reidentify")
    assert form.status_code == 200 and 'method="post"' in form.text
    pseudonym = _pseudonym(world, 3)
    answer = client.post("/reidentify", data={
        "project": world.project, "pseudonym": pseudonym, "reason": REASON})
    assert answer.status_code == 200
    assert re.search(rf'id="nhs-number">{NHS_NUMBERS[3]}<', answer.text)
    assert "no-store" in answer.headers["cache-control"]
    assert NHS_NUMBERS[3] not in str(answer.url) and pseudonym not in str(answer.url)
    custodian = f"person:{world.people['custodian_admin'][1]}"
    assert _logged(world)[-1] == (custodian, REASON, True)
    details = _ledger(world)[-1]
    assert details["pseudonym"] == pseudonym and details["reason"] == REASON
    assert details["found"] is True and NHS_NUMBERS[3] not in str(details)
    history = client.get(f"/projects/{world.project}/reidentifications")
    assert history.status_code == 200 and REASON in history.text
    assert NHS_NUMBERS[3] not in history.text


def test_the_api_answers_with_no_store_and_lists_the_history(world: World) -> None:
    client = world.client("custodian_admin")
    answer = client.post("/api/reidentify", json={
        "project": world.project, "pseudonym": _pseudonym(world, 5), "reason": REASON})
    assert answer.status_code == 200, answer.text
    assert answer.json()["nhs_number"] == NHS_NUMBERS[5] and answer.json()["key_epoch"] == 1
    assert "no-store" in answer.headers["cache-control"]
    unknown = client.post("/api/reidentify", json={
        "project": world.project, "pseudonym": "0" * 24, "reason": REASON})
    assert unknown.json()["found"] is False and unknown.json()["nhs_number"] is None
    history = client.get(f"/api/projects/{world.project}/reidentifications").json()
    assert [h["found"] for h in history[-2:]] == [True, False]
    assert all(set(h) == {"requested_by", "requested_at", "reason", "found", "key_epoch",
                          "pseudonym"} for h in history)


@pytest.mark.parametrize(("form", "field_name", "message"), [
    ({"reason": "because"}, "reason", "at least 10 characters"),
    ({"reason": "Case about 943 476 5919 today"}, "reason", "long number"),
    ({"pseudonym": "not-a-pseudonym"}, "pseudonym", "hexadecimal characters"),
])
def test_bad_input_is_refused_clearly_and_nothing_is_recorded(
    world: World, form: dict[str, str], field_name: str, message: str
) -> None:
    client = world.client("custodian_admin")
    before = len(_logged(world)), len(_ledger(world))
    full = {"project": world.project, "pseudonym": _pseudonym(world), "reason": REASON, **form}
    page = client.post("/reidentify", data=full)
    assert page.status_code == 422 and message in page.text
    assert 'name="pseudonym"' in page.text  # the form again, to put right
    api = client.post("/api/reidentify", json=full)
    problem = api.json()["error"]
    assert api.status_code == 422 and message in problem["message"]
    assert problem["location"]["field"] == field_name
    assert NHS_NUMBERS[0] not in page.text + api.text
    assert (len(_logged(world)), len(_ledger(world))) == before


def test_the_form_needs_the_csrf_token(world: World) -> None:
    client = world.client("custodian_admin")
    right = client.headers.pop(CSRF_HEADER)
    before = len(_logged(world))
    form = {"project": world.project, "pseudonym": _pseudonym(world), "reason": REASON}
    for token in (None, "forged", right[:-1]):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        answer = client.post("/reidentify", data=data)
        assert answer.status_code == 403, token
        assert NHS_NUMBERS[0] not in answer.text
    assert len(_logged(world)) == before
    page_token = CSRF.search(client.get("/reidentify").text)
    assert page_token is not None and page_token.group(1) == right
    assert client.post("/reidentify", data={**form, "csrf_token": right}).status_code == 200
    assert len(_logged(world)) == before + 1


def test_a_get_with_the_pseudonym_in_the_url_is_not_a_way_in(world: World) -> None:
    client = world.client("custodian_admin")
    answer = client.get("/reidentify", params={"project": world.project,
                                               "pseudonym": _pseudonym(world),
                                               "reason": REASON})
    assert answer.status_code == 200 and NHS_NUMBERS[0] not in answer.text

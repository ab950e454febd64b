"""A signed-in patient sees and sets their own choice at /my-choices, on each engine."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from choice_fixtures import POOL, write_store
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db_fixtures import ENGINES, empty_database
from openhaven.choices.recording import set_choice
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import accounts, sessions
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.identity.repository import account_for_person
from openhaven.ledger import read_entries
from openhaven.transparency.patient_links import link_patient
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE

MINE, OTHER = POOL[0], POOL[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: account name → (roles, linked NHS number or None)
ACCOUNTS = {
    "patient": (["patient"], MINE),
    "other-patient": (["patient"], OTHER),
    "unlinked": (["patient"], None),
    "proxy": (["proxy"], MINE),
    "researcher": (["researcher"], None),
}


@dataclass
class Site:
    app: object
    engine: Engine
    people: dict[str, int]
    haven: Haven

    def client(self, name: str | None, *, with_csrf: bool = True) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)  # type: ignore[arg-type]
        if name is None:
            return client
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.people[name])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
            csrf = started.record.csrf_token
        client.cookies.set(SESSION_COOKIE, started.token)
        if with_csrf:
            client.headers[CSRF_HEADER] = csrf
        return client


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"my-choices-{request.param}")
    with pytest.MonkeyPatch.context() as patch, empty_database(request.param, folder) as engine:
        patch.setenv(PROFILE_ENV, "fast")
        migrate(engine)
        haven = Haven.open(folder / "haven")
        write_store(haven.paths.record_store, [MINE, OTHER],
                    births=[dt.date(1980, 5, 5), dt.date(1975, 1, 9)])
        people = {}
        with unit_of_work(engine) as session:
            for name, (roles, number) in ACCOUNTS.items():
                person = governance.register_person(
                    session, haven, display_name=name, email=f"{name}@example.org",
                    roles=roles, organisation=None, actor="test")
                made = accounts.create_account(session, haven, person,
                                               password="a long password", actor="test")
                if number is not None:
                    link_patient(session, haven, made.account.id, number,
                                 verified_by="custodian-desk")
                people[name] = person.id
            # the other patient opted out by phone: it must never show on anyone else's page
            set_choice(session, haven, nhs_number=OTHER, channel="phone",
                       recorded_by="person:staff-desk")
        app = create_app(haven)
        app.state.engine = engine
        yield Site(app, engine, people, haven)


def test_a_linked_patient_sees_and_changes_their_choice_on_the_page(site: Site) -> None:
    patient = site.client("patient", with_csrf=False)
    shown = patient.get("/my-choices")
    assert shown.status_code == 200, shown.text
    assert "What it does not cover" in shown.text
    assert "You have not\n    opted out" in shown.text and MINE not in shown.text
    token = CSRF.search(shown.text)
    assert token is not None
    done = patient.post("/my-choices", data={
        "choice": "research-and-planning", "decision": "opt-out",
        "csrf_token": token.group(1)})
    assert done.status_code == 200, done.text
    reference = re.search(r'id="reference">(CH-\d{8})<', done.text)
    assert reference is not None and MINE not in done.text
    again = patient.get("/my-choices")
    assert "You have opted\n    out" in again.text and reference.group(1) in again.text
    assert "Withdraw my opt-out" in again.text
    answer = site.client("patient").get("/api/my-choices").json()
    assert answer["current"]["research-and-planning"] == "opted-out"
    assert answer["history"][-1]["reference"] == reference.group(1)
    assert answer["history"][-1]["acting_as"] == "self"
    assert MINE not in json.dumps(answer)


def test_the_api_sets_and_withdraws_with_a_reference(site: Site) -> None:
    patient = site.client("patient")
    set_ = patient.post("/api/my-choices", json={"decision": "opt-out"})
    assert set_.status_code == 201, set_.text
    assert set_.json()["reference"].startswith("CH-") and set_.json()["state"] == "opted-out"
    withdrawn = patient.post("/api/my-choices", json={"decision": "withdraw"})
    assert withdrawn.status_code == 201 and withdrawn.json()["state"] == "not-set"
    current = patient.get("/api/my-choices").json()["current"]
    assert current["research-and-planning"] == "not-set"
    bad = patient.post("/api/my-choices", json={"decision": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["location"] == {"field": "decision"}
    unknown = patient.post("/api/my-choices", json={"choice": "no-such-choice"})
    assert unknown.status_code == 422


def test_another_patients_choice_is_never_shown(site: Site) -> None:
    mine = site.client("patient").get("/api/my-choices").json()
    assert all(event["channel"] != "phone" for event in mine["history"])
    other = site.client("other-patient")
    theirs = other.get("/api/my-choices").json()
    assert theirs["current"]["research-and-planning"] == "opted-out"
    assert [event["channel"] for event in theirs["history"]] == ["phone"]
    page = other.get("/my-choices").text
    assert OTHER not in page and MINE not in page


def test_an_unlinked_patient_gets_409(site: Site) -> None:
    unlinked = site.client("unlinked")
    refused = unlinked.get("/api/my-choices")
    assert refused.status_code == 409 and "linked" in refused.text
    assert unlinked.post("/api/my-choices", json={"decision": "opt-out"}).status_code == 409
    assert unlinked.get("/my-choices").status_code == 409


def test_a_researcher_and_nobody_are_refused(site: Site) -> None:
    researcher = site.client("researcher")
    assert researcher.get("/api/my-choices").status_code == 403
    assert researcher.post("/api/my-choices", json={"decision": "opt-out"}).status_code == 403
    assert researcher.get("/my-choices").status_code == 403
    assert site.client(None).get("/api/my-choices").status_code == 401
    redirected = site.client(None).get("/my-choices", follow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["location"].startswith(
        "/sign-in?")


def test_a_proxy_without_a_recorded_authority_sees_but_does_not_set(site: Site) -> None:
    proxy = site.client("proxy")
    shown = proxy.get("/api/my-choices")
    assert shown.status_code == 200 and shown.json()["acting_for"] == []
    page = proxy.get("/my-choices")
    assert page.status_code == 200 and "custodian team" in page.text
    assert 'action="/my-choices"' not in page.text
    refused = proxy.post("/api/my-choices", json={"decision": "opt-out"})
    assert refused.status_code == 403 and "not recorded" in refused.text


def test_changing_a_choice_needs_the_csrf_token(site: Site) -> None:
    patient = site.client("patient", with_csrf=False)
    before = patient.get("/api/my-choices").json()["history"]
    refused = patient.post("/api/my-choices", json={"decision": "opt-out"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_refused"
    form = patient.post("/my-choices", data={"choice": "research-and-planning",
                                             "decision": "opt-out", "csrf_token": "forged"})
    assert form.status_code == 403
    assert patient.get("/api/my-choices").json()["history"] == before


def test_the_ledger_entry_names_no_nhs_number(site: Site) -> None:
    answer = site.client("patient").post("/api/my-choices", json={"decision": "opt-out"})
    assert answer.status_code == 201
    event_id = int(answer.json()["reference"].removeprefix("CH-"))
    entries = [entry for entry in read_entries(site.haven, action_prefix="choice.recorded")
               if entry.subject == f"choice-event:{event_id}"]
    assert len(entries) == 1
    assert entries[0].actor.startswith("person:")
    written = json.dumps([entry.as_dict() for entry in read_entries(site.haven)])
    assert MINE not in written and OTHER not in written

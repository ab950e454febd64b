"""The choices API and pages through the real app, action checks and sessions, per engine."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from choice_fixtures import POOL, approved_project, write_store
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db_fixtures import ENGINES, empty_database
from openhaven.core.clock import utc_now
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import accounts, sessions
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.identity.repository import account_for_person
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE

ADULT, CHILD, UNKNOWN = POOL[0], POOL[1], POOL[7]


@dataclass
class Site:
    app: object
    engine: Engine
    people: dict[str, int]
    haven: Haven

    def client(self, role: str | None) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)  # type: ignore[arg-type]
        if role is None:
            return client
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.people[role])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
            csrf = started.record.csrf_token
        client.cookies.set(SESSION_COOKIE, started.token)
        client.headers[CSRF_HEADER] = csrf
        return client


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"choices-api-{request.param}")
    with pytest.MonkeyPatch.context() as patch, empty_database(request.param, folder) as engine:
        patch.setenv(PROFILE_ENV, "fast")
        migrate(engine)
        haven = Haven.open(folder / "haven")
        today = utc_now().date()
        write_store(haven.paths.record_store, [ADULT, CHILD],
                    births=[dt.date(1980, 5, 5), today.replace(year=today.year - 8)])
        people = {}
        with unit_of_work(engine) as session:
            for role in ("custodian_admin", "auditor", "researcher"):
                person = governance.register_person(
                    session, haven, display_name=role, email=f"{role}@example.org",
                    roles=[role], organisation=None, actor="test")
                accounts.create_account(session, haven, person, password="a long password",
                                        actor="test")
                people[role] = person.id
        app = create_app(haven)
        app.state.engine = engine
        yield Site(app, engine, people, haven)


def test_recording_looking_up_and_withdrawing_through_the_api(site: Site) -> None:
    staff = site.client("custodian_admin")
    answer = staff.post("/api/choices", json={"nhs_number": ADULT, "channel": "phone"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["reference"].startswith("CH-")
    assert answer.json()["state"] == "opted-out"
    looked_up = staff.post("/api/choices/lookup", json={"nhs_number": ADULT}).json()
    assert looked_up["current"]["research-and-planning"] == "opted-out"
    assert looked_up["history"][-1]["channel"] == "phone"
    assert looked_up["history"][-1]["recorded_by"].startswith("person:")
    withdrawn = staff.post("/api/choices", json={"nhs_number": ADULT, "decision": "withdraw"})
    assert withdrawn.json()["state"] == "not-set"
    auditor = site.client("auditor")
    assert auditor.post("/api/choices/lookup", json={"nhs_number": ADULT}).status_code == 200


def test_the_api_refuses_who_may_not_and_what_is_not_valid(site: Site) -> None:
    staff = site.client("custodian_admin")
    child = staff.post("/api/choices", json={"nhs_number": CHILD})
    assert child.status_code == 403 and CHILD not in child.text
    proxy = staff.post("/api/choices", json={"nhs_number": CHILD,
                                             "acting_as": "parental_responsibility"})
    assert proxy.status_code == 201
    unknown = staff.post("/api/choices", json={"nhs_number": UNKNOWN})
    assert unknown.status_code == 403
    bad = staff.post("/api/choices", json={"nhs_number": "1234567890"})
    assert bad.status_code == 422
    assert bad.json()["error"]["location"] == {"field": "nhs_number"}
    assert "1234567890" not in bad.text
    assert site.client("researcher").post(
        "/api/choices", json={"nhs_number": ADULT}).status_code == 403
    assert site.client("auditor").post(
        "/api/choices", json={"nhs_number": ADULT}).status_code == 403
    assert site.client(None).post("/api/choices/lookup",
                                  json={"nhs_number": ADULT}).status_code == 401


def test_the_bulk_check_over_the_api(site: Site) -> None:
    staff = site.client("custodian_admin")
    staff.post("/api/choices", json={"nhs_number": ADULT})
    answer = staff.post("/api/choices/check", json={
        "numbers": [ADULT, POOL[3], "123"], "purpose": "research"}).json()
    assert (answer["submitted"], answer["usable"], answer["removed"]) == (3, 1, 1)
    assert answer["usable_numbers"] == [POOL[3]]
    assert answer["invalid"] == [{"entry": 3, "value": "123",
                                  "reason": "must be 10 digits, not 3"}]


def test_the_explanation_is_public_and_the_form_confirms_with_a_reference(site: Site) -> None:
    public = site.client(None).get("/choices")
    assert public.status_code == 200
    assert "What it does not cover" in public.text and "from the age of 13" in public.text
    assert site.client(None).get("/api/choices/policy").json()["default_choice"] == \
        "research-and-planning"
    staff = site.client("custodian_admin")
    form = staff.get("/choices/record")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = staff.post("/choices/record", data={
        "nhs_number": ADULT, "choice": "research-and-planning", "decision": "opt-out",
        "acting_as": "self", "channel": "paper", "csrf_token": token.group(1)})
    assert done.status_code == 200, done.text
    assert re.search(r'id="reference">CH-\d{8}<', done.text)
    assert ADULT not in done.text


def test_fifty_concurrent_api_writers_for_one_patient_lose_and_duplicate_nothing(
    site: Site,
) -> None:
    """Every 201 stands for exactly one stored event, committed before the answer."""
    clients = [site.client("custodian_admin") for _ in range(50)]
    statuses: list[int] = []
    start = threading.Barrier(len(clients))

    def write(client: TestClient) -> None:
        start.wait()
        answer = client.post("/api/choices", json={"nhs_number": ADULT, "channel": "web"})
        statuses.append(answer.status_code)

    before = len(site.client("auditor").post(
        "/api/choices/lookup", json={"nhs_number": ADULT}).json()["history"])
    threads = [threading.Thread(target=write, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = site.client("auditor").post("/api/choices/lookup",
                                        json={"nhs_number": ADULT}).json()["history"]
    assert statuses == [201] * 50
    assert len(after) - before == 50
    assert len({event["id"] for event in after}) == len(after)


def test_an_exemption_is_recorded_with_its_basis_and_shows_on_the_register(site: Site) -> None:
    with unit_of_work(site.engine) as session:
        reference = approved_project(session, site.haven, suffix="api").reference
    staff = site.client("custodian_admin")
    answer = staff.post("/api/choices/exemptions", json={
        "project": reference, "basis": "copi_regulation_3", "approved_by": "person:9",
        "justification": "pandemic surveillance"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["basis"] == "copi_regulation_3"
    register = site.client(None).get("/api/register")
    assert register.status_code == 200
    row = next(r for r in register.json()["projects"] if r["reference"] == reference)
    assert "COPI regulation 3" in row["opt_outs"]
    missing = staff.post("/api/choices/exemptions", json={"project": reference,
                                                          "basis": "copi_regulation_3"})
    assert missing.status_code == 422
    assert missing.json()["error"]["location"]["field"] == "approved_by"
    assert site.client("auditor").post("/api/choices/exemptions", json={
        "project": reference}).status_code == 403

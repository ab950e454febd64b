"""Custodian staff over the API: a patient's request by post, linking accounts, benefits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from transparency_world import NUMBERS, World, build_world

from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import sessions
from openhaven.identity.accounts import create_account
from openhaven.ledger import read_entries
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Haven.open(tmp_path_factory.mktemp("staff-api") / "haven"))


def _client(world: World, name: str, roles: list[str]) -> tuple[TestClient, int]:
    engine = make_engine(world.haven.settings.database_url)
    with unit_of_work(engine) as session:
        person = governance.register_person(
            session, world.haven, display_name=name, email=f"{name}@example.org",
            roles=roles, organisation=None, actor="custodian")
        account = create_account(session, world.haven, person, password="a long passphrase 42",
                                 actor="custodian").account
        started = sessions.start_session(session, account, stage=sessions.FULL)
        token, csrf, account_id = started.token, started.record.csrf_token, account.id
    engine.dispose()
    client = TestClient(create_app(world.haven), raise_server_exceptions=False)
    client.cookies.set(SESSION_COOKIE, token)
    client.headers[CSRF_HEADER] = csrf
    return client, account_id


def test_staff_answer_link_and_record_benefits_and_others_may_not(world: World) -> None:
    staff, _ = _client(world, "desk", ["custodian_admin"])
    found = staff.post("/api/transparency/patient", json={"nhs_number": NUMBERS[0]})
    assert found.status_code == 200, found.text
    assert [u["reference"] for u in found.json()["extracts"]] == world.references
    bad = staff.post("/api/transparency/patient", json={"nhs_number": "99"})
    assert bad.status_code == 422 and "99" not in bad.text.replace('"422"', "")

    patient, patient_account = _client(world, "pat", ["patient"])
    assert patient.get("/api/my-data").status_code == 409  # not yet linked
    linked = staff.post("/api/transparency/links",
                        json={"account_id": patient_account, "nhs_number": NUMBERS[2]})
    assert linked.status_code == 201, linked.text
    assert [u["reference"] for u in patient.get("/api/my-data").json()["extracts"]] == \
        world.references
    assert staff.post("/api/transparency/links",
                      json={"account_id": "x", "nhs_number": NUMBERS[2]}).status_code == 422

    benefit = staff.post("/api/transparency/benefits", json={
        "project": world.references[1], "reported_on": "2026-10-01",
        "summary": "Faster diagnosis pathway.", "link": "https://example.org/b"})
    assert benefit.status_code == 201, benefit.text
    row = next(r for r in staff.get("/register.json").json()["projects"]
               if r["reference"] == world.references[1])
    assert row["benefits"][0]["summary"] == "Faster diagnosis pathway."
    assert staff.post("/api/transparency/benefits", json={
        "project": world.references[1], "reported_on": "yesterday",
        "summary": "x"}).status_code == 422
    assert any(e.action == "register.benefit_recorded" for e in read_entries(world.haven))

    assert patient.post("/api/transparency/patient",
                        json={"nhs_number": NUMBERS[0]}).status_code == 403
    assert patient.post("/api/transparency/benefits", json={}).status_code == 403

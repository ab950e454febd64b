"""The patient's page and API, the custodian's look-up by post or phone (web and CLI)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from transparency_world import NUMBERS, OPTED_OUT, World, build_world
from typer.testing import CliRunner

from openhaven.cli.main import app as cli
from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity.accounts import create_account
from openhaven.ledger import patient_reference, read_entries
from openhaven.transparency.patient_links import link_patient
from openhaven.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journey"))
from signing_in import sign_in

PASSWORD = "correct horse battery staple 9"


def _account(world: World, name: str, roles: list[str], nhs_number: str | None) -> dict[str, Any]:
    engine = make_engine(world.haven.settings.database_url)
    with unit_of_work(engine) as session:
        person = governance.register_person(
            session, world.haven, display_name=name, email=f"{name}@example.org", roles=roles,
            organisation=None, actor="custodian")
        made = create_account(session, world.haven, person, password=PASSWORD,
                              actor="custodian")
        if nhs_number is not None:
            link_patient(session, world.haven, made.account.id, nhs_number,
                         verified_by="custodian-desk")
        found = {"email": f"{name}@example.org", "password": PASSWORD,
                 "totp_secret": made.totp_secret, "id": made.account.id}
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Haven.open(tmp_path_factory.mktemp("my-data") / "haven"))


def test_a_linked_patient_sees_their_uses_and_their_record(world: World) -> None:
    patient = _account(world, "patient-one", ["patient"], NUMBERS[0])
    with TestClient(create_app(world.haven)) as client:
        sign_in(client, patient)
        found = client.get("/api/my-data").json()
        assert [u["reference"] for u in found["extracts"]] == world.references
        page = client.get("/my-data")
        assert page.status_code == 200 and "Study 2" in page.text and "commercial" in page.text
        assert NUMBERS[0] not in page.text
        own = client.get(f"/api/my-data/{world.references[1]}").json()
        assert own["extracts"][0]["tables"]["patients"][0]["postcode_district"] == "LS1"
        shown = client.get(f"/my-data/{world.references[1]}")
        assert shown.status_code == 200 and "LS1" in shown.text
    lookups = [e for e in read_entries(world.haven, action_prefix="transparency.")
               if e.subject == patient_reference(world.haven, NUMBERS[0])]
    assert {e.action for e in lookups} >= {"transparency.patient_linked",
                                           "transparency.patient_lookup",
                                           "transparency.own_record_viewed"}


def test_an_unlinked_patient_and_other_roles_are_refused(world: World) -> None:
    unlinked = _account(world, "patient-two", ["patient"], None)
    with TestClient(create_app(world.haven)) as client:
        sign_in(client, unlinked)
        refused = client.get("/api/my-data")
        assert refused.status_code == 409 and "linked" in json.dumps(refused.json())
    with TestClient(create_app(world.haven)) as client:
        assert client.get("/api/my-data").status_code == 401
        researcher = _account(world, "researcher-one", ["researcher"], None)
        sign_in(client, researcher)
        assert client.get("/api/my-data").status_code == 403


def test_custodian_answers_a_request_by_post_with_the_cli(world: World) -> None:
    home = str(world.haven.home)
    answer = CliRunner().invoke(cli, ["transparency", "patient", NUMBERS[4], "--json",
                                      "--home", home])
    assert answer.exit_code == 0, answer.output
    found = json.loads(answer.output)
    assert [u["reference"] for u in found["extracts"]] == world.references
    assert found["patient"] == patient_reference(world.haven, NUMBERS[4])
    none = json.loads(CliRunner().invoke(cli, ["transparency", "patient", OPTED_OUT, "--json",
                                               "--home", home]).output)
    assert none["extracts"] == []
    bad = CliRunner().invoke(cli, ["transparency", "patient", "123", "--json", "--home", home])
    assert bad.exit_code != 0 and "nhs_number" in bad.output and "123" not in bad.output.replace(
        "\"code\"", "")
    last = list(read_entries(world.haven, action_prefix="transparency.patient_lookup"))[-1]
    assert json.loads(json.dumps(last.details))["channel"] == "custodian-request"

"""Proxies set choices themselves: the link a custodian records, and /my-choices through it,
on each engine."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from choice_fixtures import POOL, write_store
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from db_fixtures import ENGINES, empty_database
from openhaven.choices.proxies import link_proxy
from openhaven.cli.main import app as cli_app
from openhaven.core.clock import today
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import Conflict, InvalidInput
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import accounts, sessions
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.identity.repository import account_for_person
from openhaven.ledger import read_entries
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE

CHILD, ADULT, OTHER_CHILD = POOL[3], POOL[4], POOL[5]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
EVIDENCE = "PR-EVIDENCE-0042"
ROLES = {"parent": ["proxy"], "attorney": ["proxy"], "lapsed": ["proxy"],
         "other-parent": ["proxy"], "patient": ["patient"], "not-a-proxy": ["patient"]}


@dataclass
class Site:
    app: Any
    engine: Engine
    haven: Haven
    accounts: dict[str, int]
    references: dict[str, str]
    links: dict[str, int]

    def client(self, name: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False)
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.accounts[name])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
            client.headers[CSRF_HEADER] = started.record.csrf_token
        client.cookies.set(SESSION_COOKIE, started.token)
        return client


def _years_ago(years: int) -> dt.date:
    now = today()
    return now.replace(year=now.year - years, day=min(now.day, 28))


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"proxies-{request.param}")
    with pytest.MonkeyPatch.context() as patch, empty_database(request.param, folder) as engine:
        patch.setenv(PROFILE_ENV, "fast")
        migrate(engine)
        haven = Haven.open(folder / "haven")
        write_store(haven.paths.record_store, [CHILD, ADULT, OTHER_CHILD],
                    births=[_years_ago(5), dt.date(1950, 3, 3), _years_ago(8)])
        people: dict[str, int] = {}
        references: dict[str, str] = {}
        account_ids: dict[str, int] = {}
        with unit_of_work(engine) as session:
            for name, roles in ROLES.items():
                person = governance.register_person(
                    session, haven, display_name=name, email=f"{name}@example.org",
                    roles=roles, organisation=None, actor="test")
                made = accounts.create_account(session, haven, person,
                                               password="a long password", actor="test")
                people[name] = person.id
                references[name] = made.account.reference
                account_ids[name] = made.account.id

            def link(name: str, number: str, role: str, **dates: dt.date | None) -> int:
                return link_proxy(
                    session, haven, account_id=account_ids[name],
                    account_reference=references[name], account_roles=ROLES[name],
                    nhs_number=number, acting_as=role,
                    valid_from=dates.get("valid_from") or dt.date(2024, 1, 1),
                    valid_until=dates.get("valid_until"), evidence_reference=EVIDENCE,
                    actor="person:custodian-desk").id

            links = {
                "parent": link("parent", CHILD, "parental_responsibility"),
                "parent-of-adult": link("parent", ADULT, "parental_responsibility"),
                "attorney": link("attorney", ADULT, "lasting_power_of_attorney",
                                 valid_until=today() + dt.timedelta(days=365)),
                "lapsed": link("lapsed", CHILD, "parental_responsibility",
                               valid_until=today() - dt.timedelta(days=1)),
                "other-parent": link("other-parent", OTHER_CHILD, "parental_responsibility"),
            }
        web = create_app(haven)
        web.state.engine = engine
        yield Site(web, engine, haven, people, references, links)


def test_a_parent_sets_and_withdraws_a_young_childs_choice(site: Site) -> None:
    parent = site.client("parent")
    shown = parent.get("/api/my-choices").json()
    assert shown["current"] is None and shown["history"] is None  # no record of their own
    mine = {entry["link"]: entry for entry in shown["acting_for"]}
    assert set(mine) == {site.links["parent"], site.links["parent-of-adult"]}
    child = mine[site.links["parent"]]
    assert child["acting_as"] == "parental_responsibility" and child["in_force"]
    assert child["patient"].endswith(CHILD[-3:]) and CHILD not in json.dumps(shown)
    # the role comes from the link: one named in the request is ignored
    done = parent.post("/api/my-choices", json={
        "decision": "opt-out", "for": site.links["parent"],
        "acting_as": "lasting_power_of_attorney"})
    assert done.status_code == 201, done.text
    assert done.json()["state"] == "opted-out"
    after = {e["link"]: e for e in parent.get("/api/my-choices").json()["acting_for"]}
    child = after[site.links["parent"]]
    assert child["current"]["research-and-planning"] == "opted-out"
    assert child["history"][-1]["acting_as"] == "parental_responsibility"
    assert child["history"][-1]["reference"] == done.json()["reference"]
    withdrawn = parent.post("/api/my-choices", json={
        "decision": "withdraw", "for": str(site.links["parent"])})
    assert withdrawn.status_code == 201 and withdrawn.json()["state"] == "not-set"


def test_the_page_shows_each_person_and_its_form_names_the_link(site: Site) -> None:
    attorney = site.client("attorney")
    shown = attorney.get("/my-choices")
    assert shown.status_code == 200, shown.text
    assert "lasting power of attorney" in shown.text and ADULT not in shown.text
    assert f'name="for" value="{site.links["attorney"]}"' in shown.text
    token = CSRF.search(shown.text)
    assert token is not None
    done = attorney.post("/my-choices", data={
        "choice": "research-and-planning", "decision": "opt-out",
        "for": str(site.links["attorney"]), "csrf_token": token.group(1)})
    assert done.status_code == 200, done.text
    assert re.search(r'id="reference">CH-\d{8}<', done.text) and ADULT not in done.text


def test_an_expired_link_is_refused_and_offers_no_form(site: Site) -> None:
    lapsed = site.client("lapsed")
    entry = lapsed.get("/api/my-choices").json()["acting_for"][0]
    assert entry["in_force"] is False
    refused = lapsed.post("/api/my-choices", json={"decision": "opt-out",
                                                   "for": site.links["lapsed"]})
    assert refused.status_code == 403 and "not in force" in refused.json()["error"]["message"]
    page = lapsed.get("/my-choices")
    assert page.status_code == 200 and 'name="for"' not in page.text
    assert "not in force today" in page.text


def test_the_age_rules_refuse_a_role_that_cannot_act(site: Site) -> None:
    refused = site.client("parent").post("/api/my-choices", json={
        "decision": "opt-out", "for": site.links["parent-of-adult"]})
    assert refused.status_code == 403
    assert "parental responsibility does not extend" in refused.json()["error"]["message"]


def test_nobody_acts_through_another_accounts_link(site: Site) -> None:
    other = site.client("other-parent")
    refused = other.post("/api/my-choices", json={"decision": "opt-out",
                                                  "for": site.links["parent"]})
    assert refused.status_code == 404
    patient = site.client("patient")
    assert patient.post("/api/my-choices", json={
        "decision": "opt-out", "for": site.links["parent"]}).status_code == 403
    bad = other.post("/api/my-choices", json={"decision": "opt-out", "for": [1]})
    assert bad.status_code == 422 and bad.json()["error"]["location"] == {"field": "for"}
    assert site.client("not-a-proxy").get("/api/my-choices").status_code == 409


def test_linking_checks_its_input_and_the_ledger_names_no_patient(site: Site) -> None:
    with unit_of_work(site.engine) as session:
        def attempt(**changes: Any) -> None:
            given: dict[str, Any] = {
                "account_id": 1, "account_reference": site.references["parent"],
                "account_roles": ["proxy"], "nhs_number": OTHER_CHILD,
                "acting_as": "parental_responsibility", "valid_from": dt.date(2025, 1, 1),
                "valid_until": None, "evidence_reference": EVIDENCE, "actor": "test"}
            link_proxy(session, site.haven, **{**given, **changes})

        with pytest.raises(InvalidInput, match="role must be one of"):
            attempt(acting_as="self")
        with pytest.raises(InvalidInput, match="NHS number is not valid"):
            attempt(nhs_number="1234567890")
        with pytest.raises(InvalidInput, match="before valid_from"):
            attempt(valid_until=dt.date(2024, 1, 1))
        with pytest.raises(InvalidInput, match="evidence"):
            attempt(evidence_reference="  ")
        with pytest.raises(Conflict, match="proxy role"):
            attempt(account_roles=["patient"])
        session.rollback()
    written = json.dumps([entry.as_dict() for entry in read_entries(site.haven)])
    assert "choices.proxy_linked" in written
    for secret in (CHILD, ADULT, OTHER_CHILD, EVIDENCE):
        assert secret not in written


def _cli(home: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(cli_app, ["--home", str(home), "choices", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_the_cli_links_and_ends_a_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "fast")
    monkeypatch.delenv("OPENHAVEN_DATABASE_URL", raising=False)
    haven = Haven.open(tmp_path / "haven")
    engine = make_engine(haven.settings.database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        ids = {}
        for name, roles in (("proxy", ["proxy"]), ("patient", ["patient"])):
            person = governance.register_person(
                session, haven, display_name=name, email=f"{name}@example.org",
                roles=roles, organisation=None, actor="test")
            ids[name] = accounts.create_account(session, haven, person,
                                                password="a long password",
                                                actor="test").account.id
    engine.dispose()
    home = haven.home
    code, linked = _cli(home, "link-proxy", str(ids["proxy"]), CHILD, "--role",
                        "court_appointed_deputy", "--evidence", EVIDENCE,
                        "--valid-from", "2026-01-01", "--valid-until", "2027-01-01")
    assert code == 0, linked
    assert linked["acting_as"] == "court_appointed_deputy"
    assert linked["valid_until"] == "2027-01-01" and CHILD not in json.dumps(linked)
    code, error = _cli(home, "link-proxy", str(ids["patient"]), CHILD, "--role",
                       "parental_responsibility", "--evidence", EVIDENCE)
    assert code == 7 and "proxy role" in error["error"]["message"]
    code, error = _cli(home, "link-proxy", str(ids["proxy"]), CHILD, "--role",
                       "parental_responsibility", "--evidence", EVIDENCE,
                       "--valid-until", "soon")
    assert code == 3 and error["error"]["location"] == {"field": "valid_until"}
    code, ended = _cli(home, "end-proxy", str(linked["link"]))
    assert code == 0 and ended["in_force"] is False
    code, error = _cli(home, "end-proxy", str(linked["link"]))
    assert code == 7
    actions = [entry.action for entry in read_entries(haven)]
    assert "choices.proxy_linked" in actions and "choices.proxy_link_ended" in actions

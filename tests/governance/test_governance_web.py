"""The governance API and pages, driven as the researcher and the committee would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from governance_cast import REQUIRED, SPECIFICATION
from sqlalchemy import Engine

from db_fixtures import empty_database
from openhaven.core.clock import utc_now
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.access import record_accreditation
from openhaven.identity import accounts, api_tokens, sessions
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.identity.repository import account_for_person
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE

PEOPLE = {"researcher": ["researcher"], "chair": ["committee_member"],
          "vice": ["committee_member"]}


@dataclass
class Site:
    app: Any
    engine: Engine
    ids: dict[str, int]

    def api(self, who: str) -> TestClient:
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.ids[who])
            assert account is not None
            token = api_tokens.issue_token(session, self.app.state.haven, account,
                                           label="t", scope="write", actor="test").token
        client = TestClient(self.app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    def browser(self, who: str) -> TestClient:
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.ids[who])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
        client = TestClient(self.app, raise_server_exceptions=False)
        client.cookies.set(SESSION_COOKIE, started.token)
        client.headers[CSRF_HEADER] = started.record.csrf_token
        return client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("governance-web")
    with pytest.MonkeyPatch.context() as patch, empty_database("sqlite", folder) as engine:
        patch.setenv(PROFILE_ENV, "fast")
        migrate(engine)
        haven = Haven.open(folder / "haven")
        ids = {}
        with unit_of_work(engine) as session:
            organisation = governance.register_organisation(
                session, haven, name="Web University", kind="academic", actor="test")
            for name, roles in PEOPLE.items():
                person = governance.register_person(
                    session, haven, display_name=name, email=f"{name}@web.ac.uk", roles=roles,
                    organisation=organisation, actor="test")
                accounts.create_account(session, haven, person, password="a long passphrase",
                                        actor="test")
                ids[name] = person.id
            researcher = governance.get_person(session, ids["researcher"])
            for kind in REQUIRED:
                record_accreditation(session, haven, researcher, kind=kind,
                                     valid_from=utc_now().date(),
                                     expires_at=utc_now().replace(year=utc_now().year + 1),
                                     actor="test")
        app = create_app(haven)
        app.state.engine.dispose()
        app.state.engine = engine
        yield Site(app, engine, ids)


REQUEST = {
    "title": "Asthma and air quality",
    "lay_summary": "Whether poor air days send more people with asthma to hospital.",
    "purpose": "Health research",
    "purpose_codes": "HMB",
    "public_benefit": "Better warnings on poor air days.",
    "commercial": False,
    "declared_uses": ["research"],
    "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
    "identifiability": "pseudonymised",
    "safeguards_accepted": True,
    "data": SPECIFICATION,
}


def test_apply_submit_review_and_approve_through_the_api(site: Site) -> None:
    researcher = site.api("researcher")
    created = researcher.post("/api/requests", json=REQUEST)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    submitted = researcher.post(f"/api/requests/{reference}/submit")
    assert submitted.json()["status"] == "committee_review"
    assert submitted.json()["screening"]["outcome"] == "allow"
    chair, vice = site.api("chair"), site.api("vice")
    queue = chair.get("/api/committee/queue").json()["queue"]
    assert [(e["reference"], e["approvals"], e["quorum"]) for e in queue] == [
        (reference, 0, 2)]
    assert researcher.get("/api/committee/queue").status_code == 403
    refused = chair.post(f"/api/requests/{reference}/votes", json={"vote": "approve"})
    assert refused.status_code == 422
    assert refused.json()["error"]["location"] == {"field": "reasons"}
    first = chair.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Proportionate."})
    assert first.json()["request_status"] == "committee_review"
    second = vice.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Lawful."})
    assert second.json() == {"reference": reference, "status": "approved",
                             "request_status": "approved"}
    detail = researcher.get(f"/api/requests/{reference}").json()
    assert [h["to"] for h in detail["history"]][-1] == "approved"
    assert "@web.ac.uk" not in str(detail)
    again = chair.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Again."})
    assert again.status_code == 409


def test_a_bad_request_is_refused_naming_the_field(site: Site) -> None:
    answer = site.api("researcher").post("/api/requests", json={**REQUEST, "declared_uses": 3})
    assert answer.status_code == 422
    assert answer.json()["error"]["location"]["field"] == "declared_uses"
    answer = site.api("researcher").post("/api/requests", content=b"[1, 2]",
                                         headers={"content-type": "application/json"})
    assert answer.json()["error"]["location"] == {"field": "body"}


def test_the_policy_and_duo_matching_are_public(site: Site) -> None:
    anonymous = TestClient(site.app)
    policy = anonymous.get("/api/governance/policy").json()
    assert policy["quorum"] == 2 and any(r["id"] == "no-marketing" for r in policy["rules"])
    answer = anonymous.get("/api/governance/duo-match",
                           params={"purpose": "HMB", "dataset": "POA"}).json()
    assert answer["decision"] == "deny"


def test_the_application_form_and_the_review_queue_pages(site: Site) -> None:
    researcher = site.browser("researcher")
    form = researcher.get("/requests/new")
    assert form.status_code == 200 and 'name="purpose_codes"' in form.text
    posted = researcher.post("/requests/new", data={
        "title": "Form request", "lay_summary": "Asked through the form.",
        "purpose": "Health research", "purpose_codes": "HMB",
        "public_benefit": "Better care.", "declared_uses": ["research"],
        "safeguards_accepted": "yes", "article6": "6(1)(e)", "article9": "9(2)(j)",
        "common_law": "anonymised", "identifiability": "pseudonymised",
        "duration_days": "200", "data": '{"tables": {"patients": {"patient_id": "pseudonymise"}}}',
    }, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    reference = posted.headers["location"].rsplit("/", 1)[1]
    bad = researcher.post("/requests/new", data={"title": "x", "data": "not json"})
    assert bad.status_code == 422 and "must be JSON" in bad.text
    site.api("researcher").post(f"/api/requests/{reference}/submit")
    chair = site.browser("chair")
    queue = chair.get("/committee")
    assert reference in queue.text
    detail = chair.get(f"/committee/{reference}")
    assert detail.status_code == 200 and 'id="vote"' in detail.text
    voted = chair.post(f"/committee/{reference}/vote",
                       data={"vote": "comment", "comment": "Looks fine."},
                       follow_redirects=False)
    assert voted.status_code == 303
    assert "Looks fine." in chair.get(f"/committee/{reference}").text
    assert researcher.get("/committee", follow_redirects=False).status_code == 403

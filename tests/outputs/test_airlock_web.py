"""The airlock over HTTP: the policy's roles at the door, the airlock's own rules inside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airlock_world import build_world
from fastapi.testclient import TestClient

from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.identity.accounts import create_account
from openhaven.identity.api_tokens import issue_token
from openhaven.web.app import create_app

PEOPLE = ("lead", "colleague", "checker_a", "checker_b", "checker_on_project", "outsider")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    haven = Haven.open(tmp_path / "haven")
    engine = make_engine(haven.settings.database_url)
    migrate(engine)
    with unit_of_work(engine) as session:
        world = build_world(session, haven)
        tokens = {}
        for name in PEOPLE:
            account = create_account(session, haven, getattr(world, name), password="x" * 16,
                                     actor="custodian", with_totp=False).account
            tokens[name] = issue_token(session, haven, account, label="test", scope="write",
                                       actor="custodian").token
        output_id = world.output(session).id
        reference = world.project.reference
    engine.dispose()
    with TestClient(create_app(haven)) as client:
        yield {"client": client, "tokens": tokens, "output_id": output_id,
               "reference": reference}


def call(site: dict[str, Any], who: str, method: str, path: str,
         body: dict[str, Any] | None = None) -> Any:
    client: TestClient = site["client"]
    return client.request(method, path, json=body,
                          headers={"Authorization": f"Bearer {site['tokens'][who]}"})


def test_request_review_and_release_over_the_api(site: dict[str, Any]) -> None:
    reference = site["reference"]
    body = {"title": "Table 1", "items": [{"output_id": site["output_id"],
                                           "description": "Admissions by sex"}]}
    assert call(site, "outsider", "POST", f"/api/projects/{reference}/releases",
                body).status_code == 403
    answer = call(site, "lead", "POST", f"/api/projects/{reference}/releases", body)
    assert answer.status_code == 200, answer.text
    release = answer.json()["id"]
    vote = {"decision": "approve"}
    path = f"/api/airlock/releases/{release}/reviews"
    assert call(site, "lead", "POST", path, vote).status_code == 403          # not a checker
    refused = call(site, "checker_on_project", "POST", path, vote)
    assert refused.status_code == 403 and "Members" in refused.json()["error"]["message"]
    assert call(site, "checker_a", "POST", path, vote).json()["status"] == "submitted"
    queue = call(site, "checker_b", "GET", "/api/airlock/queue").json()["queue"]
    assert [r["id"] for r in queue] == [release] and queue[0]["reviews"] == []
    assert call(site, "checker_a", "GET", "/api/airlock/queue").json()["queue"] == []
    assert call(site, "checker_b", "POST", path, vote).json()["status"] == "released"
    own = f"/api/projects/{reference}/releases/{release}"
    seen = call(site, "colleague", "GET", own).json()
    assert len(seen["reviews"]) == 2 and seen["manifest"]["project"] == reference
    assert call(site, "outsider", "GET", own).status_code == 403
    assert call(site, "lead", "POST", f"{own}/withdraw").status_code == 409


def test_bad_bodies_name_the_field(site: dict[str, Any]) -> None:
    reference = site["reference"]
    answer = call(site, "lead", "POST", f"/api/projects/{reference}/releases",
                  {"title": "T", "items": [{"output_id": "one", "description": "d"}]})
    assert answer.status_code == 422
    assert answer.json()["error"]["location"] == {"entry": 1, "field": "output_id"}
    missing = f"/api/projects/{reference}/releases/999999"
    assert call(site, "lead", "GET", missing).status_code == 404

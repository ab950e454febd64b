"""The airlock over HTTP: the policy's roles at the door, the airlock's own rules inside."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from airlock_world import build_world
from fastapi.testclient import TestClient

from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.identity.accounts import create_account
from openhaven.identity.api_tokens import issue_token
from openhaven.outputs.helpers import crosstab, save_table, suppress
from openhaven.web.app import create_app

PASSWORD = "a long test password"
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
            account = create_account(session, haven, getattr(world, name), password=PASSWORD,
                                     actor="custodian", with_totp=False).account
            tokens[name] = issue_token(session, haven, account, label="test", scope="write",
                                       actor="custodian").token
        output_id = world.output(session).id
        emails = {name: getattr(world, name).email for name in PEOPLE}
        reference = world.project.reference
    engine.dispose()
    with TestClient(create_app(haven)) as client:
        yield {"client": client, "tokens": tokens, "output_id": output_id,
               "reference": reference, "emails": emails, "app": client.app, "haven": haven}


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


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(site: dict[str, Any], who: str) -> tuple[TestClient, str]:
    """A browser-like client signed in through the real sign-in page, and its CSRF token."""
    client = TestClient(site["app"])
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": site["emails"][who], "password": PASSWORD, "csrf_token": token.group(1),
        "next": "/"})
    assert answer.status_code == 303, answer.text
    token = CSRF.search(client.get("/account").text)
    assert token is not None
    return client, token.group(1)


def test_the_pages_take_a_request_through_two_reviews(site: dict[str, Any]) -> None:
    reference = site["reference"]
    lead, csrf = signed_in(site, "lead")
    form_page = lead.get(f"/projects/{reference}/releases")
    assert form_page.status_code == 200 and "by sex" in form_page.text
    output = str(site["output_id"])
    answer = lead.post(f"/projects/{reference}/releases", follow_redirects=False, data={
        "csrf_token": csrf, "title": "Table 1", "output_id": output,
        f"description_{output}": "Admissions by sex"})
    assert answer.status_code == 303, answer.text
    refused = lead.post(f"/projects/{reference}/releases", data={
        "csrf_token": csrf, "title": "", "output_id": output})
    assert refused.status_code == 422 and "needs a title" in refused.text
    for who in ("checker_a", "checker_b"):
        checker, token = signed_in(site, who)
        queue = checker.get("/airlock")
        assert queue.status_code == 200 and "Admissions by sex" in queue.text
        release = re.search(r'action="/airlock/(\d+)/review"', queue.text)
        assert release is not None
        voted = checker.post(f"/airlock/{release.group(1)}/review", follow_redirects=False,
                             data={"csrf_token": token, "decision": "approve"})
        assert voted.status_code == 303, voted.text
        assert "Admissions by sex" not in checker.get("/airlock").text
    assert "released" in lead.get(f"/projects/{reference}/releases").text


def test_the_queue_shows_the_airlocks_own_checks_with_cells(site: dict[str, Any],
                                                            tmp_path: Path) -> None:
    haven: Haven = site["haven"]
    data = tmp_path / "cohort.parquet"
    pl.DataFrame({"region": ["north"] * 3 + ["south"] * 60,
                  "sex": ["f"] * 3 + ["f"] * 25 + ["m"] * 35}).write_parquet(data)
    folder = haven.paths.project(site["reference"]) / "jobs" / "1" / "output"
    folder.mkdir(parents=True)
    table = save_table(suppress(crosstab(data, ["region"], ["sex"])), folder / "t.json")
    document = json.loads(table.read_text(encoding="utf-8"))
    document["tables"]["count"][0][0] = 3  # published after all
    table.write_text(json.dumps(document), encoding="utf-8")
    made = call(site, "lead", "POST", f"/api/projects/{site['reference']}/releases", {
        "title": "Regions", "items": [{"path": str(table), "description": "By region",
                                       "exception": "Reviewed with the team"}]})
    assert made.status_code == 200, made.text
    checker, _token = signed_in(site, "checker_a")
    page = checker.get("/airlock").text
    assert "controls: fail" in page and "differencing: pass" in page
    assert "cell 0,0" in page

"""Walk every route a researcher can reach, API and pages: nothing record-level comes back.

The researcher signs in through the real pages and calls every route their roles allow
(path parameters filled with their own project, its outputs and jobs), after running a job
that tries to carry the patients table out through its log and its output folder. No answer
may carry a pseudonym of the project's extract, whole or cut to the length a table printer
leaves; the dummy data downloads hold none of them either. An action a researcher may
perform that is not classified here fails the walk; a new route of a classified action is
called without anyone having to remember it.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.journey.demo import DemoReport
from openhaven.web.actions import ACTIONS, EVERYONE, api_routes, route_action
from openhaven.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journey"))
from job_helpers import run_queued_jobs
from signing_in import CSRF, sign_in

PREFIX = 10


def _pseudonyms(haven: Haven, reference: str) -> set[str]:
    extract = sorted((haven.paths.project(reference) / "extracts").glob("v*/extract.duckdb"))[-1]
    with open_session(extract, read_only=True) as data:
        return {str(p) for p in data.query("SELECT pseudonym FROM patients").column(0).to_pylist()}


def _leaks(text: str, pseudonyms: set[str]) -> list[str]:
    prefixes = {p[:PREFIX] for p in pseudonyms}
    return [t for t in re.findall(r"[0-9a-f]{%d,}" % PREFIX, text.lower())  # noqa: UP031
            if t[:PREFIX] in prefixes]


@pytest.fixture(scope="module")
def researcher(job_demo: DemoReport, job_haven: Haven) -> TestClient:
    client = TestClient(create_app(job_haven))
    account = next(a for a in job_demo.accounts if a["role"] == "researcher")
    sign_in(client, account)
    token = CSRF.search(client.get("/account").text)
    assert token is not None, "the account page carries the session's form token"
    client.headers["x-csrf-token"] = token.group(1)
    return client


#: Every action a researcher may perform, with why none of its routes can return
#: record-level data. A researcher-reachable action missing here fails the walk: whoever adds
#: one must say why it is safe, and its routes are then called below like every other.
RESEARCHER_ACTIONS = {
    "account.manage_own": "the researcher's own account: second factor, tokens",
    "account.sign_in": "signing in",
    "account.sign_out": "signing out",
    "account.token_issue": "issuing the researcher's own API token",
    "analysis.dummy": "generated dummy data and the extract's schema (column names, types)",
    "choices.explain": "the published choice policy",
    "governance.policy_read": "the published policy and DUO matching",
    "job.cancel": "a job's state",
    "job.read": "job states, checked logs, output names and sizes",
    "job.run": "the queued job's state",
    "ledger.read": "the audit log, which refuses identifiable details",
    "output.read": "outputs that passed output checking (suppressed cells hidden)",
    "project.read": "project summaries, extract counts",
    "public.read": "the public register and home page",
    "query.run": "a query's checked aggregate table",
    "release.change": "release requests' state",
    "release.read": "release requests' state",
    "release.request": "release requests' state",
    "request.change": "data access requests",
    "request.create": "data access requests",
    "request.read": "data access requests",
}
#: Routes not called by the walk, each with why (the route's action is still classified).
NOT_CALLED = {
    "POST /sign-out": "ends the walk's session",
    "POST /sign-out/everywhere": "ends the walk's session",
    "POST /sign-in": "a failed sign-in counts towards the account's lockout",
    "POST /sign-in/second-factor": "a failed code counts towards the account's lockout",
    "POST /account/second-factor": "would replace the researcher's second factor",
    "POST /account/recovery-codes": "would replace the researcher's recovery codes",
    "GET /sign-in/oidc": "redirects to an identity provider outside the haven",
    "GET /sign-in/oidc/callback": "answers only an identity provider's redirect",
}
PEEK = ("import os, pyarrow.parquet as pq, pyarrow.csv as pc\n"
        "d = os.path.dirname(os.environ['OPENHAVEN_EXTRACT'])\n"
        "rows = pq.read_table(d + '/tables/patients.parquet')\n"
        "pc.write_csv(rows, os.environ['OPENHAVEN_OUTPUT'] + '/rows.csv')\n"
        "print(rows.to_pylist()[:20])\n")


def _researcher_may(route: Any) -> bool:
    roles = ACTIONS[route_action(route) or ""].roles
    return "researcher" in roles or EVERYONE in roles


@pytest.mark.usefixtures("sandbox_available")
def test_no_route_a_researcher_reaches_returns_record_level_data(
    researcher: TestClient, job_haven: Haven, project_reference: str
) -> None:
    """Every route (API and pages) a researcher's roles allow is called, GETs with the
    path filled in and every other method with an empty body or form; none may answer
    with a pseudonym of the extract — not even after a job copied the patients table
    into its output folder and printed it to its log."""
    pseudonyms = _pseudonyms(job_haven, project_reference)
    queued = researcher.post(f"/api/projects/{project_reference}/jobs",
                             json={"script_name": "peek.py", "code": PEEK})
    assert queued.status_code == 202 and queued.json()["state"] == "queued", queued.text
    assert run_queued_jobs(job_haven) >= 1
    job_id = queued.json()["job_id"]
    ran = researcher.get(f"/api/projects/{project_reference}/jobs/{job_id}")
    assert ran.json()["outputs"][0]["file"] == "rows.csv"
    assert ran.json()["log"].startswith("[log withheld")
    copied = (job_haven.paths.project(project_reference) / "jobs" / str(job_id) / "output"
              / "rows.csv").read_text(encoding="utf-8")
    assert _leaks(copied, pseudonyms), "the check must see the pseudonyms the job copied"
    queried = researcher.post(f"/api/projects/{project_reference}/queries",
                              json={"name": "by-sex", "group_by": ["sex"]})
    answers: dict[str, Any] = {"job submit": queued, "job run": ran, "query run": queried}
    values = {"reference": project_reference, "job_id": str(job_id),
              "output_id": str(queried.json().get("output_id", 1))}
    reachable = [r for r in api_routes(researcher.app) if _researcher_may(r)]
    unclassified = {route_action(r) for r in reachable} - set(RESEARCHER_ACTIONS)
    assert not unclassified, f"say why these cannot return record-level data: {unclassified}"
    for route in reachable:
        method = sorted(route.methods)[0]
        name = f"{method} {route.path}"
        if name in NOT_CALLED or route.path.endswith(("/dummy", "/download")):
            continue  # the dummy downloads are zips, checked in the next test
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), route.path)
        if method == "GET":
            answers[name] = researcher.get(path)
        elif path.startswith("/api/"):
            answers[name] = researcher.request(method, path, json={})
        else:
            answers[name] = researcher.request(method, path, data={})
    reached = {name for name, answer in answers.items() if answer.status_code == 200}
    assert {"job run", "query run", "GET /api/projects/{reference}/jobs",
            "GET /projects/{reference}/jobs/{job_id}"} <= reached
    assert len(reached) > 30, "the walk reached too few routes to mean anything"
    for name, answer in answers.items():
        assert answer.status_code < 500, name
        assert _leaks(answer.text, pseudonyms) == [], name


def test_dummy_data_download_has_the_schema_and_no_real_pseudonym(
    researcher: TestClient, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    answer = researcher.get(f"/api/projects/{project_reference}/dummy?patients=120&seed=5")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert {"extract.duckdb", "schema.json", "tables/patients.parquet"} <= set(archive.namelist())
    archive.extractall(tmp_path)
    dummy = _pseudonyms_from(tmp_path / "extract.duckdb")
    assert len(dummy) == 120
    assert not {p[:PREFIX] for p in dummy} & {p[:PREFIX] for p in
                                              _pseudonyms(job_haven, project_reference)}


def test_a_researcher_may_not_touch_another_project(researcher: TestClient) -> None:
    for answer in (researcher.get("/api/projects/OH-2099-0001/jobs"),
                   researcher.get("/api/projects/OH-2099-0001/dummy"),
                   researcher.post("/api/projects/OH-2099-0001/jobs",
                                   json={"code": "print(1)"})):
        assert answer.status_code in (403, 404)


def _pseudonyms_from(extract: Path) -> set[str]:
    with open_session(extract, read_only=True) as data:
        return {str(p) for p in data.query("SELECT pseudonym FROM patients").column(0).to_pylist()}


def test_the_dummy_data_page_shows_the_schema_and_downloads_csv(
    researcher: TestClient, job_haven: Haven, project_reference: str
) -> None:
    shown = researcher.get(f"/projects/{project_reference}/dummy-data")
    assert shown.status_code == 200
    schema = researcher.get(f"/api/projects/{project_reference}/schema").json()["tables"]
    for table, columns in schema.items():
        assert f'id="schema-{table}"' in shown.text
        assert all(f"<td>{c['name']}</td>" in shown.text for c in columns)
    answer = researcher.get(f"/projects/{project_reference}/dummy-data/download"
                            "?patients=50&seed=3&format=csv")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert {f"tables/{table}.csv" for table in schema} <= names and "schema.json" in names
    assert not any(n.endswith((".parquet", ".duckdb")) for n in names)
    header = archive.read("tables/patients.csv").decode().splitlines()[0]
    assert [h.strip('"') for h in header.split(",")] == [c["name"] for c in schema["patients"]]
    rows = archive.read("tables/patients.csv").decode()
    assert _leaks(rows, _pseudonyms(job_haven, project_reference)) == []
    refused = researcher.get(f"/api/projects/{project_reference}/dummy?format=xlsx")
    assert refused.status_code == 422 and refused.json()["error"]["location"]["field"] == "format"

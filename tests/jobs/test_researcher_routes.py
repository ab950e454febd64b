"""Walk every API route a researcher can reach: nothing record-level comes back.

The researcher signs in through the real pages and calls every GET route of the API (path
parameters filled with their own project, its outputs and jobs), plus the analysis routes
that run things. No answer may carry a pseudonym of the project's extract, whole or cut to
the length a table printer leaves; the dummy data download holds none of them either.
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
from openhaven.web.actions import api_routes
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


@pytest.mark.usefixtures("sandbox_available")
def test_no_route_a_researcher_reaches_returns_record_level_data(
    researcher: TestClient, job_haven: Haven, project_reference: str
) -> None:
    pseudonyms = _pseudonyms(job_haven, project_reference)
    queued = researcher.post(f"/api/projects/{project_reference}/jobs", json={
        "script_name": "peek.py",
        "code": "import os, pyarrow.parquet as pq\n"
                "d = os.path.dirname(os.environ['OPENHAVEN_EXTRACT'])\n"
                "print(pq.read_table(d + '/tables/patients.parquet').to_pylist()[:20])\n",
    })
    assert queued.status_code == 202 and queued.json()["state"] == "queued", queued.text
    assert run_queued_jobs(job_haven) >= 1
    ran = researcher.get(f"/api/projects/{project_reference}/jobs/{queued.json()['job_id']}")
    queried = researcher.post(f"/api/projects/{project_reference}/queries",
                              json={"name": "by-sex", "group_by": ["sex"]})
    answers: dict[str, Any] = {"job submit": queued, "job run": ran, "query run": queried}
    values = {"reference": project_reference, "job_id": str(ran.json().get("job_id", 1)),
              "output_id": str(queried.json().get("output_id", 1))}
    for route in api_routes(researcher.app):
        if "GET" not in route.methods or route.path.endswith("/dummy"):
            continue
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), route.path)
        answers[path] = researcher.get(path)
    reached = {name for name, answer in answers.items() if answer.status_code == 200}
    assert {"job run", "query run", f"/api/projects/{project_reference}/jobs"} <= reached
    for name, answer in answers.items():
        assert answer.status_code < 500, name
        assert _leaks(answer.text, pseudonyms) == [], name
    assert ran.json()["log"].startswith("[log withheld")


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

"""The job pages: the team's jobs list, the upload form (with its CSRF token), a job's page
with its checked log, outputs (names and sizes only) and cancel button."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openhaven.core.haven import Haven
from openhaven.journey.demo import DemoReport
from openhaven.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journey"))
from job_helpers import run_queued_jobs
from signing_in import CSRF, sign_in

SCRIPT = (b"import os\nopen(os.environ['OPENHAVEN_OUTPUT'] + '/table.csv', 'w')"
          b".write('sex,n\\nF,10\\n')\nprint('made the table')\n")


@pytest.fixture(scope="module")
def researcher(job_demo: DemoReport, job_haven: Haven) -> TestClient:
    client = TestClient(create_app(job_haven))
    sign_in(client, next(a for a in job_demo.accounts if a["role"] == "researcher"))
    return client


def _token(client: TestClient, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None, f"{path} carries the form token"
    return found.group(1)


@pytest.mark.usefixtures("sandbox_available")
def test_a_script_uploaded_on_the_page_queues_runs_and_shows_outputs_not_contents(
    researcher: TestClient, job_haven: Haven, project_reference: str
) -> None:
    jobs_page = f"/projects/{project_reference}/jobs"
    token = _token(researcher, jobs_page)
    submitted = researcher.post(jobs_page, data={"csrf_token": token},
                                files={"script": ("table.py", SCRIPT, "text/x-python")},
                                follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    job_page = submitted.headers["location"]
    assert job_page.startswith(f"{jobs_page}/")
    queued = researcher.get(job_page).text
    assert "queued" in queued and "Cancel this job" in queued
    assert run_queued_jobs(job_haven) >= 1
    shown = researcher.get(job_page).text
    assert "succeeded" in shown and "made the table" in shown
    assert "table.csv" in shown and "<td class=\"num\">11</td>" in shown
    assert "F,10" not in shown, "an output's contents never appear on its job's page"
    assert f"/projects/{project_reference}/releases" in shown
    assert "Cancel this job" not in shown
    listing = researcher.get(jobs_page).text
    job_id = job_page.rsplit("/", 1)[1]
    assert f'href="{job_page}">{job_id}</a>' in listing and "table.py" in listing
    # the output's own link opens the release form with its path filled in
    path = f"projects/{project_reference}/jobs/{job_id}/output/table.csv"
    release_form = researcher.get(f"/projects/{project_reference}/releases",
                                  params={"file": path}).text
    assert f'name="file_path" value="{path}"' in release_form
    elsewhere = researcher.get(f"/projects/{project_reference}/releases",
                               params={"file": "/etc/passwd"}).text
    assert 'name="file_path" value=""' in elsewhere


def test_the_upload_form_refuses_without_its_token_or_a_python_file(
    researcher: TestClient, project_reference: str
) -> None:
    jobs_page = f"/projects/{project_reference}/jobs"
    forged = researcher.post(jobs_page, data={"csrf_token": "not-the-session-token"})
    assert forged.status_code == 403
    forged_upload = researcher.post(jobs_page, data={"csrf_token": "not-the-session-token"},
                                    files={"script": ("table.py", b"print(1)\n", "text/plain")})
    assert forged_upload.status_code == 403
    token = _token(researcher, jobs_page)
    wrong = researcher.post(jobs_page, data={"csrf_token": token},
                            files={"script": ("notes.txt", b"print(1)\n", "text/plain")})
    assert wrong.status_code == 422 and "ending .py" in wrong.text
    broken = researcher.post(jobs_page, data={"csrf_token": token},
                             files={"script": ("bad.py", b"def (:\n", "text/plain")})
    assert broken.status_code == 422 and "not valid Python" in broken.text


def test_a_queued_job_is_cancelled_from_its_page(
    researcher: TestClient, job_demo: DemoReport, project_reference: str
) -> None:
    jobs_page = f"/projects/{project_reference}/jobs"
    token = _token(researcher, jobs_page)
    submitted = researcher.post(jobs_page, data={"csrf_token": token},
                                files={"script": ("wait.py", b"print(1)\n", "text/plain")},
                                follow_redirects=False)
    job_page = submitted.headers["location"]
    cancelled = researcher.post(f"{job_page}/cancel", data={"csrf_token": token},
                                follow_redirects=False)
    assert cancelled.status_code == 303
    shown = researcher.get(job_page).text
    assert "cancelled" in shown and "before it started" in shown
    again = researcher.post(f"{job_page}/cancel", data={"csrf_token": token})
    assert again.status_code == 409 and "already ended" in again.text
    other = researcher.get(f"/projects/{project_reference}/jobs/999999")
    assert other.status_code == 404

"""Pages for a project's analysis jobs and dummy data.

The jobs page lists every job of the project (whoever submitted it) with its state, who,
when, the code's hash and the extract version, and carries the upload form; a job's page
shows its checked log and its outputs' names and sizes, a cancel button while it has not
ended, and a link to ask for release through the airlock — output files never come out
here. The dummy-data page shows the extract's schema and downloads generated data shaped
like it. Every form carries the session's CSRF token (checked by ``requires``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from openhaven.analysis.dummy_service import project_schema
from openhaven.core.errors import InvalidInput, Location, OpenHavenError
from openhaven.core.haven import Haven
from openhaven.governance.workflow import get_project
from openhaven.jobs import service as jobs
from openhaven.web.actions import requires
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.routes.analysis import (
    DUMMY_READ,
    JOB_CANCEL,
    JOB_READ,
    JOB_RUN,
    MAX_DUMMY_PATIENTS_ONLINE,
    dummy_zip,
    job_of_project,
    submit_script,
)

pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@pages.get("/projects/{reference}/jobs", dependencies=[requires(JOB_READ)])
def jobs_page(reference: str, request: Request, session: Session = DB) -> HTMLResponse:
    return _jobs_page(request, session, reference, None)


def _jobs_page(request: Request, session: Session, reference: str, message: str | None,
               status_code: int = 200) -> HTMLResponse:
    project = get_project(session, reference)
    listed = [jobs.job_summary(j) for j in reversed(jobs.list_jobs(session, reference))]
    return page(request, "jobs.html", status_code=status_code, project=project, jobs=listed,
                message=message, max_kib=jobs.MAX_SCRIPT_BYTES // 1024)


@pages.post("/projects/{reference}/jobs", dependencies=[requires(JOB_RUN)])
async def submit_form(reference: str, request: Request, session: Session = DB,
                      h: Haven = Depends(haven)) -> Response:
    try:
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("script")
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise InvalidInput("Choose a Python script to upload",
                                   Location(field="script"))
            name, code = upload.filename, await upload.read(jobs.MAX_SCRIPT_BYTES + 1)
        job = submit_script(request, session, h, reference, name, code)
    except OpenHavenError as error:
        session.rollback()
        return _jobs_page(request, session, reference, error.message,
                          status_code=error.http_status)
    return RedirectResponse(f"/projects/{reference}/jobs/{job.id}", status_code=303)


@pages.get("/projects/{reference}/jobs/{job_id}", dependencies=[requires(JOB_READ)])
def job_page(reference: str, job_id: int, request: Request,
             session: Session = DB) -> HTMLResponse:
    return _job_page(request, session, reference, job_id, None)


def _job_page(request: Request, session: Session, reference: str, job_id: int,
              message: str | None, status_code: int = 200) -> HTMLResponse:
    job = jobs.job_summary(job_of_project(session, reference, job_id))
    return page(request, "job.html", status_code=status_code,
                project=get_project(session, reference), job=job, message=message)


@pages.post("/projects/{reference}/jobs/{job_id}/cancel",
            dependencies=[requires(JOB_CANCEL)])
def cancel_form(reference: str, job_id: int, request: Request, session: Session = DB,
                h: Haven = Depends(haven)) -> Response:
    from openhaven.web.routes.governance import acting_person

    person = acting_person(request, session)
    try:
        jobs.cancel_job(session, h, job_of_project(session, reference, job_id).id,
                        actor=person.reference)
    except OpenHavenError as error:
        session.rollback()
        return _job_page(request, session, reference, job_id, error.message,
                         status_code=error.http_status)
    return RedirectResponse(f"/projects/{reference}/jobs/{job_id}", status_code=303)


@pages.get("/projects/{reference}/dummy-data", dependencies=[requires(DUMMY_READ)])
def dummy_page(reference: str, request: Request, session: Session = DB) -> HTMLResponse:
    return page(request, "dummy.html", project=get_project(session, reference),
                schema=project_schema(session, reference), most=MAX_DUMMY_PATIENTS_ONLINE)


@pages.get("/projects/{reference}/dummy-data/download", dependencies=[requires(DUMMY_READ)],
           response_class=Response)
def dummy_download(reference: str, request: Request, patients: int = 500, seed: int = 0,
                   format: str = "parquet", session: Session = DB,
                   h: Haven = Depends(haven)) -> Response:
    return dummy_zip(request, session, h, reference, patients=patients, seed=seed,
                     format=format)

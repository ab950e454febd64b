"""The analysis API: dummy data, declarative queries and analysis jobs for a project's team.

What a researcher can fetch here is never record-level: dummy data describes no one (it is
generated from the project's dataset specification), a query answers only with its checked
table, and a job answers with its state, its *checked* log and the names and sizes of its
outputs — the output files themselves leave only through the airlock. Submitting a job
queues it and answers at once (202); a worker runs it, and every member of the project's
team sees its state here, whoever submitted it. Cancelling stops a queued job from starting
and a running one within seconds.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from openhaven.analysis.dummy_service import project_dummy_data, project_schema, tables_as_csv
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.core.errors import InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.governance.workflow import get_project
from openhaven.jobs import service as jobs
from openhaven.jobs.models import AnalysisJob
from openhaven.outputs.service import run_checked_query
from openhaven.web.actions import register_action, requires
from openhaven.web.credentials import LARGEST_ID
from openhaven.web.dependencies import DB, haven
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.governance import OBJECT_BODY, acting_person, json_object

STAFF = ("custodian_admin", "auditor")
DUMMY_READ = register_action(
    "analysis.dummy", "Download dummy data shaped like a project's extract (no real records).",
    roles=[*STAFF, "researcher"], scoped=True,
)
QUERY_RUN = register_action(
    "query.run", "Run a declarative query on a project's extract; only its checked table "
    "comes back.", roles=["researcher"], scoped=True, access="write",
)
JOB_READ = register_action(
    "job.read", "Read a project's analysis jobs: states, checked logs, output names.",
    roles=[*STAFF, "researcher", "output_checker"], scoped=True,
)
JOB_RUN = register_action(
    "job.run", "Run an analysis script in the sandbox against a project's extract.",
    roles=["researcher"], scoped=True, access="write",
)
JOB_CANCEL = register_action(
    "job.cancel", "Cancel a project's queued or running analysis job.",
    roles=["researcher", "custodian_admin"], scoped=True, access="write",
)
MAX_DUMMY_PATIENTS_ONLINE = 20_000
DUMMY_FORMATS = ("parquet", "csv")

router = APIRouter(prefix="/api", responses={
    409: {"model": ErrorAnswer, "description": "Not possible in the project's state"},
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})


@router.get("/projects/{reference}/dummy", dependencies=[requires(DUMMY_READ)],
            response_class=Response)
def dummy_data(
    reference: str, request: Request, patients: int = 500, seed: int = 0,
    format: str = "parquet", session: Session = DB, h: Haven = Depends(haven),
) -> Response:
    """A zip of the dummy extract and its schema.json: ``format=parquet`` (extract.duckdb and
    tables/*.parquet) or ``format=csv`` (tables/*.csv)."""
    return dummy_zip(request, session, h, reference, patients=patients, seed=seed,
                     format=format)


def dummy_zip(request: Request, session: Session, h: Haven, reference: str, *,
              patients: int, seed: int, format: str) -> Response:
    """The dummy data download, shared by the API and the dummy-data page."""
    if not 1 <= patients <= MAX_DUMMY_PATIENTS_ONLINE or not 0 <= seed <= LARGEST_ID:
        raise InvalidInput(f"patients must be 1 to {MAX_DUMMY_PATIENTS_ONLINE:,} and seed "
                           "a non-negative number", Location(field="patients"))
    if format not in DUMMY_FORMATS:
        raise InvalidInput("format must be parquet or csv", Location(field="format"))
    person = acting_person(request, session)
    with tempfile.TemporaryDirectory(prefix="openhaven-dummy-") as folder:
        target = Path(folder) / "dummy"
        project_dummy_data(session, h, reference, target, actor=person.reference,
                           patients=patients, seed=seed)
        if format == "csv":
            tables_as_csv(target)
        keep = (lambda p: p.suffix != ".parquet" and p.name != "extract.duckdb"
                ) if format == "csv" else (lambda p: True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file() and keep(path):
                    archive.write(path, str(path.relative_to(target)))
    return Response(buffer.getvalue(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{reference}-dummy-{format}.zip"'})


@router.get("/projects/{reference}/schema", dependencies=[requires(DUMMY_READ)])
def schema(reference: str, session: Session = DB) -> dict[str, Any]:
    """The extract's tables and columns (name, type, transformation): no data."""
    return {"project": reference, "tables": project_schema(session, reference)}


@router.post("/projects/{reference}/queries", dependencies=[requires(QUERY_RUN)],
             openapi_extra=OBJECT_BODY)
async def run_query(
    reference: str, request: Request, session: Session = DB, h: Haven = Depends(haven),
) -> dict[str, Any]:
    """Run the query in the body; the answer is the checked table and why cells were hidden."""
    body = await json_object(request)
    query = AggregateQuery.from_dict(body, source="request body")
    person = acting_person(request, session)
    return run_checked_query(session, h, reference, query, actor=person.reference,
                             person=person)


@router.get("/projects/{reference}/jobs", dependencies=[requires(JOB_READ)])
def list_jobs(reference: str, session: Session = DB) -> dict[str, Any]:
    return {"project": reference,
            "jobs": [jobs.job_summary(j) for j in jobs.list_jobs(session, reference)]}


@router.get("/projects/{reference}/jobs/{job_id}", dependencies=[requires(JOB_READ)])
def read_job(reference: str, job_id: int, session: Session = DB) -> dict[str, Any]:
    return jobs.job_summary(job_of_project(session, reference, job_id))


def job_of_project(session: Session, reference: str, job_id: int) -> AnalysisJob:
    """The job, found only under its own project's path (the scope checked)."""
    if not 0 < job_id <= LARGEST_ID:
        raise NotFound(f"No job {job_id}", Location(field="job_id"))
    job = jobs.get_job(session, job_id)
    if job.project_id != get_project(session, reference).id:
        raise NotFound(f"No job {job_id} in {reference}", Location(field="job_id"))
    return job


@router.post("/projects/{reference}/jobs", dependencies=[requires(JOB_RUN)],
             openapi_extra=OBJECT_BODY, status_code=202)
async def submit_job(
    reference: str, request: Request, session: Session = DB, h: Haven = Depends(haven),
) -> JSONResponse:
    """Queue ``{"script_name": "analysis.py", "code": "..."}``; answers the queued job (202).

    Follow it at ``GET /api/projects/{reference}/jobs/{job_id}``.
    """
    body = await json_object(request)
    code, name = body.get("code"), body.get("script_name", "analysis.py")
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput("code must be the script's text", Location(field="code"))
    job = submit_script(request, session, h, reference, name, code.encode("utf-8"))
    return JSONResponse(jobs.job_summary(job), status_code=202)


def submit_script(request: Request, session: Session, h: Haven, reference: str,
                  name: object, code: bytes) -> AnalysisJob:
    """Queue a script sent by the API or the upload form, as the signed-in person."""
    if not isinstance(name, str) or not name.endswith(".py") or "/" in name \
            or "\\" in name or len(name) > 100:
        raise InvalidInput("script_name must be a file name ending .py",
                           Location(field="script_name"))
    if len(code) > jobs.MAX_SCRIPT_BYTES:
        raise InvalidInput(f"A job script may be at most {jobs.MAX_SCRIPT_BYTES // 1024} KiB",
                           Location(field="code"))
    person = acting_person(request, session)
    with tempfile.TemporaryDirectory(prefix="openhaven-job-") as folder:
        script = Path(folder) / name
        script.write_bytes(code)
        return jobs.submit_job(session, h, reference, script, actor=person.reference,
                               person=person)


@router.post("/projects/{reference}/jobs/{job_id}/cancel",
             dependencies=[requires(JOB_CANCEL)])
def cancel_job(reference: str, job_id: int, request: Request, session: Session = DB,
               h: Haven = Depends(haven)) -> dict[str, Any]:
    """Cancel the job: a queued one at once, a running one within seconds (its state says)."""
    person = acting_person(request, session)
    job = job_of_project(session, reference, job_id)
    return jobs.job_summary(jobs.cancel_job(session, h, job.id, actor=person.reference))

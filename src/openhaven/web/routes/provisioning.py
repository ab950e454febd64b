"""Custodian re-identification over the web: a form and an API, and each project's history.

Re-identification (pseudonym -> NHS number) is the one way back from an extract, so it is
for the custodian alone (``pseudonym.reidentify``), needs a recorded reason, and travels only
in POST bodies: no pseudonym or NHS number ever appears in a URL (URLs reach access logs and
browser history). The answer is shown once, marked ``Cache-Control: no-store`` so neither
the browser nor a proxy keeps it. The service (``provisioning.key_epochs.reidentify``) writes
the re-identification log and the audit ledger before the answer leaves (the unit of work
commits first). The history page lists who asked, when and why, never the NHS numbers.
Thin: the rules live in the service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.provisioning import repository
from openhaven.provisioning.key_epochs import MIN_REASON_CHARS, Reidentified, reidentify
from openhaven.web.actions import register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, page
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.choices import OBJECT_BODY, json_object

REIDENTIFY = register_action(
    "pseudonym.reidentify",
    "Re-identify a project pseudonym (pseudonym to NHS number) with a recorded reason.",
    roles=["custodian_admin"], access="admin",
)
REIDENTIFICATION_LOG = register_action(
    "pseudonym.reidentification_log",
    "Read a project's re-identification history: who, when and why, never the NHS numbers.",
    roles=["custodian_admin"],
)
#: the answer holds an NHS number: no cache may keep it, and it is not to be framed or shared
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}
#: form field limits (a pseudonym is 24 hex characters; reasons are short case notes)
MAX_REFERENCE, MAX_PSEUDONYM, MAX_REASON = 64, 128, 2000

router = APIRouter(responses={
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _haven(request: Request) -> Haven:
    found: Haven = request.app.state.haven
    return found


def _run(request: Request, session: Session, project: str, pseudonym: str,
         reason: str) -> Reidentified:
    actor = credentials(request, session).actor.reference
    return reidentify(session, _haven(request), project.strip(), pseudonym, actor=actor,
                      reason=reason)


def _history(session: Session, reference: str) -> list[dict[str, Any]]:
    project = governance.get_project(session, reference)
    return [{
        "requested_by": entry.requested_by,
        "requested_at": entry.requested_at.isoformat(),
        "reason": entry.reason,
        "found": entry.found,
        "key_epoch": entry.key_epoch,
        "pseudonym": entry.pseudonym,
    } for entry in repository.list_reidentifications(session, project.id)]


# --- API -------------------------------------------------------------------------------------

@router.post("/api/reidentify", dependencies=[requires(REIDENTIFY)],
             openapi_extra=OBJECT_BODY)
async def reidentify_api(request: Request, session: Session = DB) -> JSONResponse:
    """``{"project", "pseudonym", "reason"}`` → the patient's NHS number, once (no-store)."""
    body = await json_object(request)
    fields = {}
    for name in ("project", "pseudonym", "reason"):
        value = body.get(name)
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be text", Location(field=name))
        fields[name] = value
    found = _run(request, session, fields["project"], fields["pseudonym"], fields["reason"])
    session.commit()  # the record of the look-up stands before the answer goes out
    return JSONResponse({
        "project": found.project, "pseudonym": found.pseudonym, "found": found.found,
        "key_epoch": found.key_epoch, "nhs_number": found.nhs_number,
        "patient_id": found.patient_id,
    }, headers=NO_STORE)


@router.get("/api/projects/{reference}/reidentifications",
            dependencies=[requires(REIDENTIFICATION_LOG)])
def reidentification_log_api(reference: str, session: Session = DB) -> list[dict[str, Any]]:
    """The project's re-identifications: who asked, when, why, and whether one was found."""
    return _history(session, reference)


# --- pages -----------------------------------------------------------------------------------

@pages.get("/reidentify", dependencies=[requires(REIDENTIFY)])
def reidentify_form(request: Request) -> Response:
    return page(request, "reidentify.html", message=None, project="",
                min_reason=MIN_REASON_CHARS)


@pages.post("/reidentify", dependencies=[requires(REIDENTIFY)])
def reidentify_submit(
    request: Request,
    project: str = Form(..., max_length=MAX_REFERENCE),
    pseudonym: str = Form(..., max_length=MAX_PSEUDONYM),
    reason: str = Form(..., max_length=MAX_REASON),
    session: Session = DB,
) -> Response:
    try:
        found = _run(request, session, project, pseudonym, reason)
    except InvalidInput as problem:
        # the form again, saying what to fix; nothing was looked up or recorded
        return page(request, "reidentify.html", status_code=problem.http_status,
                    message=problem.message, project=project.strip(),
                    min_reason=MIN_REASON_CHARS)
    session.commit()  # the record of the look-up stands before the answer goes out
    response = page(request, "reidentify_result.html", found=found)
    response.headers.update(NO_STORE)
    return response


@pages.get("/projects/{reference}/reidentifications",
           dependencies=[requires(REIDENTIFICATION_LOG)])
def reidentification_log_page(reference: str, request: Request,
                              session: Session = DB) -> Response:
    return page(request, "reidentify_history.html", reference=reference,
                entries=_history(session, reference))

"""The airlock's API and pages: researchers ask for releases, output checkers review them.

Route permissions come from the one policy (``release.request``/``release.change`` for the
project's researchers, ``release.review`` for output checkers); the service then applies the
airlock's own rules — never one's own request, never a project one is on, votes sealed until
both are in — so the web, the CLI and tests meet the same refusals. Pages: the researcher's
release request page for a project, and the checker's review queue.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location, NotFound, OpenHavenError
from openhaven.core.haven import Haven
from openhaven.governance.workflow import get_project
from openhaven.outputs import airlock
from openhaven.outputs import repository as outputs
from openhaven.outputs.airlock_models import ReleaseRequest
from openhaven.web.actions import register_action, requires
from openhaven.web.credentials import LARGEST_ID
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.governance import OBJECT_BODY, acting_person, json_object

STAFF = ("custodian_admin", "auditor")
RELEASE_REQUEST = register_action(
    "release.request", "Ask for a project's outputs and job files to be released.",
    roles=["researcher"], scoped=True, access="write",
)
RELEASE_READ = register_action(
    "release.read", "Read a project's release requests (checkers' votes sealed until both "
    "are in).", roles=[*STAFF, "researcher"], scoped=True,
)
RELEASE_CHANGE = register_action(
    "release.change", "Withdraw or resubmit one's own release request.",
    roles=["researcher"], scoped=True, access="write",
)
RELEASE_REVIEW = register_action(
    "release.review", "Review release requests of projects one is not on: approve, return, "
    "reject.", roles=["output_checker"],
)


router = APIRouter(prefix="/api", responses={
    409: {"model": ErrorAnswer, "description": "Not possible in the request's state"},
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _items(body: dict[str, Any]) -> list[airlock.ItemRequest]:
    given = body.get("items")
    if not isinstance(given, list):
        raise InvalidInput("items must be a list", Location(field="items"))
    items = []
    for entry, item in enumerate(given, start=1):
        if not isinstance(item, dict):
            raise InvalidInput("each item must be an object", Location(entry=entry))
        output_id, path = item.get("output_id"), item.get("path")
        if output_id is not None and (isinstance(output_id, bool)
                                      or not isinstance(output_id, int)):
            raise InvalidInput("output_id must be a number",
                               Location(entry=entry, field="output_id"))
        if path is not None and not isinstance(path, str):
            raise InvalidInput("path must be text", Location(entry=entry, field="path"))
        exception = item.get("exception")
        items.append(airlock.ItemRequest(
            str(item.get("description") or ""), output_id=output_id,
            path=None if path is None else Path(path),
            exception_reason=None if exception is None else str(exception)))
    return items


def _text_map(body: dict[str, Any], name: str) -> dict[str, str]:
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must map item names to text", Location(field=name))
    return {str(k): str(v) for k, v in value.items()}


@router.post("/projects/{reference}/releases", dependencies=[requires(RELEASE_REQUEST)],
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def request_release(reference: str, request: Request, session: Session = DB,
                          h: Haven = Depends(haven)) -> dict[str, Any]:
    """``{"title": "...", "items": [{"output_id": 3, "description": "...",
    "exception": "..."}, {"path": "projects/REF/jobs/1/figure.csv", "description": "..."}]}``"""
    body = await json_object(request)
    person = acting_person(request, session)
    created = airlock.request_release(session, h, reference, requester=person,
                                      title=str(body.get("title") or ""), items=_items(body))
    return airlock.describe_release(session, created, person)


def _of_project(session: Session, reference: str, release_id: int) -> ReleaseRequest:
    """The release request, found only under its own project's path (the scope checked)."""
    found = airlock.get_release(session, release_id) if 1 <= release_id <= LARGEST_ID else None
    if found is None or found.project.reference != reference:
        raise NotFound(f"No release request {release_id} in {reference}",
                       Location(field="release_id"))
    return found


@router.get("/projects/{reference}/releases/{release_id}",
            dependencies=[requires(RELEASE_READ)])
def read_release(reference: str, release_id: int, request: Request,
                 session: Session = DB) -> dict[str, Any]:
    person = acting_person(request, session)
    return airlock.describe_release(session, _of_project(session, reference, release_id),
                                    person)


@router.post("/projects/{reference}/releases/{release_id}/withdraw",
             dependencies=[requires(RELEASE_CHANGE)])
def withdraw_release(reference: str, release_id: int, request: Request,
                     session: Session = DB, h: Haven = Depends(haven)) -> dict[str, Any]:
    person = acting_person(request, session)
    changed = airlock.withdraw_release(
        session, h, _of_project(session, reference, release_id).id, requester=person)
    return airlock.describe_release(session, changed, person)


@router.post("/projects/{reference}/releases/{release_id}/resubmit",
             dependencies=[requires(RELEASE_CHANGE)], openapi_extra=OBJECT_BODY,
             include_in_schema=False)
async def resubmit_release(reference: str, release_id: int, request: Request,
                           session: Session = DB,
                           h: Haven = Depends(haven)) -> dict[str, Any]:
    """``{"exceptions": {"item name": "..."}, "descriptions": {"item name": "..."}}``"""
    body = await json_object(request)
    person = acting_person(request, session)
    release_id = _of_project(session, reference, release_id).id
    changed = airlock.resubmit_release(session, h, release_id, requester=person,
                                       exceptions=_text_map(body, "exceptions"),
                                       descriptions=_text_map(body, "descriptions"))
    return airlock.describe_release(session, changed, person)


@router.get("/airlock/queue", dependencies=[requires(RELEASE_REVIEW)])
def review_queue(request: Request, session: Session = DB) -> dict[str, Any]:
    checker = acting_person(request, session)
    return {"queue": [airlock.describe_release(session, r, checker)
                      for r in airlock.review_queue(session, checker)]}


@router.get("/airlock/releases/{release_id}", dependencies=[requires(RELEASE_REVIEW)])
def checker_view(release_id: int, request: Request,
                 session: Session = DB) -> dict[str, Any]:
    checker = acting_person(request, session)
    return airlock.describe_release(session, airlock.get_release(session, release_id), checker)


@router.post("/airlock/releases/{release_id}/reviews", dependencies=[requires(RELEASE_REVIEW)],
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def review(release_id: int, request: Request, session: Session = DB,
                 h: Haven = Depends(haven)) -> dict[str, Any]:
    """``{"decision": "approve"|"return"|"reject", "comments": "...",
    "accept_exceptions": false}``"""
    body = await json_object(request)
    accept = body.get("accept_exceptions", False)
    if not isinstance(accept, bool):
        raise InvalidInput("accept_exceptions must be true or false",
                           Location(field="accept_exceptions"))
    checker = acting_person(request, session)
    decided = airlock.review_release(session, h, release_id, checker=checker,
                                     decision=str(body.get("decision")),
                                     comments=str(body.get("comments") or ""),
                                     approve_exceptions=accept)
    return airlock.describe_release(session, decided, checker)


# --- pages ------------------------------------------------------------------------------

@pages.get("/projects/{reference}/releases", dependencies=[requires(RELEASE_REQUEST)])
def release_page(reference: str, request: Request, session: Session = DB) -> HTMLResponse:
    return _release_page(request, session, reference, None)


def _job_file_to_prefill(request: Request, reference: str) -> str:
    """``?file=`` from a job page's link, kept only if it names one of this project's job
    output files (the form's own check still decides whether it may be released)."""
    wanted = request.query_params.get("file", "")
    pattern = rf"projects/{re.escape(reference)}/jobs/\d+/output/[A-Za-z0-9_.-]{{1,200}}"
    return wanted if re.fullmatch(pattern, wanted) else ""


def _release_page(request: Request, session: Session, reference: str,
                  message: str | None, status_code: int = 200) -> HTMLResponse:
    person = acting_person(request, session)
    project = get_project(session, reference)
    releases = [airlock.describe_release(session, r, person)
                for r in airlock.requests_of_project(session, project.id)]
    checked = [o for o in outputs.list_outputs(session, project.id) if o.status == "checked"]
    return page(request, "release_requests.html", status_code=status_code, project=project,
                releases=releases, outputs=checked, message=message,
                prefill_file=_job_file_to_prefill(request, reference))


@pages.post("/projects/{reference}/releases", dependencies=[requires(RELEASE_REQUEST)])
async def release_form(reference: str, request: Request, session: Session = DB,
                       h: Haven = Depends(haven)) -> Response:
    form = await request.form()
    items = [airlock.ItemRequest(str(form.get(f"description_{value}", "")),
                                 output_id=int(str(value)),
                                 exception_reason=str(form.get(f"exception_{value}", ""))
                                 or None)
             for value in form.getlist("output_id") if str(value).isdigit()]
    if str(form.get("file_path", "")).strip():
        items.append(airlock.ItemRequest(str(form.get("file_description", "")),
                                         path=Path(str(form.get("file_path"))),
                                         exception_reason=str(form.get("file_exception", ""))
                                         or None))
    person = acting_person(request, session)
    try:
        airlock.request_release(session, h, reference, requester=person,
                                title=str(form.get("title", "")), items=items)
    except OpenHavenError as error:
        session.rollback()
        return _release_page(request, session, reference, str(error),
                             status_code=error.http_status)
    return RedirectResponse(f"/projects/{reference}/releases", status_code=303)


@pages.get("/airlock", dependencies=[requires(RELEASE_REVIEW)])
def queue_page(request: Request, session: Session = DB) -> HTMLResponse:
    checker = acting_person(request, session)
    queue = [airlock.describe_release(session, r, checker)
             for r in airlock.review_queue(session, checker)]
    return page(request, "airlock_queue.html", queue=queue, message=None)


@pages.post("/airlock/{release_id}/review", dependencies=[requires(RELEASE_REVIEW)])
async def review_form(release_id: int, request: Request, session: Session = DB,
                      h: Haven = Depends(haven)) -> Response:
    form = await request.form()
    checker = acting_person(request, session)
    try:
        airlock.review_release(session, h, release_id, checker=checker,
                               decision=str(form.get("decision", "")),
                               comments=str(form.get("comments", "")),
                               approve_exceptions=form.get("accept_exceptions") == "yes")
    except OpenHavenError as error:
        session.rollback()
        queue = [airlock.describe_release(session, r, checker)
                 for r in airlock.review_queue(session, checker)]
        return page(request, "airlock_queue.html", status_code=error.http_status,
                    queue=queue, message=str(error))
    return RedirectResponse("/airlock", status_code=303)

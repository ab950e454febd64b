"""The governance API and pages: the policy, DUO matching, requests and the committee.

Bodies are read as plain JSON objects and checked by the services, which refuse bad input
naming the field, so every refusal has the one error shape. Routes whose input is checked
beyond what a JSON schema can say (a request's whole content, DUO codes) are left out of the
OpenAPI document, which promises that schema-valid input is accepted; docs/governance.md
describes them instead. The acting person is whoever is signed in (or owns the token);
ledger entries name them by reference. Pages: the researcher's application form (with the
free-text choice) and their view of a request, and the committee's review queue.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.duo import match_duo
from openhaven.governance.models import Person
from openhaven.governance.policy import load_policy
from openhaven.governance.views import queue_entry, request_detail
from openhaven.governance.workflow import latest_request, review_queue
from openhaven.web.actions import EVERYONE, register_action, requires
from openhaven.web.credentials import SignInRequired, credentials
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer

STAFF = ("custodian_admin", "auditor")
POLICY_READ = register_action(
    "governance.policy_read", "Read the governance policy and match DUO codes.",
    roles=[EVERYONE],
)
REQUEST_CREATE = register_action(
    "request.create", "Apply for data: create a draft data access request.",
    roles=["researcher"],
)
REQUEST_CHANGE = register_action(
    "request.change", "Submit, revise or amend a request one is on the team of.",
    roles=["researcher"], scoped=True,
)
REQUEST_READ = register_action(
    "request.read", "Read a request's versions, screening, votes and history.",
    roles=[*STAFF, "researcher", "committee_member"], scoped=True,
)
COMMITTEE_REVIEW = register_action(
    "committee.review", "See the committee's queue; vote, comment, declare a conflict.",
    roles=["committee_member"],
)

router = APIRouter(prefix="/api", responses={
    409: {"model": ErrorAnswer, "description": "Not possible in the request's state"},
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
OBJECT_BODY = {"requestBody": {"content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": True}}}, "required": True}}


def acting_person(request: Request, session: Session) -> Person:
    actor = credentials(request, session).actor
    if actor.person_id is None:
        raise SignInRequired("Sign in to do this.")
    return governance.get_person(session, actor.person_id)


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The body must be a JSON object", Location(field="body")) from None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object", Location(field="body"))
    return body


def _text(value: object) -> str:
    """Text as given, or empty (which the services refuse as missing, naming the field)."""
    return value if isinstance(value, str) else ""


@router.get("/governance/policy", dependencies=[requires(POLICY_READ)])
def policy(h: Haven = Depends(haven)) -> dict[str, Any]:
    found = load_policy(h.home)
    return {
        "quorum": found.quorum,
        "required_accreditations": sorted(found.required_accreditations),
        "datasets": [{"name": d.name, "title": d.title, "tables": sorted(d.tables),
                      "limitations": list(d.limitations)} for d in found.datasets],
        "rules": [{"id": r.id, "outcome": r.outcome, "text": r.text} for r in found.rules],
    }


@router.get("/governance/duo-match", dependencies=[requires(POLICY_READ)],
             include_in_schema=False)
def duo_match(purpose: str, dataset: str, for_profit: bool = False) -> dict[str, Any]:
    return match_duo(purpose, dataset, for_profit=for_profit).as_dict()


@router.post("/requests", dependencies=[requires(REQUEST_CREATE)], status_code=201,
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def create_request(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """A draft request led by the signed-in researcher (``lead`` is them, whatever is sent)."""
    body = await json_object(request)
    person = acting_person(request, session)
    body["lead"] = person.email
    if "organisation" not in body and person.organisation is not None:
        body["organisation"] = person.organisation.name
    project = governance.create_project_from_request(session, h, body, actor=person.reference)
    return {"reference": project.reference, "status": str(project.status)}


@router.get("/requests/{reference}", dependencies=[requires(REQUEST_READ)])
def read_request(reference: str, session: Session = DB) -> dict[str, Any]:
    return request_detail(session, reference)


@router.post("/requests/{reference}/submit", dependencies=[requires(REQUEST_CHANGE)])
def submit_request(
    reference: str, request: Request, session: Session = DB,
    h: Haven = Depends(haven),
) -> dict[str, Any]:
    person = acting_person(request, session)
    project = governance.submit_project(session, h, reference, actor=person.reference)
    record = latest_request(project)
    return {"reference": reference, "status": str(record.status),
            "screening": record.screening}


@router.post("/requests/{reference}/revisions", dependencies=[requires(REQUEST_CHANGE)],
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def revise_request(
    reference: str, request: Request, session: Session = DB,
    h: Haven = Depends(haven),
) -> dict[str, Any]:
    changes = await json_object(request)
    person = acting_person(request, session)
    record = governance.revise_request(session, h, reference, changes=changes,
                                       actor=person.reference)
    return {"reference": reference, "version": record.version, "kind": str(record.kind),
            "status": str(record.status)}


@router.get("/committee/queue", dependencies=[requires(COMMITTEE_REVIEW)])
def committee_queue(session: Session = DB) -> dict[str, Any]:
    return {"queue": [queue_entry(record) for record in review_queue(session)]}


@router.post("/requests/{reference}/votes", dependencies=[requires(COMMITTEE_REVIEW)],
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def vote(
    reference: str, request: Request, session: Session = DB,
    h: Haven = Depends(haven),
) -> dict[str, Any]:
    """``{"vote": "approve"|"reject"|"return_for_changes"|"comment", "comment": "...",
    "acknowledge_flags": false}``"""
    body = await json_object(request)
    acknowledge = body.get("acknowledge_flags", False)
    if not isinstance(acknowledge, bool):
        raise InvalidInput("acknowledge_flags must be true or false",
                           Location(field="acknowledge_flags"))
    member = acting_person(request, session)
    project = governance.cast_vote(session, h, reference, member=member,
                                   vote=str(body.get("vote")), comment=_text(body.get("comment")),
                                   acknowledge_flags=acknowledge)
    return {"reference": reference, "status": str(project.status),
            "request_status": str(latest_request(project).status)}


@router.post("/requests/{reference}/conflicts", dependencies=[requires(COMMITTEE_REVIEW)],
             openapi_extra=OBJECT_BODY, include_in_schema=False)
async def declare_conflict(
    reference: str, request: Request, session: Session = DB,
    h: Haven = Depends(haven),
) -> dict[str, Any]:
    body = await json_object(request)
    member = acting_person(request, session)
    governance.declare_conflict(session, h, reference, member=member,
                                reason=_text(body.get("reason")))
    return {"reference": reference, "declared": True}


# --- pages ------------------------------------------------------------------------------

FORM_FIELDS = ("title", "lay_summary", "purpose", "purpose_codes", "public_benefit",
               "ethics_reference", "identifiability")
FREE_TEXT_CHOICES = {
    "none": "No free text",
    "deidentified": "De-identified free text",
}


@pages.get("/requests/new", dependencies=[requires(REQUEST_CREATE)])
def application_form(request: Request) -> HTMLResponse:
    return page(request, "request_form.html", message=None, values={"free_text": "none"},
                free_text_choices=FREE_TEXT_CHOICES)


def _free_text_choice(form_value: str, data: object) -> str:
    """The form's free-text choice, checked; the data section may not say otherwise."""
    if form_value not in FREE_TEXT_CHOICES:
        raise InvalidInput('Free text: choose "No free text" or "De-identified free text".',
                           Location(field="free_text"))
    if not isinstance(data, dict):
        return form_value
    given = data.get("free_text")
    if given is not None and given != form_value:
        raise InvalidInput("Free text is chosen twice: the data section's free_text differs "
                           "from the choice on the form; choose it on the form only.",
                           Location(field="data.free_text"))
    tables = data.get("tables")
    if form_value == "none" and isinstance(tables, dict):
        for table, columns in tables.items():
            for column, operator in (columns.items() if isinstance(columns, dict) else ()):
                if operator == "deidentify_text":
                    raise InvalidInput(
                        'Notes asked for through deidentify_text need "De-identified free '
                        'text" chosen (free_text: deidentified), or drop them.',
                        Location(field=f"data.tables.{table}.{column}"))
    return form_value


@pages.post("/requests/new", dependencies=[requires(REQUEST_CREATE)])
async def application_submit(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        name: str(form.get(name, "")) for name in (*FORM_FIELDS, "data", "article6", "article9",
                                                   "common_law", "duration_days")}
    # Left out (a client other than this form), free text is "none", as in a request file.
    values["free_text"] = str(form.get("free_text", "none"))
    values.update({"declared_uses": [str(v) for v in form.getlist("declared_uses")],
                   "commercial": form.get("commercial") == "yes",
                   "safeguards_accepted": form.get("safeguards_accepted") == "yes"})

    def again(message: str) -> HTMLResponse:
        return page(request, "request_form.html", status_code=422, values=values,
                    message=message, free_text_choices=FREE_TEXT_CHOICES)

    person = acting_person(request, session)
    try:
        data = json.loads(values["data"] or "null")
    except ValueError:
        return again("The data section must be JSON (see the example).")
    try:
        free_text = _free_text_choice(values["free_text"], data)
    except InvalidInput as error:
        return again(str(error))
    if isinstance(data, dict):
        data["free_text"] = free_text
    body: dict[str, Any] = {name: values[name] for name in FORM_FIELDS}
    body.update({
        "ethics_reference": values["ethics_reference"] or None,
        "commercial": values["commercial"],
        "safeguards_accepted": values["safeguards_accepted"],
        "declared_uses": values["declared_uses"],
        "legal_basis": {"article6": values["article6"], "article9": values["article9"] or None,
                        "common_law": values["common_law"]},
        "data": data,
        "duration_days": int(values["duration_days"]) if values["duration_days"].isdigit()
        else values["duration_days"],
        "lead": person.email,
        "organisation": None if person.organisation is None else person.organisation.name,
    })
    try:
        project = governance.create_project_from_request(session, h, body,
                                                         actor=person.reference)
    except InvalidInput as error:
        return again(str(error))
    return RedirectResponse(f"/requests/{project.reference}", status_code=303)


@pages.get("/requests/{reference}", dependencies=[requires(REQUEST_READ)])
def request_page(request: Request, reference: str, session: Session = DB) -> HTMLResponse:
    """The applicant's view of a request: what was asked (free text included), screening."""
    return page(request, "request.html", detail=request_detail(session, reference))


@pages.get("/committee", dependencies=[requires(COMMITTEE_REVIEW)])
def committee_page(request: Request, session: Session = DB) -> HTMLResponse:
    return page(request, "committee_queue.html",
                queue=[queue_entry(record) for record in review_queue(session)])


@pages.get("/committee/{reference}", dependencies=[requires(COMMITTEE_REVIEW)])
def committee_request(
    request: Request, reference: str, session: Session = DB
) -> HTMLResponse:
    return page(request, "committee_request.html", detail=request_detail(session, reference))


@pages.post("/committee/{reference}/vote", dependencies=[requires(COMMITTEE_REVIEW)])
async def committee_vote(
    request: Request, reference: str, session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    form = await request.form()
    member = acting_person(request, session)
    governance.cast_vote(session, h, reference, member=member, vote=str(form.get("vote")),
                         comment=_text(form.get("comment")),
                         acknowledge_flags=form.get("acknowledge_flags") == "yes")
    return RedirectResponse(f"/committee/{reference}", status_code=303)

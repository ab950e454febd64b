"""Patients' choices over the web: the API, and the page that explains and records a choice.

The NHS number never travels in a URL (URLs reach access logs): lookups and changes carry it
in the request body. Recording through the web checks who may set the choice against the
patient's date of birth in the record store, and answers with a confirmation reference.
Database work runs in the thread pool, so concurrent requests do not queue on the event
loop.

Who may use these: the recording page and the API are for custodian staff acting on a
patient's (or a proxy's) request; the explanation page is public. A patient whose account is
linked to a verified NHS number sets their own choice at ``/my-choices`` (``my_choices``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openhaven.choices.bulk_check import check_numbers, opted_out_for
from openhaven.choices.exemptions import exemption_summary, record_exemption
from openhaven.choices.models import ActingAs
from openhaven.choices.policy import load_policy
from openhaven.choices.recording import Confirmation, set_choice
from openhaven.choices.summary import patient_choices
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.web.actions import EVERYONE, register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer

CHOICES_EXPLAIN = register_action(
    "choices.explain", "Read what each patient choice covers and does not cover.",
    roles=[EVERYONE],
)
CHOICES_READ = register_action(
    "choices.read", "Look up one patient's choices and their history.",
    roles=["custodian_admin", "auditor"], access="read",
)
CHOICES_RECORD = register_action(
    "choices.record", "Record a patient's choice (or its withdrawal) on their request.",
    roles=["custodian_admin"],
)
CHOICES_CHECK = register_action(
    "choices.check", "Check a list of NHS numbers against patients' choices.",
    roles=["custodian_admin"],
)
CHOICES_EXEMPT = register_action(
    "choices.exempt", "Record a project's exemption from a choice, with basis and approver.",
    roles=["custodian_admin"],
)
MAX_NUMBERS_PER_REQUEST = 1_000_000
WRITE_ATTEMPTS = 30
T = TypeVar("T")

router = APIRouter(prefix="/api/choices", responses={
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
OBJECT_BODY = {"requestBody": {"content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": True}}}, "required": True}}


async def committed(session: Session, write: Callable[[], T]) -> T:
    """Run ``write`` in a transaction of its own and commit it before the answer goes out.

    The request's unit of work would commit only after the response was sent, and an answer
    must never stand for an event a failed commit then lost. On SQLite a write that loses the
    race to another writer ("database is locked") is rolled back and tried again, after a
    short random wait, so concurrent writers queue instead of failing.
    """
    await run_in_threadpool(session.commit)  # end the action check's read-only transaction
    for attempt in range(WRITE_ATTEMPTS):
        try:
            result = await run_in_threadpool(write)
            await run_in_threadpool(session.commit)
            return result
        except OperationalError as error:
            await run_in_threadpool(session.rollback)
            if "database is locked" not in str(error.orig) or attempt == WRITE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.02) * min(2**attempt, 16))
    raise AssertionError("unreachable")


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The body must be a JSON object", Location(field="body")) from None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object", Location(field="body"))
    return body


def _actor(request: Request, session: Session) -> str:
    return credentials(request, session).actor.reference


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", Location(field=name))
    return value


@router.get("/policy", dependencies=[requires(CHOICES_EXPLAIN)])
def policy(h: Haven = Depends(haven)) -> dict[str, Any]:
    found = load_policy(h)
    return {"default_choice": found.default_choice,
            "choices": [choice.as_dict() for choice in found.choices]}


@router.post("/lookup", dependencies=[requires(CHOICES_READ)], openapi_extra=OBJECT_BODY)
async def lookup(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """One patient's current choices and history; the NHS number is in the body."""
    body = await json_object(request)
    found: dict[str, Any] = await run_in_threadpool(
        patient_choices, session, h, _text(body, "nhs_number") or "")
    return found


@router.post("", dependencies=[requires(CHOICES_RECORD)], status_code=201,
             openapi_extra=OBJECT_BODY)
async def record(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """Record an opt-out (``"decision": "opt-out"``) or its withdrawal (``"withdraw"``)."""
    body = await json_object(request)
    decision = _text(body, "decision", "opt-out")
    if decision not in ("opt-out", "withdraw"):
        raise InvalidInput("decision must be opt-out or withdraw", Location(field="decision"))
    recorded_by = _actor(request, session)

    def write() -> Confirmation:
        return set_choice(
            session, h, nhs_number=_text(body, "nhs_number") or "",
            choice=_text(body, "choice"), opt_out=decision == "opt-out",
            channel=_text(body, "channel", "web") or "web",
            recorded_by=recorded_by,
            acting_as=_text(body, "acting_as", ActingAs.SELF.value) or ActingAs.SELF.value,
            effective_at=_text(body, "effective_at"),
        )

    confirmation = await committed(session, write)
    return confirmation.as_dict()


@router.post("/check", dependencies=[requires(CHOICES_CHECK)], openapi_extra=OBJECT_BODY)
async def check(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"numbers": [...], "purpose" | "project"}`` → counts, invalid entries, usable list."""
    body = await json_object(request)
    numbers = body.get("numbers")
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise InvalidInput("numbers must be a list of NHS numbers as text",
                           Location(field="numbers"))
    if len(numbers) > MAX_NUMBERS_PER_REQUEST:
        raise InvalidInput(f"at most {MAX_NUMBERS_PER_REQUEST:,} numbers a request; use the "
                           "CLI for longer lists", Location(field="numbers"))
    import pyarrow as pa

    purpose, project = _text(body, "purpose"), _text(body, "project")
    if purpose is None and project is None:
        raise InvalidInput("give purpose or project", Location(field="purpose"))
    opted_out = await run_in_threadpool(
        lambda: opted_out_for(session, h, purpose=purpose, project=project))
    result = await run_in_threadpool(check_numbers, pa.array(numbers, pa.string()), opted_out)
    actor = _actor(request, session)
    record_event(h, "choices.bulk_checked", actor=actor, subject=project,
                 details={"purpose": purpose, "submitted": result.submitted,
                          "usable": result.usable, "removed": result.removed,
                          "invalid": result.invalid_count})
    answer = result.as_dict()
    answer["usable_numbers"] = (result.usable_numbers.to_pylist()
                                if result.usable_numbers is not None else [])
    # entries are numbered from 1, like the lines of a file
    for problem in answer["invalid"]:
        problem["entry"] = problem.pop("line")
    return answer


@router.post("/exemptions", dependencies=[requires(CHOICES_EXEMPT)], status_code=201,
             openapi_extra=OBJECT_BODY)
async def exempt(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"project", "choice", "basis", "approved_by", "justification", "valid_until"?}``."""
    body = await json_object(request)
    exemption = record_exemption(
        session, h, _text(body, "project") or "",
        choice=_text(body, "choice") or load_policy(h).default_choice,
        basis=_text(body, "basis") or "", approved_by=_text(body, "approved_by") or "",
        justification=_text(body, "justification") or "",
        recorded_by=_actor(request, session), valid_until=_date(body.get("valid_until")),
    )
    summary = exemption_summary(exemption)
    session.commit()  # before answering, as for a choice
    return summary


def _date(value: Any) -> Any:
    from datetime import datetime

    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("valid_until must be an ISO date", Location(field="valid_until")) \
            from None


@pages.get("/choices", dependencies=[requires(CHOICES_EXPLAIN)])
def explain_page(request: Request, h: Haven = Depends(haven)) -> Response:
    return page(request, "choices.html", policy=load_policy(h))


@pages.get("/choices/record", dependencies=[requires(CHOICES_RECORD)])
def record_form(request: Request, h: Haven = Depends(haven)) -> Response:
    return page(request, "choices_record.html", policy=load_policy(h), roles=list(ActingAs),
                message=None)


@pages.post("/choices/record", dependencies=[requires(CHOICES_RECORD)])
def record_submit(
    request: Request,
    nhs_number: str = Form(..., max_length=20),
    choice: str = Form(..., max_length=64),
    decision: str = Form(..., max_length=16),
    acting_as: str = Form("self", max_length=32),
    channel: str = Form("web", max_length=16),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    if decision not in ("opt-out", "withdraw"):
        raise InvalidInput("decision must be opt-out or withdraw", Location(field="decision"))
    confirmation = set_choice(
        session, h, nhs_number=nhs_number.replace(" ", ""), choice=choice,
        opt_out=decision == "opt-out", channel=channel,
        recorded_by=_actor(request, session), acting_as=acting_as,
    )
    session.commit()  # the reference shown must stand for a stored event
    definition = load_policy(h).get(confirmation.choice)
    return page(request, "choices_confirmed.html", confirmation=confirmation,
                definition=definition)

"""A signed-in patient sees and sets their own choices: ``/my-choices`` and its API.

The NHS number is never typed in: it is the one custodian staff verified and linked to the
account (the same link the "how my data was used" page answers for), so an account can see
and change its own choices and nobody else's. An account not yet linked gets 409 with a
sentence saying what to do. The patient acts as themselves; who may set the choice is still
checked against the date of birth in the record store (from age 13).

Proxies: the account link records whose record an account may see, not the legal role on
which a proxy acts (parental responsibility, lasting power of attorney, deputy). A proxy may
see the linked patient's choices here, but setting one stays with custodian staff, who check
that authority and record it at ``/choices/record``.

Each change is committed before the answer goes out, so the reference shown stands for a
stored event; the ledger entry (written by the choices service) names the event, never the
patient.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openhaven.choices.models import ActingAs, Channel
from openhaven.choices.policy import load_policy
from openhaven.choices.recording import Confirmation, set_choice
from openhaven.choices.summary import patient_choices
from openhaven.core.errors import InvalidInput, Location, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.web.actions import register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.choices import OBJECT_BODY, committed, json_object
from openhaven.web.routes.transparency import _own_number as own_number

OWN_CHOICES = register_action(
    "choices.own",
    "See your own choices about your data and their history, and set or withdraw one "
    "(patients, for the NHS number staff verified; proxies see them, staff record theirs).",
    roles=["patient", "proxy"],
)
DECISIONS = ("opt-out", "withdraw")
CHOICE_ANSWER: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorAnswer, "description": "Not allowed: the wrong role, a proxy (staff "
          "record a proxy's choice), or a patient too young to set it"},
    409: {"model": ErrorAnswer, "description": "The account is not linked to a verified NHS "
          "number"},
}

router = APIRouter(responses={
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def own_choices(session: Session, h: Haven, number: str) -> dict[str, Any]:
    """The patient's current state per configured choice and the history, without the
    NHS number (the patient knows it; the answer need not carry it)."""
    found = patient_choices(session, h, number)
    return {"current": found["current"], "history": found["history"],
            "choices": [choice.as_dict() for choice in load_policy(h).choices]}


def _self_or_refuse(request: Request, session: Session) -> tuple[str, str]:
    """The linked NHS number and actor, for an account that may set the choice as self."""
    number, actor = own_number(request, session)
    roles = credentials(request, session).actor.roles
    if "patient" not in roles:
        raise PermissionDenied(
            "A proxy's choice is recorded by the haven's staff, who check the authority you "
            "act on: contact the custodian team")
    return number, actor


def _decision(value: Any) -> bool:
    """True for an opt-out, False for its withdrawal; anything else is refused."""
    if value not in DECISIONS:
        raise InvalidInput("decision must be opt-out or withdraw", Location(field="decision"))
    return bool(value == "opt-out")


def _choice(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput("choice must be text", Location(field="choice"))
    return value


def _write(session: Session, h: Haven, number: str, actor: str, choice: str | None,
           opt_out: bool) -> Confirmation:
    return set_choice(session, h, nhs_number=number, choice=choice, opt_out=opt_out,
                      channel=Channel.WEB.value, recorded_by=actor,
                      acting_as=ActingAs.SELF.value)


@router.get("/api/my-choices", dependencies=[requires(OWN_CHOICES)], responses=CHOICE_ANSWER)
async def my_choices(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"current": {choice: state}, "history": [...], "choices": [...]}`` for the
    account's own verified NHS number."""

    def read() -> dict[str, Any]:
        number, _ = own_number(request, session)
        return own_choices(session, h, number)

    found: dict[str, Any] = await run_in_threadpool(read)
    return found


@router.post("/api/my-choices", dependencies=[requires(OWN_CHOICES)], status_code=201,
             openapi_extra=OBJECT_BODY, responses=CHOICE_ANSWER)
async def set_my_choice(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"decision": "opt-out" | "withdraw", "choice"?}`` → the confirmation, with its
    reference (the haven's default choice when none is named)."""
    body = await json_object(request)
    opt_out = _decision(body.get("decision", "opt-out"))
    choice = _choice(body.get("choice"))
    number, actor = await run_in_threadpool(_self_or_refuse, request, session)
    confirmation = await committed(
        session, lambda: _write(session, h, number, actor, choice, opt_out))
    return confirmation.as_dict()


@pages.get("/my-choices", dependencies=[requires(OWN_CHOICES)])
def my_choices_page(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> Response:
    number, _ = own_number(request, session)
    roles = credentials(request, session).actor.roles
    return page(request, "my_choices.html", policy=load_policy(h),
                mine=own_choices(session, h, number), may_set="patient" in roles)


@pages.post("/my-choices", dependencies=[requires(OWN_CHOICES)])
def set_my_choice_page(
    request: Request,
    choice: str = Form(..., max_length=64),
    decision: str = Form(..., max_length=16),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    opt_out = _decision(decision)
    number, actor = _self_or_refuse(request, session)
    confirmation = _write(session, h, number, actor, choice, opt_out)
    session.commit()  # the reference shown must stand for a stored event
    return page(request, "my_choice_confirmed.html", confirmation=confirmation,
                definition=load_policy(h).get(confirmation.choice))

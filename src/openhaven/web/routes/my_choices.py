"""A signed-in patient sees and sets their own choices: ``/my-choices`` and its API.

The NHS number is never typed in: it is the one custodian staff verified and linked to the
account (the same link the "how my data was used" page answers for), so an account can see
and change its own choices and nobody else's. An account not yet linked gets 409 with a
sentence saying what to do. The patient acts as themselves; who may set the choice is still
checked against the date of birth in the record store (from age 13).

Proxies: a custodian records a proxy link (``openhaven choices link-proxy``: the account,
the patient, the legal role, the dates it holds, the evidence seen). A signed-in proxy sees
here each person they act for (by link number and the last three digits of the NHS number)
and sets or withdraws their choices, naming the link (``for``); the role the choice is
recorded under comes from the link, never from the request, and the link must be in force
and the role allowed for the patient's age (``choices.proxies``). An account linked to a
patient's record without a proxy link (the older way) may see that patient's choices here,
but not set them.

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
from openhaven.choices.proxies import proxy_links, set_choice_as_proxy, summary
from openhaven.choices.recording import Confirmation, set_choice
from openhaven.choices.summary import patient_choices
from openhaven.core.errors import InvalidInput, Location, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.transparency.patient_links import linked_nhs_number
from openhaven.web.actions import register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.choices import OBJECT_BODY, committed, json_object
from openhaven.web.routes.transparency import _own_number as own_number

OWN_CHOICES = register_action(
    "choices.own",
    "See your own choices about your data and their history, and set or withdraw one "
    "(patients, for the NHS number staff verified; proxies, for each person a custodian "
    "recorded their authority to act for).",
    roles=["patient", "proxy"],
)
DECISIONS = ("opt-out", "withdraw")
CHOICE_ANSWER: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorAnswer, "description": "Not allowed: the wrong role, a proxy without "
          "an authority in force, or a role that may not act at the patient's age"},
    404: {"model": ErrorAnswer, "description": "No such proxy link for this account"},
    409: {"model": ErrorAnswer, "description": "The account is not linked to a verified NHS "
          "number, nor to anyone it acts for"},
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


def acting_for(session: Session, h: Haven, account_id: int) -> list[dict[str, Any]]:
    """Each person the account has a proxy link for: the link and that person's choices."""
    shown = []
    for link in proxy_links(session, account_id):
        if link.ended_at is not None:
            continue
        found = patient_choices(session, h, link.nhs_number)
        shown.append({**summary(link).as_dict(), "current": found["current"],
                      "history": found["history"]})
    return shown


def _mine(request: Request, session: Session, h: Haven) -> dict[str, Any]:
    """The account's own choices (None when it is not linked to a record) and those of
    everyone it acts for; 409 when it is linked to neither."""
    found = credentials(request, session)
    account_id = None if found.account is None else found.account.id
    number = None if account_id is None else linked_nhs_number(session, account_id)
    proxied = [] if account_id is None else acting_for(session, h, account_id)
    if number is None and not proxied:
        own_number(request, session)  # raises the 409 with what to do
    own = None if number is None else own_choices(session, h, number)
    return {"current": None if own is None else own["current"],
            "history": None if own is None else own["history"],
            "choices": [choice.as_dict() for choice in load_policy(h).choices],
            "acting_for": proxied}


def _self_or_refuse(request: Request, session: Session) -> tuple[str, str]:
    """The linked NHS number and actor, for an account that may set the choice as self."""
    number, actor = own_number(request, session)
    roles = credentials(request, session).actor.roles
    if "patient" not in roles:
        raise PermissionDenied(
            "Your authority to act for this person is not recorded: contact the custodian "
            "team, who check it and record it")
    return number, actor


def _for_link(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput("for must be the number of a proxy link", Location(field="for"))
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("for must be the number of a proxy link",
                           Location(field="for")) from None


def _decision(value: Any) -> bool:
    """True for an opt-out, False for its withdrawal; anything else is refused."""
    if value not in DECISIONS:
        raise InvalidInput("decision must be opt-out or withdraw", Location(field="decision"))
    return bool(value == "opt-out")


def _choice(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInput("choice must be text", Location(field="choice"))
    return value


def _write(request: Request, session: Session, h: Haven, link: int | None,
           choice: str | None, opt_out: bool) -> Confirmation:
    if link is not None:
        found = credentials(request, session)
        if found.account is None or "proxy" not in found.actor.roles:
            raise PermissionDenied("Only a proxy sets a choice for someone else")
        return set_choice_as_proxy(session, h, account_id=found.account.id, link_id=link,
                                   choice=choice, opt_out=opt_out,
                                   recorded_by=found.actor.reference)
    number, actor = _self_or_refuse(request, session)
    return set_choice(session, h, nhs_number=number, choice=choice, opt_out=opt_out,
                      channel=Channel.WEB.value, recorded_by=actor,
                      acting_as=ActingAs.SELF.value)


@router.get("/api/my-choices", dependencies=[requires(OWN_CHOICES)], responses=CHOICE_ANSWER)
async def my_choices(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"current": {choice: state} | null, "history": [...] | null, "choices": [...],
    "acting_for": [{"link", "acting_as", "valid_from", "valid_until", "in_force",
    "patient", "current", "history"}]}`` — the account's own choices (null when it is not
    linked to a record) and those of each person it is a recorded proxy for."""
    found: dict[str, Any] = await run_in_threadpool(_mine, request, session, h)
    return found


@router.post("/api/my-choices", dependencies=[requires(OWN_CHOICES)], status_code=201,
             openapi_extra=OBJECT_BODY, responses=CHOICE_ANSWER)
async def set_my_choice(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"decision": "opt-out" | "withdraw", "choice"?, "for"?}`` → the confirmation, with
    its reference (the haven's default choice when none is named; ``for``, a proxy link's
    number, sets it for the person the proxy acts for)."""
    body = await json_object(request)
    opt_out = _decision(body.get("decision", "opt-out"))
    choice = _choice(body.get("choice"))
    link = _for_link(body.get("for"))
    confirmation = await committed(
        session, lambda: _write(request, session, h, link, choice, opt_out))
    return confirmation.as_dict()


@pages.get("/my-choices", dependencies=[requires(OWN_CHOICES)])
def my_choices_page(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> Response:
    roles = credentials(request, session).actor.roles
    return page(request, "my_choices.html", policy=load_policy(h),
                mine=_mine(request, session, h), may_set="patient" in roles)


@pages.post("/my-choices", dependencies=[requires(OWN_CHOICES)])
def set_my_choice_page(
    request: Request,
    choice: str = Form(..., max_length=64),
    decision: str = Form(..., max_length=16),
    for_link: str = Form("", alias="for", max_length=12),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    opt_out = _decision(decision)
    confirmation = _write(request, session, h, _for_link(for_link), choice, opt_out)
    session.commit()  # the reference shown must stand for a stored event
    return page(request, "my_choice_confirmed.html", confirmation=confirmation,
                definition=load_policy(h).get(confirmation.choice))

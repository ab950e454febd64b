"""Openness over the web: register downloads, ledger proofs, and "how my data was used".

Public: the register as JSON and CSV with the schema they validate against, an inclusion
proof for any ledger entry (the register links every row's entries here), and the ledger's
public key with the history of every key it has signed with.
Patients and proxies: their own page, answered only for the NHS number custodian staff
verified and linked to their account. Custodian staff: the look-up for requests received
by post or phone (the NHS number travels in the body, never the URL), linking accounts,
and recording a project's reported benefits. Thin: the rules live in
``openhaven.transparency``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.ledger.proof_bundles import inclusion_bundle
from openhaven.ledger.signing_key import key_history, public_key_pem
from openhaven.transparency.benefits import benefit_summary, record_benefit
from openhaven.transparency.own_record import record_as_received
from openhaven.transparency.patient_links import link_patient, linked_nhs_number
from openhaven.transparency.patient_uses import data_uses_for_patient
from openhaven.transparency.register_export import register_csv, register_document, register_schema
from openhaven.web.actions import LEDGER_READ, PUBLIC_READ, register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, haven, page
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.choices import OBJECT_BODY, committed, json_object

OWN_DATA = register_action(
    "transparency.own_data",
    "See how your own data was used, and your record as each project received it "
    "(patients and proxies, for the NHS number staff verified).",
    roles=["patient", "proxy"],
)
PATIENT_LOOKUP = register_action(
    "transparency.patient_lookup",
    "Answer a patient's request by post or phone: which extracts included their record.",
    roles=["custodian_admin"],
)
TRANSPARENCY_MANAGE = register_action(
    "transparency.manage",
    "Link an account to a verified NHS number; record a project's reported benefits.",
    roles=["custodian_admin"],
)

router = APIRouter(responses={
    422: {"model": ErrorAnswer, "description": "The input was not valid"},
})
CSV_ANSWER: dict[int | str, dict[str, Any]] = {200: {
    "description": "The register as CSV",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}


@router.get("/register.json", dependencies=[requires(PUBLIC_READ)])
def register_json(session: Session = DB, h: Haven = Depends(haven)) -> dict[str, Any]:
    """The public register; validates against /register.schema.json."""
    return register_document(session, h)


@router.get("/register.csv", dependencies=[requires(PUBLIC_READ)], response_class=Response,
            responses=CSV_ANSWER)
def register_table(session: Session = DB, h: Haven = Depends(haven)) -> Response:
    """The public register as CSV; list-valued columns hold JSON text."""
    return Response(register_csv(session, h), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="register.csv"'})


@router.get("/register.schema.json", dependencies=[requires(PUBLIC_READ)])
def register_json_schema() -> dict[str, Any]:
    """The published JSON Schema of the register downloads."""
    return register_schema()


@router.get("/api/ledger/proof/{seq}", dependencies=[requires(LEDGER_READ)])
def ledger_proof(seq: int, h: Haven = Depends(haven)) -> dict[str, Any]:
    """An inclusion proof for ledger entry ``seq`` against a signed tree head."""
    return inclusion_bundle(h, seq)


@router.get("/api/ledger/public-key", dependencies=[requires(LEDGER_READ)],
            response_class=Response, responses={200: {
                "description": "The ledger's current public key (PEM)",
                "content": {"application/x-pem-file": {"schema": {"type": "string"}}}}})
def ledger_public_key(h: Haven = Depends(haven)) -> Response:
    """The key that signs tree heads and release manifests now (PEM)."""
    current = key_history(h).current
    if current is None:
        raise NotFound("the ledger has no signing key yet")
    return Response(public_key_pem(current.public_key), media_type="application/x-pem-file")


@router.get("/api/ledger/public-key-history", dependencies=[requires(LEDGER_READ)])
def ledger_key_history(h: Haven = Depends(haven)) -> dict[str, Any]:
    """Every public key the ledger has signed with, and when each was in force."""
    return key_history(h).as_json()


def _own_number(request: Request, session: Session) -> tuple[str, str]:
    found = credentials(request, session)
    number = None if found.account is None else linked_nhs_number(session, found.account.id)
    if number is None:  # allowed, but nothing to show until staff verify the holder
        raise Conflict(
            "Your account is not yet linked to your NHS record: ask the haven's staff to "
            "verify who you are"
        )
    return number, found.actor.reference


@router.get("/api/my-data", dependencies=[requires(OWN_DATA)])
def my_data(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    number, actor = _own_number(request, session)
    return data_uses_for_patient(session, h, number, actor=actor, channel="patient-page")


@router.get("/api/my-data/{reference}", dependencies=[requires(OWN_DATA)])
def my_record_as_received(
    reference: str, request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    number, actor = _own_number(request, session)
    return record_as_received(session, h, number, reference, actor=actor)


@router.get("/my-data", dependencies=[requires(OWN_DATA)], response_class=HTMLResponse,
            include_in_schema=False)
def my_data_page(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> HTMLResponse:
    number, actor = _own_number(request, session)
    uses = data_uses_for_patient(session, h, number, actor=actor, channel="patient-page")
    return page(request, "my_data.html", uses=uses)


@router.get("/my-data/{reference}", dependencies=[requires(OWN_DATA)],
            response_class=HTMLResponse, include_in_schema=False)
def my_record_page(
    reference: str, request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> HTMLResponse:
    number, actor = _own_number(request, session)
    received = record_as_received(session, h, number, reference, actor=actor)
    return page(request, "my_record.html", received=received)


@router.post("/api/transparency/patient", dependencies=[requires(PATIENT_LOOKUP)],
             openapi_extra=OBJECT_BODY)
async def patient_lookup(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"nhs_number": ...}`` → the extracts that included that patient (request by post)."""
    body = await json_object(request)
    number = _text(body, "nhs_number")
    actor = credentials(request, session).actor.reference

    def look() -> dict[str, Any]:
        return data_uses_for_patient(session, h, number, actor=actor, channel="custodian-request")

    found: dict[str, Any] = await committed(session, look)
    return found


@router.post("/api/transparency/links", dependencies=[requires(TRANSPARENCY_MANAGE)],
             status_code=201, openapi_extra=OBJECT_BODY)
async def link_account(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"account_id": n, "nhs_number": ...}``: link an account whose holder staff verified."""
    body = await json_object(request)
    account_id = body.get("account_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise InvalidInput("account_id must be a whole number", Location(field="account_id"))
    number = _text(body, "nhs_number")
    actor = credentials(request, session).actor.reference

    def write() -> dict[str, Any]:
        link = link_patient(session, h, account_id, number, verified_by=actor)
        return {"account_id": link.account_id, "verified_at": link.verified_at.isoformat()}

    linked: dict[str, Any] = await committed(session, write)
    return linked


@router.post("/api/transparency/benefits", dependencies=[requires(TRANSPARENCY_MANAGE)],
             status_code=201, openapi_extra=OBJECT_BODY)
async def add_benefit(
    request: Request, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    """``{"project", "reported_on": "YYYY-MM-DD", "summary", "link"?}``."""
    body = await json_object(request)
    try:
        reported_on = dt.date.fromisoformat(_text(body, "reported_on"))
    except ValueError:
        raise InvalidInput("reported_on must be a date (YYYY-MM-DD)",
                           Location(field="reported_on")) from None
    link = body.get("link")
    if link is not None and not isinstance(link, str):
        raise InvalidInput("link must be text", Location(field="link"))
    actor = credentials(request, session).actor.reference

    def write() -> dict[str, Any]:
        benefit = record_benefit(session, h, _text(body, "project"), reported_on=reported_on,
                                 summary=_text(body, "summary"), link=link, recorded_by=actor)
        return benefit_summary(benefit)

    recorded: dict[str, Any] = await committed(session, write)
    return recorded


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} is required, as text", Location(field=name))
    return value

"""Proxies: an account's recorded authority to act for a patient, and choices set through it.

A custodian records the link after seeing the evidence (a parental responsibility
document, a registered lasting power of attorney, a court order): the account, the
patient's NHS number, the legal role, the dates it holds and a reference to the evidence.
The proxy then sets or withdraws the patient's choices at ``/my-choices``; the role the
choice is recorded under (``acting_as``) comes from the link, never from what the proxy
sends. Each time, the link must be in force that day and the role must be one that may act
for the patient at their age (``recording.check_who_may_act``: parental responsibility only
under 13, attorneys and deputies only for adults), so a link outlives neither its dates nor
the child's 13th birthday.

The ledger names the link (``proxy-link:<id>``) and the account (``person:<id>``), never the
patient's NHS number or the evidence reference.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import repository
from openhaven.choices.models import ActingAs, Channel, ProxyLink
from openhaven.choices.recording import Confirmation, set_choice
from openhaven.core.clock import today, utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.records.nhs_number import why_invalid

PROXY_ROLES = tuple(role for role in ActingAs if role != ActingAs.SELF)
PROXY_ACCOUNT_ROLE = "proxy"
EVIDENCE_MAX = 100


@dataclass(frozen=True)
class ProxySummary:
    """What a proxy (and staff) see of a link: never the NHS number in full."""

    link: int
    acting_as: str
    valid_from: str
    valid_until: str | None
    in_force: bool
    patient: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def masked_number(nhs_number: str) -> str:
    """The last three digits only, so a proxy acting for several people can tell them apart."""
    return f"*** *** *{nhs_number[-3:]}"


def link_proxy(
    session: Session,
    haven: Haven,
    *,
    account_id: int,
    account_reference: str,
    account_roles: Collection[str],
    nhs_number: str,
    acting_as: str,
    valid_from: date,
    valid_until: date | None,
    evidence_reference: str,
    actor: str,
) -> ProxyLink:
    """Record that an account may act for a patient in a legal role, and audit it."""
    try:
        role = ActingAs(acting_as)
    except ValueError:
        role = ActingAs.SELF
    if role == ActingAs.SELF:
        allowed = ", ".join(member.value for member in PROXY_ROLES)
        raise InvalidInput(f"role must be one of: {allowed}", Location(field="role"))
    reason = why_invalid(nhs_number)
    if reason is not None:
        raise InvalidInput(f"The NHS number is not valid: {reason}", Location(field="nhs_number"))
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("valid_until must not be before valid_from",
                           Location(field="valid_until"))
    evidence = evidence_reference.strip()
    if not evidence or len(evidence) > EVIDENCE_MAX:
        raise InvalidInput(f"evidence must be a reference of 1 to {EVIDENCE_MAX} characters",
                           Location(field="evidence"))
    if PROXY_ACCOUNT_ROLE not in account_roles:
        raise Conflict("The account does not hold the proxy role: give it that role first")
    for existing in repository.proxy_links_for_account(session, account_id):
        if (existing.nhs_number == nhs_number and existing.ended_at is None
                and (existing.valid_until is None or existing.valid_until >= today())):
            raise Conflict(f"The account already has link {existing.id} for this patient: "
                           "end it first")
    link = ProxyLink(account_id=account_id, nhs_number=nhs_number, acting_as=role,
                     valid_from=valid_from, valid_until=valid_until,
                     evidence_reference=evidence, recorded_by=actor)
    repository.add_row(session, link)
    record_event(haven, "choices.proxy_linked", actor=actor, subject=f"proxy-link:{link.id}",
                 details={"account": account_reference, "acting_as": role.value,
                          "valid_from": valid_from.isoformat(),
                          "valid_until": None if valid_until is None
                          else valid_until.isoformat()})
    return link


def end_proxy_link(session: Session, haven: Haven, link_id: int, *, actor: str) -> ProxyLink:
    """End a link now (the authority was revoked or recorded in error), and audit it."""
    link = repository.proxy_link(session, link_id)
    if link is None:
        raise NotFound(f"There is no proxy link {link_id}")
    if link.ended_at is not None:
        raise Conflict(f"Proxy link {link_id} has already ended")
    link.ended_at = utc_now()
    link.ended_by = actor
    repository.save(session)
    record_event(haven, "choices.proxy_link_ended", actor=actor,
                 subject=f"proxy-link:{link.id}")
    return link


def proxy_links(session: Session, account_id: int) -> list[ProxyLink]:
    return repository.proxy_links_for_account(session, account_id)


def summary(link: ProxyLink, on: date | None = None) -> ProxySummary:
    return ProxySummary(
        link=link.id, acting_as=str(link.acting_as), valid_from=link.valid_from.isoformat(),
        valid_until=None if link.valid_until is None else link.valid_until.isoformat(),
        in_force=link.in_force_on(on or today()), patient=masked_number(link.nhs_number),
    )


def own_link(session: Session, account_id: int, link_id: int) -> ProxyLink:
    """The account's own link ``link_id``; another account's link is as good as absent."""
    link = repository.proxy_link(session, link_id)
    if link is None or link.account_id != account_id:
        raise NotFound("You have no authority recorded to act for that person",
                       Location(field="for"))
    return link


def set_choice_as_proxy(
    session: Session,
    haven: Haven,
    *,
    account_id: int,
    link_id: int,
    choice: str | None,
    opt_out: bool,
    recorded_by: str,
) -> Confirmation:
    """Set or withdraw a choice for the patient of the account's link ``link_id``, acting in
    the link's role; refused when the link is not in force or the role may not act."""
    link = own_link(session, account_id, link_id)
    if not link.in_force_on(today()):
        raise PermissionDenied(
            "Your recorded authority to act for this person is not in force today: contact "
            "the haven's custodian team")
    return set_choice(session, haven, nhs_number=link.nhs_number, choice=choice,
                      opt_out=opt_out, channel=Channel.WEB.value, recorded_by=recorded_by,
                      acting_as=str(link.acting_as))

"""Which patient an account belongs to: an NHS number verified by custodian staff.

Until full patient sign-in (with identity verification) lands, custodian staff confirm a
patient's identity out of band (in person, by letter) and link their account to their NHS
number here. The "how my data was used" page answers only for the linked number, so an
account can see its own record and nobody else's. Linking is written to the ledger under
the patient's pseudonymous reference, never the NHS number.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.ledger import patient_reference, record_event
from openhaven.transparency import repository
from openhaven.transparency.models import PatientLink
from openhaven.transparency.patient_uses import normalised_nhs_number


def link_patient(
    session: Session, haven: Haven, account_id: int, nhs_number: str, *, verified_by: str
) -> PatientLink:
    """Link account ``account_id`` to a verified NHS number (replacing any earlier link)."""
    if not repository.account_exists(session, account_id):
        raise NotFound(f"No account {account_id}")
    number = normalised_nhs_number(nhs_number)
    if not verified_by.strip():
        raise InvalidInput("verified_by is empty", Location(field="verified_by"))
    link = repository.link_for_account(session, account_id)
    if link is None:
        link = PatientLink(account_id=account_id, nhs_number=number, verified_by=verified_by)
        repository.add(session, link)
    else:
        link.nhs_number, link.verified_by = number, verified_by
        repository.flush(session)
    record_event(haven, "transparency.patient_linked", actor=verified_by,
                 subject=patient_reference(haven, number), details={"account": account_id})
    return link


def linked_nhs_number(session: Session, account_id: int) -> str | None:
    """The account's verified NHS number, or None when it is not linked to a patient."""
    link = repository.link_for_account(session, account_id)
    return None if link is None else link.nhs_number

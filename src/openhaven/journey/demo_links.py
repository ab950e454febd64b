"""The demo's patient and proxy accounts, linked to people in the synthetic population.

So that the demo shows what a patient sees — ``/my-data`` (which projects used my record)
and ``/my-choices`` — the patient account is linked, as staff would after checking identity,
to an adult whose record is in the demo project's extract; and the proxy account is given a
proxy link with parental responsibility for a child, so the proxy can see and set the
child's choices. Both people are picked deterministically from the generated population.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from openhaven.choices.proxies import link_proxy
from openhaven.choices.service import opted_out_nhs_numbers
from openhaven.core.clock import utc_now
from openhaven.core.database import unit_of_work
from openhaven.core.haven import Haven
from openhaven.identity.accounts import get_account
from openhaven.records.store import open_store
from openhaven.transparency.patient_links import link_patient

PATIENT_EMAIL = "patient@example.org"
PROXY_EMAIL = "proxy@example.org"
#: an adult, and a child young enough for parental responsibility to act for them
ADULT_AGES, CHILD_AGES = (30, 60), (3, 11)


def link_demo_people(haven: Haven, engine: Engine) -> dict[str, Any]:
    """Link the demo's patient and proxy accounts; what was linked, without NHS numbers."""
    today = utc_now().date()
    with unit_of_work(engine) as session:
        opted_out = set(opted_out_nhs_numbers(session, at=utc_now()))
    adult = _someone(haven, today, ADULT_AGES, opted_out)
    child = _someone(haven, today, CHILD_AGES, opted_out)
    linked: dict[str, Any] = {}
    with unit_of_work(engine) as session:
        if adult is not None:
            patient = get_account(session, PATIENT_EMAIL)
            link_patient(session, haven, patient.id, adult, verified_by="custodian")
            linked["patient"] = "an adult in the demo project's extract"
        if child is not None:
            proxy = get_account(session, PROXY_EMAIL)
            link_proxy(session, haven, account_id=proxy.id, account_reference=proxy.reference,
                       account_roles=proxy.person.role_names, nhs_number=child,
                       acting_as="parental_responsibility", valid_from=today,
                       valid_until=None, evidence_reference="demo: birth certificate seen",
                       actor="custodian")
            linked["proxy"] = "parental responsibility for a child"
    return linked


def _someone(haven: Haven, today: dt.date, ages: tuple[int, int],
             opted_out: set[str]) -> str | None:
    """The first patient (by NHS number) of an age in ``ages`` who has not opted out."""
    youngest_birth = dt.date(today.year - ages[0], today.month, 1)
    oldest_birth = dt.date(today.year - ages[1], today.month, 1)
    with open_store(haven.paths.record_store, read_only=True) as store:
        numbers = store.query(
            "SELECT nhs_number FROM patients WHERE nhs_number IS NOT NULL "
            "AND date_of_death IS NULL AND date_of_birth BETWEEN ? AND ? "
            "ORDER BY nhs_number LIMIT 200", [oldest_birth, youngest_birth],
        ).column("nhs_number").to_pylist()
    return next((n for n in numbers if n not in opted_out), None)

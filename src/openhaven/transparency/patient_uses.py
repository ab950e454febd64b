"""How my data was used: the extracts that included one patient, and what came of them.

Provisioning calls ``record_extract_membership`` once per extract with the cohort's record
store ids; a patient's look-up turns their NHS number into its keyed digest, the digest
into dense indices (both in the membership store, no record-store search), and checks the
indices against every extract's bitmap.
Each answer names the project, when, for what purpose, by which organisation, commercial
or not, and the outputs released from it.

Every look-up is written to the ledger under the patient's ``patient_reference`` — never
the NHS number — with the channel it came by (the patient's own page, or custodian staff
answering a request by post or phone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.ledger import patient_reference, record_event
from openhaven.outputs.models import Output
from openhaven.provisioning import repository as extracts
from openhaven.records.nhs_number import why_invalid
from openhaven.transparency import repository
from openhaven.transparency.membership_store import membership_store
from openhaven.transparency.patient_keys import nhs_key
from openhaven.transparency.register import released_outputs

CHANNELS = ("patient-page", "custodian-request")


def normalised_nhs_number(nhs_number: str) -> str:
    """The NHS number without spaces, or InvalidInput naming the field (never the value)."""
    value = "".join(nhs_number.split())
    reason = why_invalid(value)
    if reason is not None:
        raise InvalidInput(f"NHS number {reason}", Location(field="nhs_number"))
    return value


def data_uses_for_patient(
    session: Session, haven: Haven, nhs_number: str, *, actor: str, channel: str
) -> dict[str, Any]:
    """Every extract that included the patient, with its project's public facts and outputs."""
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}",
                           Location(field="channel"))
    number = normalised_nhs_number(nhs_number)
    store = membership_store(haven)
    indices = store.indices_for_key(nhs_key(haven, number))
    released: dict[int, list[Output]] = {}  # per project, read once however many extracts
    found = [_use(session, extract_id, released)
             for extract_id in store.extracts_including(indices)]
    uses = [use for use in found if use is not None]
    record_event(
        haven,
        "transparency.patient_lookup",
        actor=actor,
        subject=patient_reference(haven, number),
        details={"channel": channel, "extracts_found": len(uses)},
    )
    return {
        "patient": patient_reference(haven, number),
        "extracts": sorted(uses, key=lambda use: (use["provisioned"], use["reference"])),
    }


def _use(
    session: Session, extract_id: int, released: dict[int, list[Output]]
) -> dict[str, Any] | None:
    try:
        extract = extracts.get_extract(session, extract_id)
    except NotFound:
        return None  # a bitmap left by an extract whose record was rolled back
    project = repository.project_by_id(session, extract.project_id)
    if project is None:
        return None
    if project.id not in released:
        released[project.id] = released_outputs(session, project.id)
    from_this = [
        {"id": output.id, "name": output.name, "released": output.created_at.date().isoformat()}
        for output in released[project.id]
        if output.extract_id is None or output.extract_id == extract.id
    ]
    return {
        "reference": project.reference,
        "title": project.title,
        "version": extract.version,
        "provisioned": extract.created_at.date().isoformat(),
        "purpose": project.purpose,
        "lay_summary": project.lay_summary,
        "organisation": project.organisation.name,
        "organisation_kind": str(project.organisation.kind),
        "commercial": project.commercial,
        "identifiability": str(project.identifiability),
        "outputs_released": from_this,
    }

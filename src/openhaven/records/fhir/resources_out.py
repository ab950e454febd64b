"""Rows of the record model as FHIR R4 resources (plain dicts, ready for orjson).

One builder per table takes a row as a tuple in the table's column order, with dates as
ISO strings, and a ``Referencer`` that renders references for the chosen output: in a
transaction bundle every reference is the target's ``urn:uuid:`` fullUrl; in bulk NDJSON it
is ``Patient/<id>``. Each builder writes exactly what the reader maps back, so a
population written out and read in gives the same rows.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from typing import Any

from openhaven.records.fhir.systems import (
    ACT_CODE_SYSTEM,
    ENCOUNTER_CLASS_OUT,
    ETHNICITY_EXTENSION,
    ETHNICITY_SYSTEM,
    NHS_NUMBER_SYSTEM,
    NOTE_TYPE_OUT,
    NULL_FLAVOR_SYSTEM,
    ODS_SYSTEM,
    UCUM_SYSTEM,
    code_system_uri,
)

Resource = dict[str, Any]
Row = tuple[Any, ...]
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NAMESPACE = uuid.UUID("5b0e3a52-8f7e-4c3e-9d0a-0f6a1d3c2b71")  # OpenHaven FHIR ids
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
LOINC = "http://loinc.org"


def full_url_uuid(resource_type: str, resource_id: str) -> str:
    """The uuid of a resource's fullUrl: its id if that is a uuid, else derived from it."""
    if _UUID.fullmatch(resource_id):
        return resource_id
    return str(uuid.uuid5(_NAMESPACE, f"{resource_type}/{resource_id}"))


class Referencer:
    """Renders references for a bundle (``urn:uuid:``) or for NDJSON (``Type/id``)."""

    def __init__(self, *, bundle: bool) -> None:
        self.bundle = bundle
        self._full_urls: dict[tuple[str, str], str] = {}

    def full_url(self, resource_type: str, resource_id: str) -> str:
        """``urn:uuid:`` fullUrl of a resource, remembered (ids are referenced many times)."""
        key = (resource_type, resource_id)
        found = self._full_urls.get(key)
        if found is None:
            found = self._full_urls[key] = f"urn:uuid:{full_url_uuid(resource_type, resource_id)}"
        return found

    def forget(self) -> None:
        """Drop remembered fullUrls (after each chunk of patients, to bound memory)."""
        self._full_urls.clear()

    def __call__(self, resource_type: str, resource_id: str) -> dict[str, str]:
        if self.bundle:
            return {"reference": self.full_url(resource_type, resource_id)}
        return {"reference": f"{resource_type}/{resource_id}"}


def _concept(system: str | None, code: str | None, display: str | None) -> dict[str, Any]:
    coding: dict[str, str] = {}
    uri = code_system_uri(system)
    if uri is not None:
        coding["system"] = uri
    if code is not None:
        coding["code"] = code
    if display is not None:
        coding["display"] = display
    return {"coding": [coding]}


def _organisation(code: str) -> dict[str, Any]:
    return {"type": "Organization", "identifier": {"system": ODS_SYSTEM, "value": code}}


def patient(row: Row, ref: Referencer) -> Resource:
    (pid, nhs, given, family, born, sex, ethnicity, line, postcode, phone, practice, died) = row
    resource: Resource = {"resourceType": "Patient", "id": pid}
    if ethnicity is not None:
        resource["extension"] = [
            {
                "url": ETHNICITY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": ETHNICITY_SYSTEM, "code": ethnicity}]
                },
            }
        ]
    if nhs is not None:
        resource["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": nhs}]
    if given is not None or family is not None:
        name: dict[str, Any] = {"use": "official"}
        if family is not None:
            name["family"] = family
        if given is not None:
            name["given"] = [given]
        resource["name"] = [name]
    if phone is not None:
        resource["telecom"] = [{"system": "phone", "value": phone, "use": "home"}]
    resource["gender"] = sex
    resource["birthDate"] = born
    if died is not None:
        resource["deceasedDateTime"] = died
    if line is not None or postcode is not None:
        address: dict[str, Any] = {"use": "home"}
        if line is not None:
            address["line"] = [line]
        if postcode is not None:
            address["postalCode"] = postcode
        resource["address"] = [address]
    if practice is not None:
        resource["generalPractitioner"] = [_organisation(practice)]
    return resource


def encounter(row: Row, ref: Referencer) -> Resource:
    eid, pid, klass, system, code, display, start, end, organisation = row
    act = ENCOUNTER_CLASS_OUT.get(klass)
    resource: Resource = {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished" if end is not None else "in-progress",
        "class": (
            {"system": ACT_CODE_SYSTEM, "code": act}
            if act is not None
            else {"system": NULL_FLAVOR_SYSTEM, "code": "OTH"}
        ),
    }
    if code is not None:
        resource["type"] = [_concept(system, code, display)]
    resource["subject"] = ref("Patient", pid)
    resource["period"] = {"start": start} if end is None else {"start": start, "end": end}
    if organisation is not None:
        resource["serviceProvider"] = _organisation(organisation)
    return resource


def condition(row: Row, ref: Referencer) -> Resource:
    cid, pid, eid, system, code, display, onset, resolved = row
    status = "resolved" if resolved is not None else "active"
    resource: Resource = {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": status}]},
        "code": _concept(system, code, display),
        "subject": ref("Patient", pid),
    }
    if eid is not None:
        resource["encounter"] = ref("Encounter", eid)
    resource["onsetDateTime"] = onset
    if resolved is not None:
        resource["abatementDateTime"] = resolved
    return resource


def observation(row: Row, ref: Referencer) -> Resource:
    oid, pid, eid, system, code, display, when, numeric, text, unit = row
    resource: Resource = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": _concept(system, code, display),
        "subject": ref("Patient", pid),
    }
    if eid is not None:
        resource["encounter"] = ref("Encounter", eid)
    resource["effectiveDateTime"] = when
    if numeric is not None:
        quantity: dict[str, Any] = {"value": numeric}
        if unit is not None:
            quantity.update(unit=unit, system=UCUM_SYSTEM, code=unit)
        resource["valueQuantity"] = quantity
    elif text is not None:
        resource["valueString"] = text
    return resource


def medication_request(row: Row, ref: Referencer) -> Resource:
    mid, pid, eid, system, code, display, start, end = row
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": "stopped" if end is not None else "active",
        "intent": "order",
        "medicationCodeableConcept": _concept(system, code, display),
        "subject": ref("Patient", pid),
    }
    if eid is not None:
        resource["encounter"] = ref("Encounter", eid)
    resource["authoredOn"] = start
    if end is not None:
        resource["dispenseRequest"] = {"validityPeriod": {"start": start, "end": end}}
    return resource


def procedure(row: Row, ref: Referencer) -> Resource:
    pr_id, pid, eid, system, code, display, performed = row
    resource: Resource = {
        "resourceType": "Procedure",
        "id": pr_id,
        "status": "completed",
        "code": _concept(system, code, display),
        "subject": ref("Patient", pid),
    }
    if eid is not None:
        resource["encounter"] = ref("Encounter", eid)
    resource["performedDateTime"] = performed
    return resource


def document_reference(row: Row, ref: Referencer) -> Resource:
    nid, pid, eid, written, note_type, text = row
    kind: dict[str, Any] = {"text": note_type}
    if note_type in NOTE_TYPE_OUT:
        loinc_code, loinc_display = NOTE_TYPE_OUT[note_type]
        kind["coding"] = [{"system": LOINC, "code": loinc_code, "display": loinc_display}]
    resource: Resource = {
        "resourceType": "DocumentReference",
        "id": nid,
        "status": "current",
        "type": kind,
        "subject": ref("Patient", pid),
        "date": f"{written}T00:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                }
            }
        ],
    }
    if eid is not None:
        resource["context"] = {"encounter": [ref("Encounter", eid)]}
    return resource


Builder = Callable[[Row, Referencer], Resource]

# table name -> (FHIR resource type, builder); the order is the order of bundle entries.
BUILDERS: dict[str, tuple[str, Builder]] = {
    "patients": ("Patient", patient),
    "encounters": ("Encounter", encounter),
    "conditions": ("Condition", condition),
    "observations": ("Observation", observation),
    "medications": ("MedicationRequest", medication_request),
    "procedures": ("Procedure", procedure),
    "notes": ("DocumentReference", document_reference),
}

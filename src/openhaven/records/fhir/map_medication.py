"""FHIR MedicationRequest, MedicationStatement and Medication to ``medications`` rows.

The drug comes from ``medicationCodeableConcept``, or from ``medicationReference`` to a
Medication: contained in the resource (``#id``), in the same bundle (``urn:uuid:``) or
anywhere in the same ingest (``Medication/<id>``). Referenced Medications are resolved
after every file is read; a reference to a Medication that is not there, or has no code,
quarantines the request. Dates: a request's ``authoredOn`` and the end of its
``dispenseRequest.validityPeriod``; a statement's ``effective[x]`` (or ``dateAsserted``).
"""

from __future__ import annotations

from typing import Any

from openhaven.records.fhir.context import MedicationIndex, ResourceContext, Unresolvable
from openhaven.records.fhir.elements import (
    ElementError,
    obj,
    objects,
    pick_coding,
    reference_string,
    string,
)
from openhaven.records.fhir.map_clinical import event_date
from openhaven.records.ingest.staging import Staging

Code = tuple[str, str, str | None]


def map_medication(resource: dict[str, Any], ctx: ResourceContext) -> None:
    """A Medication gives no row of its own: it is remembered for the requests naming it."""
    ctx.medications.known[ctx.own_id] = _medication_code(resource, ctx.path)


def map_medication_request(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    encounter = ctx.encounter(resource)
    start = event_date(resource, ctx, [("authoredOn", None)], required=True)
    dispense = obj(resource, "dispenseRequest", ctx.path)
    end = None
    if dispense is not None:
        end = event_date(
            {"validityPeriod": dispense.get("validityPeriod")},
            _within(ctx, "dispenseRequest"),
            [("validityPeriod", "end")],
            required=False,
        )
    _add(resource, ctx, (ctx.own_id, patient, encounter, start, end))


def map_medication_statement(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    try:
        encounter = ctx.encounter(resource, "context")
    except Unresolvable:
        encounter = None  # an EpisodeOfCare context: no encounter to link
    start = event_date(
        resource,
        ctx,
        [("effectiveDateTime", None), ("effectivePeriod", "start"), ("dateAsserted", None)],
        required=True,
    )
    end = event_date(resource, ctx, [("effectivePeriod", "end")], required=False)
    _add(resource, ctx, (ctx.own_id, patient, encounter, start, end))


def finish_medications(staging: Staging, index: MedicationIndex) -> None:
    """Add the rows of requests whose medication was a reference, now all are known."""
    for item, _file_index, path, target, (row_id, patient, encounter, start, end) in index.pending:
        if target not in index.known:
            staging.quarantine_item(item, f"{path} names a Medication not in the input")
            continue
        code = index.known[target]
        if code is None:
            staging.quarantine_item(item, f"{path} names a Medication without a code")
            continue
        staging.add_row("medications", item, (row_id, patient, encounter, *code, start, end))
    index.pending.clear()


def _add(resource: dict[str, Any], ctx: ResourceContext, row: tuple[Any, ...]) -> None:
    row_id, patient, encounter, start, end = row
    concept = obj(resource, "medicationCodeableConcept", ctx.path)
    if concept is not None:
        code = pick_coding(concept, ctx.field("medicationCodeableConcept"), "medications")
        if code is None:
            raise ElementError(ctx.field("medicationCodeableConcept.coding"), "needs a coding")
        ctx.staging.add_row(
            "medications", ctx.item, (row_id, patient, encounter, *code, start, end)
        )
        return
    path = ctx.field("medicationReference.reference")
    reference = reference_string(resource, "medicationReference", ctx.path)
    if reference is None:
        raise ElementError(ctx.field("medication[x]"), "is required but missing")
    if reference.startswith("#"):
        contained = _contained_code(resource, reference[1:], ctx.path)
        if contained is None:
            raise Unresolvable(f"{path} names a contained Medication without a code")
        ctx.staging.add_row(
            "medications", ctx.item, (row_id, patient, encounter, *contained, start, end)
        )
        return
    target = ctx.resolve(reference, "Medication", path)
    ctx.medications.pending.append((ctx.item, ctx.file_index, path, target, row))


def _medication_code(resource: dict[str, Any], path: str) -> Code | None:
    concept = obj(resource, "code", path)
    if concept is None:
        return None
    return pick_coding(concept, f"{path}.code" if path else "code", "medications")


def _contained_code(resource: dict[str, Any], wanted: str, path: str) -> Code | None:
    for index, contained in enumerate(objects(resource, "contained", path)):
        where = f"{path}.contained[{index}]" if path else f"contained[{index}]"
        if (
            contained.get("resourceType") == "Medication"
            and string(contained, "id", where) == wanted
        ):
            return _medication_code(contained, where)
    raise ElementError(
        f"{path}.medicationReference" if path else "medicationReference",
        "names a contained resource that is not there",
    )


def _within(ctx: ResourceContext, key: str) -> ResourceContext:
    """A context whose paths point inside ``key`` of the current resource."""
    return ResourceContext(
        staging=ctx.staging,
        file_index=ctx.file_index,
        position=ctx.position,
        path=ctx.field(key),
        item=ctx.item,
        own_id=ctx.own_id,
        resource_type=ctx.resource_type,
        resource=ctx.resource,
        full_urls=ctx.full_urls,
        medications=ctx.medications,
    )

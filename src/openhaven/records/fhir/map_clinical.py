"""FHIR Encounter, Condition and Procedure to their rows, and the shared date/code helpers.

Dates: where FHIR offers a choice (``onsetDateTime`` or ``onsetPeriod``), the first present
of a fixed list is used, and a record with none of them is invalid input, because every
event table needs its date. Codes: the preferred coding of the table wins (see
``systems.PREFERRED_SYSTEMS``); a concept without any coding is invalid input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openhaven.records.fhir.context import ResourceContext
from openhaven.records.fhir.elements import (
    ElementError,
    obj,
    objects,
    parse_date,
    pick_coding,
    string,
)
from openhaven.records.fhir.map_patient import ods_code
from openhaven.records.fhir.systems import ENCOUNTER_CLASS_IN

# (element, sub-element of a Period or None) candidates, in order of preference.
DateChoice = Sequence[tuple[str, str | None]]


def event_date(
    resource: dict[str, Any], ctx: ResourceContext, choices: DateChoice, *, required: bool
) -> str | None:
    """The first date present among ``choices``; with ``required``, one must be present."""
    for element, part in choices:
        if element not in resource:
            continue
        if part is None:
            value, partial = parse_date(resource[element], ctx.field(element))
        else:
            period = obj(resource, element, ctx.path)
            if period is None or part not in period:
                continue
            value, partial = parse_date(period[part], f"{ctx.field(element)}.{part}")
        if partial:
            ctx.note_absent(f"{element} partial (first day of the period used)")
        return value
    if required:
        names = " or ".join(e if p is None else f"{e}.{p}" for e, p in choices)
        raise ElementError(ctx.field(choices[0][0]), f"needs a date ({names}) for the haven")
    return None


def required_code(
    resource: dict[str, Any], key: str, ctx: ResourceContext, table: str
) -> tuple[str, str, str | None]:
    concept = obj(resource, key, ctx.path)
    if concept is None:
        raise ElementError(ctx.field(key), "is required by the haven but missing")
    picked = pick_coding(concept, ctx.field(key), table)
    if picked is None:
        raise ElementError(f"{ctx.field(key)}.coding", "needs at least one coding")
    return picked


def map_encounter(resource: dict[str, Any], ctx: ResourceContext) -> None:
    path = ctx.path
    patient = ctx.subject()
    klass = obj(resource, "class", path)
    if klass is None:
        raise ElementError(ctx.field("class"), "is required but missing")
    class_code = string(klass, "code", ctx.field("class"))
    encounter_class = ENCOUNTER_CLASS_IN.get(class_code or "", "other")
    system = code = display = None
    types = objects(resource, "type", path)
    if types:
        picked = pick_coding(types[0], f"{path}.type[0]", "encounters")
        if picked is not None:
            system, code, display = picked
    start = event_date(resource, ctx, [("period", "start")], required=True)
    end = event_date(resource, ctx, [("period", "end")], required=False)
    provider = obj(resource, "serviceProvider", path)
    organisation = None
    if provider is not None:
        organisation = ods_code(provider, ctx.field("serviceProvider"))
    if organisation is None:
        ctx.note_absent("serviceProvider ODS code absent")
    ctx.staging.add_row(
        "encounters",
        ctx.item,
        (ctx.own_id, patient, encounter_class, system, code, display, start, end, organisation),
    )


def map_condition(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    encounter = ctx.encounter(resource)
    system, code, display = required_code(resource, "code", ctx, "conditions")
    onset = event_date(
        resource,
        ctx,
        [("onsetDateTime", None), ("onsetPeriod", "start"), ("recordedDate", None)],
        required=True,
    )
    resolved = event_date(
        resource, ctx, [("abatementDateTime", None), ("abatementPeriod", "end")], required=False
    )
    ctx.staging.add_row(
        "conditions",
        ctx.item,
        (ctx.own_id, patient, encounter, system, code, display, onset, resolved),
    )


def map_procedure(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    encounter = ctx.encounter(resource)
    system, code, display = required_code(resource, "code", ctx, "procedures")
    performed = event_date(
        resource, ctx, [("performedDateTime", None), ("performedPeriod", "start")], required=True
    )
    ctx.staging.add_row(
        "procedures",
        ctx.item,
        (ctx.own_id, patient, encounter, system, code, display, performed),
    )

"""FHIR Observation to ``observations`` rows: one for the observation, one per component.

A panel such as blood pressure (LOINC 85354-9) carries its readings as components. Each
component becomes its own row, with id ``<observation id>-component-<n>`` (``n`` is the
component's index, as in ``component[n]``), the component's code and value, and the
parent's patient, encounter and date; the parent row keeps the panel code (and its own
value, if it has one). Queries for systolic pressure then look for the systolic code
whether it arrived as a panel component or as an observation of its own.

Values: ``valueQuantity`` gives value_numeric and unit (the UCUM code where the system is
UCUM, else the unit text); ``valueInteger`` is numeric; ``valueCodeableConcept`` gives the
code of its preferred coding in value_text; ``valueString``, ``valueBoolean`` and
``valueDateTime`` go to value_text as written. Other value types are counted as not
modelled and the row keeps no value.
"""

from __future__ import annotations

from typing import Any

from openhaven.records.fhir.context import ResourceContext
from openhaven.records.fhir.elements import (
    ElementError,
    boolean,
    decimal,
    obj,
    objects,
    parse_date,
    pick_coding,
    string,
)
from openhaven.records.fhir.map_clinical import event_date, required_code
from openhaven.records.fhir.systems import UCUM_SYSTEM

_UNMODELLED_VALUES = (
    "valueRange",
    "valueRatio",
    "valueSampledData",
    "valueTime",
    "valuePeriod",
)

Value = tuple[float | None, str | None, str | None]


def map_observation(resource: dict[str, Any], ctx: ResourceContext) -> None:
    patient = ctx.subject()
    encounter = ctx.encounter(resource)
    system, code, display = required_code(resource, "code", ctx, "observations")
    when = event_date(
        resource,
        ctx,
        [
            ("effectiveDateTime", None),
            ("effectivePeriod", "start"),
            ("effectiveInstant", None),
            ("issued", None),
        ],
        required=True,
    )
    numeric, text, unit = observation_value(resource, ctx.path, ctx)
    add = ctx.staging.add_row
    add(
        "observations",
        ctx.item,
        (ctx.own_id, patient, encounter, system, code, display, when, numeric, text, unit),
    )
    for index, component in enumerate(objects(resource, "component", ctx.path)):
        where = f"{ctx.path}.component[{index}]"
        concept = obj(component, "code", where)
        if concept is None:
            raise ElementError(f"{where}.code", "is required but missing")
        picked = pick_coding(concept, f"{where}.code", "observations")
        if picked is None:
            raise ElementError(f"{where}.code.coding", "needs at least one coding")
        c_numeric, c_text, c_unit = observation_value(component, where, ctx)
        add(
            "observations",
            ctx.item,
            (
                f"{ctx.own_id}-component-{index}",
                patient,
                encounter,
                *picked,
                when,
                c_numeric,
                c_text,
                c_unit,
            ),
        )


def observation_value(element: dict[str, Any], where: str, ctx: ResourceContext) -> Value:
    """(value_numeric, value_text, unit) of an Observation or one of its components."""
    quantity = obj(element, "valueQuantity", where)
    if quantity is not None:
        at = f"{where}.valueQuantity"
        value = decimal(quantity, "value", at)
        code = string(quantity, "code", at)
        unit = code if code and string(quantity, "system", at) == UCUM_SYSTEM else None
        return value, None, unit or string(quantity, "unit", at)
    if "valueInteger" in element:
        value = element["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ElementError(f"{where}.valueInteger", "must be an integer")
        return float(value), None, None
    concept = obj(element, "valueCodeableConcept", where)
    if concept is not None:
        picked = pick_coding(concept, f"{where}.valueCodeableConcept", "observations")
        if picked is not None:
            return None, picked[1], None
        return None, string(concept, "text", f"{where}.valueCodeableConcept"), None
    if "valueString" in element:
        return None, string(element, "valueString", where), None
    if "valueBoolean" in element:
        flag = boolean(element, "valueBoolean", where)
        return None, None if flag is None else str(flag).lower(), None
    if "valueDateTime" in element:
        parse_date(element["valueDateTime"], f"{where}.valueDateTime")
        return None, string(element, "valueDateTime", where), None
    for name in _UNMODELLED_VALUES:
        if name in element:
            ctx.note_absent(f"{name} not modelled (no value kept)")
            break
    return None, None, None

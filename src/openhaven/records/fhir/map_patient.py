"""FHIR Patient to a ``patients`` row.

Only what the model holds is read: the NHS number (other identifiers such as a US SSN,
MRN or driving licence are deliberately not mapped), the official name, gender, birth and
death dates, home address line and postal code, a phone number, the UK Core ethnic
category and the registered practice's ODS code. Whatever the model wants but the
resource lacks is noted per file, so a custodian sees e.g. "nhs_number absent on 5 of 5".
"""

from __future__ import annotations

import re
from typing import Any

from openhaven.records.fhir.context import ResourceContext
from openhaven.records.fhir.elements import (
    ElementError,
    array,
    boolean,
    obj,
    objects,
    parse_date,
    string,
)
from openhaven.records.fhir.systems import (
    ETHNICITY_EXTENSIONS_READ,
    GENDERS,
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    US_CORE_RACE_ETHNICITY,
)

UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.IGNORECASE)
_ODS_CONDITIONAL = f"Organization?identifier={ODS_SYSTEM}|"


def map_patient(resource: dict[str, Any], ctx: ResourceContext) -> None:
    path = ctx.path
    given, family = _name(resource, path)
    gender = string(resource, "gender", path)
    if gender is None:
        gender = "unknown"
        ctx.note_absent("gender absent (recorded as unknown)")
    elif gender not in GENDERS:
        raise ElementError(ctx.field("gender"), "must be one of female, male, other, unknown")
    if "birthDate" not in resource:
        raise ElementError(ctx.field("birthDate"), "is required by the haven but missing")
    birth, partial = parse_date(resource["birthDate"], ctx.field("birthDate"))
    if partial:
        ctx.note_absent("birthDate partial (first day of the period used)")
    address_line, postcode = _address(resource, ctx)
    ctx.staging.add_row(
        "patients",
        ctx.item,
        (
            ctx.own_id,
            _nhs_number(resource, ctx),
            given,
            family,
            birth,
            gender,
            _ethnicity(resource, ctx),
            address_line,
            postcode,
            _phone(resource, path),
            _practice(resource, ctx),
            _death(resource, ctx),
        ),
    )


def _nhs_number(resource: dict[str, Any], ctx: ResourceContext) -> str | None:
    for index, identifier in enumerate(objects(resource, "identifier", ctx.path)):
        where = f"{ctx.path}.identifier[{index}]"
        if string(identifier, "system", where) == NHS_NUMBER_SYSTEM:
            return string(identifier, "value", where, required=True)
    ctx.note_absent("nhs_number absent")
    return None


def _name(resource: dict[str, Any], path: str) -> tuple[str | None, str | None]:
    names = objects(resource, "name", path)
    if not names:
        return None, None
    index = next(
        (i for i, n in enumerate(names) if n.get("use") == "official"),
        next((i for i, n in enumerate(names) if n.get("use") == "usual"), 0),
    )
    chosen, where = names[index], f"{path}.name[{index}]"
    given_parts = array(chosen, "given", where)
    for i, part in enumerate(given_parts):
        if not isinstance(part, str):
            raise ElementError(f"{where}.given[{i}]", "must be a string")
    given = " ".join(given_parts) if given_parts else None
    return given, string(chosen, "family", where)


def _address(resource: dict[str, Any], ctx: ResourceContext) -> tuple[str | None, str | None]:
    addresses = objects(resource, "address", ctx.path)
    if not addresses:
        ctx.note_absent("address absent")
        return None, None
    index = next((i for i, a in enumerate(addresses) if a.get("use") == "home"), 0)
    chosen, where = addresses[index], f"{ctx.path}.address[{index}]"
    lines = array(chosen, "line", where)
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise ElementError(f"{where}.line[{i}]", "must be a string")
    postcode = string(chosen, "postalCode", where)
    if postcode is None:
        ctx.note_absent("postcode absent")
    elif not UK_POSTCODE.fullmatch(postcode.strip()):
        ctx.note_absent("postcode not in UK format (kept as given)")
    return (lines[0] if lines else None), postcode


def _phone(resource: dict[str, Any], path: str) -> str | None:
    for index, telecom in enumerate(objects(resource, "telecom", path)):
        where = f"{path}.telecom[{index}]"
        if string(telecom, "system", where) == "phone":
            return string(telecom, "value", where)
    return None


def _ethnicity(resource: dict[str, Any], ctx: ResourceContext) -> str | None:
    us_core = False
    for index, extension in enumerate(objects(resource, "extension", ctx.path)):
        where = f"{ctx.path}.extension[{index}]"
        url = string(extension, "url", where, required=True)
        if url in ETHNICITY_EXTENSIONS_READ:
            concept = obj(extension, "valueCodeableConcept", where)
            if concept is None:
                raise ElementError(f"{where}.valueCodeableConcept", "is required but missing")
            codings = objects(concept, "coding", f"{where}.valueCodeableConcept")
            if codings:
                return string(codings[0], "code", f"{where}.valueCodeableConcept.coding[0]")
        elif url in US_CORE_RACE_ETHNICITY:
            us_core = True
    if us_core:
        ctx.note_absent("ethnicity given as US Core race/ethnicity, not mapped")
    else:
        ctx.note_absent("ethnicity absent")
    return None


def _practice(resource: dict[str, Any], ctx: ResourceContext) -> str | None:
    for index, reference in enumerate(objects(resource, "generalPractitioner", ctx.path)):
        where = f"{ctx.path}.generalPractitioner[{index}]"
        code = ods_code(reference, where)
        if code is not None:
            return code
    ctx.note_absent("registered practice (ODS code) absent")
    return None


def ods_code(reference: dict[str, Any], where: str) -> str | None:
    """The ODS code a Reference names, by logical identifier or conditional reference."""
    identifier = obj(reference, "identifier", where)
    if identifier is not None and string(identifier, "system", f"{where}.identifier") == ODS_SYSTEM:
        return string(identifier, "value", f"{where}.identifier")
    target = string(reference, "reference", where)
    if target is not None and target.startswith(_ODS_CONDITIONAL):
        return target[len(_ODS_CONDITIONAL) :] or None
    return None


def _death(resource: dict[str, Any], ctx: ResourceContext) -> str | None:
    if "deceasedDateTime" in resource:
        died, _ = parse_date(resource["deceasedDateTime"], ctx.field("deceasedDateTime"))
        return died
    if boolean(resource, "deceasedBoolean", ctx.path):
        ctx.note_absent("deceased without a date (date_of_death left empty)")
    return None

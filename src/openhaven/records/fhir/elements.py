"""Typed access to FHIR JSON elements, failing with the element's path and never its value.

Mappers read resources through these helpers. Each takes the path of the element it reads
(``entry[3].resource.birthDate``) so a wrong type or format is reported exactly where it
is; the error text says what was expected, not what was found, because what was found may
be a patient's name or date of birth.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from openhaven.records.fhir.systems import PREFERRED_SYSTEMS, code_system_name

# FHIR R4 date and dateTime: YYYY, YYYY-MM, YYYY-MM-DD, optionally a time with a zone.
_DATE_TIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T([01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d))?"
    r")?)?"
)
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


class ElementError(Exception):
    """An element is missing, of the wrong type, or badly formatted."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def obj(parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ElementError(join(path, key), "must be a JSON object")
    return value


def array(parent: dict[str, Any], key: str, path: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ElementError(join(path, key), "must be a JSON array")
    return value


def objects(parent: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    items = array(parent, key, path)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ElementError(f"{join(path, key)}[{index}]", "must be a JSON object")
    return items


def string(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise ElementError(join(path, key), "is required but missing")
        return None
    if not isinstance(value, str):
        raise ElementError(join(path, key), "must be a string")
    if required and not value.strip():
        raise ElementError(join(path, key), "must not be empty")
    return value


def resource_id(resource: dict[str, Any], path: str) -> str | None:
    value = string(resource, "id", path)
    if value is not None and not _ID.fullmatch(value):
        raise ElementError(join(path, "id"), "must be 1-64 letters, digits, '-' or '.'")
    return value


def parse_date(value: Any, path: str) -> tuple[str, bool]:
    """An FHIR date or dateTime as ``YYYY-MM-DD`` plus whether it was partial.

    A dateTime keeps the date as written (its own time zone); a partial date (``YYYY`` or
    ``YYYY-MM``) becomes the first day of its year or month, and the caller notes it.
    """
    if not isinstance(value, str):
        raise ElementError(path, "must be a date string")
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise ElementError(path, "must be a FHIR date or dateTime (YYYY-MM-DD[Thh:mm:ss+zz:zz])")
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        parsed = date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ElementError(path, "is not a calendar date") from None
    return parsed.isoformat(), day is None


def decimal(parent: dict[str, Any], key: str, path: str) -> float | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ElementError(join(path, key), "must be a number")
    return float(value)


def boolean(parent: dict[str, Any], key: str, path: str) -> bool | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ElementError(join(path, key), "must be true or false")
    return value


def coding_of(coding: dict[str, Any], path: str) -> tuple[str, str, str | None]:
    """(our code-system name, code, display) of one Coding; the code is required."""
    system = string(coding, "system", path)
    code = string(coding, "code", path, required=True)
    display = string(coding, "display", path)
    assert code is not None
    return code_system_name(system), code, display


def pick_coding(
    concept: dict[str, Any], path: str, table: str
) -> tuple[str, str, str | None] | None:
    """The coding to keep from a CodeableConcept, by the table's preferred systems.

    The preferred system wins; otherwise the first coding (as ``other`` if we do not know
    its system). The display falls back to the concept's text.
    """
    codings = objects(concept, "coding", path)
    text = string(concept, "text", path)
    if not codings:
        return None
    parsed = [coding_of(c, f"{path}.coding[{i}]") for i, c in enumerate(codings)]
    chosen = parsed[0]
    for preferred in PREFERRED_SYSTEMS.get(table, ()):
        match = next((p for p in parsed if p[0] == preferred), None)
        if match is not None:
            chosen = match
            break
    system, code, display = chosen
    return system, code, display if display is not None else text


def reference_string(parent: dict[str, Any], key: str, path: str) -> str | None:
    ref = obj(parent, key, path)
    if ref is None:
        return None
    return string(ref, "reference", join(path, key))

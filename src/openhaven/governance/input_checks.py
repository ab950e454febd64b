"""Checks on what people type into governance forms: each names the field, never the value.

Kept apart from the service so the rules for a well-formed form can be read (and tested) on
their own. Purpose codes are checked by ``duo`` and whole requests by ``access_request``.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any, TypeVar

from openhaven.core.errors import InvalidInput, Location

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")

E = TypeVar("E", bound=StrEnum)


def required_text(value: object, field: str, max_length: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required", Location(field=field))
    text = value.strip()
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(
            f"{field} must be at most {max_length} characters", Location(field=field)
        )
    return text


def reasons(value: object) -> str:
    """Reasons are published in the ledger, so they may not hold what looks like an NHS number."""
    text = required_text(value, "reasons")
    if TEN_DIGITS.search(text):
        raise InvalidInput(
            "reasons may not contain a 10-digit number (it could identify a patient)",
            Location(field="reasons"),
        )
    return text


def member(enum_class: type[E], value: object, field: str) -> E:
    try:
        return enum_class(str(value))
    except ValueError:
        allowed = ", ".join(option.value for option in enum_class)
        raise InvalidInput(f"{field} must be one of: {allowed}", Location(field=field)) from None


def json_object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a mapping", Location(field=field))
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must hold only JSON values", Location(field=field)) from None
    return value


def email_address(value: str) -> None:
    if not EMAIL_PATTERN.match(value):
        raise InvalidInput("The email address is not valid", Location(field="email"))

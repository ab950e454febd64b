"""Keep identifiable data out of the ledger, and give patients a pseudonymous reference there.

The ledger is read by auditors, published in part on the register and handed out as proofs;
none of that may reveal a patient. So ``record_event`` refuses details that use an
identifier's field name or hold an NHS-number-shaped value, and a subject that looks like
one. A service that must say *which* patient an event concerns (a re-identification, a
choice) names them with ``patient_reference``: a keyed hash that only the haven can
recompute from the NHS number, and that reveals nothing without the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping
from typing import Any

from openhaven.core.errors import OpenHavenError
from openhaven.core.haven import Haven

FORBIDDEN_KEYS = frozenset(
    {"nhs_number", "given_name", "family_name", "name", "date_of_birth", "postcode",
     "address", "address_line", "phone", "email"}
)
PATIENT_REFERENCE_PREFIX = "patient:"
# Ten digits standing alone (or as 3-3-4 with spaces or hyphens), not inside a longer token
# such as a hex digest, which can hold a run of ten digits by chance.
_TEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{3}[ -]?\d{3}[ -]?\d{4}(?![0-9A-Za-z])")
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_REFERENCE_CONTEXT = b"openhaven ledger patient reference v1\x00"


class IdentifiableEventError(OpenHavenError):
    """A caller tried to write identifiable data into the ledger (a programming error)."""

    code = "identifiable_event"
    http_status = 500


def refuse_identifiable(details: Mapping[str, Any], *, subject: str | None = None) -> None:
    """Raise ``IdentifiableEventError`` naming the field (never the value) that is unsafe."""
    if subject is not None and _TEN_DIGITS.search(subject):
        raise IdentifiableEventError("ledger subject looks like it holds an NHS number")
    for key, value in _walk(details):
        if key.lower() in FORBIDDEN_KEYS:
            raise IdentifiableEventError(f"ledger details may not carry the field {key!r}")
        if isinstance(value, str) and _TEN_DIGITS.search(value):
            raise IdentifiableEventError(
                f"ledger detail {key!r} looks like it holds an NHS number"
            )


def patient_reference(haven: Haven, nhs_number: str) -> str:
    """A stable pseudonym for one patient in ledger entries: ``patient:`` and 32 letters.

    Keyed with the haven's master key under a context of its own, so it matches no project's
    pseudonyms and cannot be reversed or recomputed outside the haven. Written in the letters
    a-p (one per 4 bits) so that it can never look like an NHS number.
    """
    normalised = "".join(nhs_number.split())
    digest = hmac.new(
        haven.master_key(), _REFERENCE_CONTEXT + normalised.encode(), hashlib.sha256
    ).hexdigest()
    return PATIENT_REFERENCE_PREFIX + digest[:32].translate(_HEX_TO_LETTERS)


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k), v
            yield from _walk(v, str(k))
    elif isinstance(value, list | tuple):
        for item in value:
            yield key, item
            yield from _walk(item, key)

"""What a recognizer reports: a span of the text, its kind, and why it was found."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: the kinds of identifier, each with the placeholder that replaces it
ENTITIES = (
    "NAME",
    "NHS_NUMBER",
    "DATE",
    "DATE_OF_BIRTH",
    "POSTCODE",
    "PHONE",
    "EMAIL",
    "URL",
    "NI_NUMBER",
    "HOSPITAL_NUMBER",
    "AGE",
    "ADDRESS",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifier found in a text: ``text[start:end]`` is an ``entity``.

    ``reason`` says why in words (the pattern or the context that matched, or which of the
    patient's own identifiers it is); ``validated`` is true when a check beyond the pattern
    passed (the NHS number's Modulus 11 digit, a real calendar date, a known name);
    ``score`` is the recognizer's confidence from 0 to 1.
    """

    start: int
    end: int
    entity: str
    recognizer: str
    reason: str
    score: float
    validated: bool = False

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"unknown entity {self.entity!r}")
        if not 0 <= self.start < self.end:
            raise ValueError("a finding needs a non-empty span")

    @property
    def length(self) -> int:
        return self.end - self.start

    def as_dict(self) -> dict[str, Any]:
        """The finding without the text it covers (safe to log or print)."""
        return asdict(self)

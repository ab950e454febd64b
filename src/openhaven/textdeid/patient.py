"""The note's own patient, as the record store knows them: what record-aware recognition
looks for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PatientIdentifiers:
    """Any of these may be missing; the record-aware recognizer uses those present."""

    given_name: str | None = None
    family_name: str | None = None
    nhs_number: str | None = None
    date_of_birth: dt.date | None = None
    address_line: str | None = None
    postcode: str | None = None
    phone: str | None = None

    @classmethod
    def from_mapping(cls, row: dict[str, object]) -> PatientIdentifiers:
        """From a patients-table row (unknown keys are ignored; dates as date or ISO text)."""
        birth = row.get("date_of_birth")
        if isinstance(birth, str) and birth:
            birth = dt.date.fromisoformat(birth)

        def text(key: str) -> str | None:
            value = row.get(key)
            return value if isinstance(value, str) and value.strip() else None

        return cls(
            given_name=text("given_name"),
            family_name=text("family_name"),
            nhs_number=text("nhs_number"),
            date_of_birth=birth if isinstance(birth, dt.date) else None,
            address_line=text("address_line"),
            postcode=text("postcode"),
            phone=text("phone"),
        )

"""Dates in numeric and written layouts, checked against the calendar (see date_formats)."""

from __future__ import annotations

from collections.abc import Iterator

from openhaven.textdeid.date_formats import find_dates
from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.registry import Recognizer


class DateRecognizer(Recognizer):
    name = "date"
    entities = ("DATE",)

    def find(self, text: str, patient: PatientIdentifiers | None) -> Iterator[Finding]:
        for found in find_dates(text):
            yield Finding(
                found.start, found.end, "DATE", self.name,
                f"pattern: {found.layout}; a real calendar date",
                0.95 if found.complete else 0.7, validated=True,
            )

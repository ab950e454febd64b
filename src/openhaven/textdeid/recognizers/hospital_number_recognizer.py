"""Hospital and record numbers: after words that name one (MRN, hospital number, unit no.),
any token with digits; elsewhere, letters followed by six or more digits (RXH1234567)."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

CONTEXT = ("mrn", "hospital number", "hospital no", "hosp no", "unit number", "unit no",
           "record number", "case number", "patient id", "k number", "rtt")


class HospitalNumberRecognizer(PatternRecognizer):
    name = "hospital_number"
    entities = ("HOSPITAL_NUMBER",)
    patterns = (
        Pattern("record number after its name",
                re.compile(r"(?:MRN|[Nn]o\.?|[Nn]umber|ID|[Ii]d)[:#\s]*(?P<id>[A-Z]{0,4}\d[\w\-/]{3,})"),
                "HOSPITAL_NUMBER", 0.9, CONTEXT, needs_context=True, group="id"),
        Pattern("letters then six or more digits",
                re.compile(r"\b[A-Z]{1,4}\d{6,12}\b"), "HOSPITAL_NUMBER", 0.6, CONTEXT, 0.9),
    )

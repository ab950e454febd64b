"""National Insurance numbers (QQ 12 34 56 C), with HMRC's rules on the two letters."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

_NOT_ALLOCATED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def _allocatable(text: str) -> bool:
    return text[:2].upper() not in _NOT_ALLOCATED


class NiNumberRecognizer(PatternRecognizer):
    name = "ni_number"
    entities = ("NI_NUMBER",)
    patterns = (
        Pattern(
            "National Insurance number",
            re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
            "NI_NUMBER", 0.85, ("ni", "national insurance", "nino"), 1.0,
        ),
    )
    validate = staticmethod(_allocatable)

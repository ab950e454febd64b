"""NHS numbers in any layout (4505577104, 450 557 7104, 450-557-7104), checked by Modulus 11.

A ten-digit number whose check digit fails is dropped unless "NHS" comes shortly before it,
where it is kept at a lower score (a mistyped NHS number is still an NHS number).
"""

from __future__ import annotations

import re

from openhaven.records.nhs_number import is_valid
from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

CONTEXT = ("nhs", "nhs no", "nhs number", "nhs num", "chi")


def _valid(text: str) -> bool:
    return is_valid(re.sub(r"[\s\-]", "", text))


class NhsNumberRecognizer(PatternRecognizer):
    name = "nhs_number"
    entities = ("NHS_NUMBER",)
    patterns = (
        Pattern("ten digits in 3-3-4 groups",
                re.compile(r"(?<![\d\-])\d{3}([ \-]?)\d{3}\1\d{4}(?![\d\-])"),
                "NHS_NUMBER", 0.9, CONTEXT, 1.0),
    )
    validate = staticmethod(_valid)
    invalid_with_context_score = 0.6

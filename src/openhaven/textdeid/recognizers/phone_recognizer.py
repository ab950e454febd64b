"""UK telephone numbers: 0 or +44 and ten digits in the usual groupings (07700 900123,
0113 496 0000, (01632) 960 123, +44 7700 900123)."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

CONTEXT = ("tel", "telephone", "phone", "mobile", "mob", "call", "contact", "on")


def _uk_digits(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return len(digits) in (10, 11) and digits.startswith("0") and digits[1] != "0"


class PhoneRecognizer(PatternRecognizer):
    name = "phone"
    entities = ("PHONE",)
    patterns = (
        Pattern(
            "UK telephone number",
            re.compile(
                r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s\-]?\d{3,4}[\s\-]?\d{3,4}"
                r"(?![\w])"
            ),
            "PHONE", 0.75, CONTEXT, 0.95,
        ),
    )
    validate = staticmethod(_uk_digits)

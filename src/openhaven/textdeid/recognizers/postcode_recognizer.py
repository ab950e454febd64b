"""UK postcodes: full (LS1 4AP, SW1A 1AA) anywhere; the outward code alone (LS1) only after
words that say a postcode or area follows."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

_OUTWARD = r"(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)"
_INWARD = r"(?:\d[ABD-HJLNP-UW-Z]{2})"


class PostcodeRecognizer(PatternRecognizer):
    name = "postcode"
    entities = ("POSTCODE",)
    patterns = (
        Pattern("full UK postcode",
                re.compile(rf"\b{_OUTWARD} ?{_INWARD}\b"), "POSTCODE", 0.9,
                ("postcode", "post code", "address"), 1.0),
        Pattern("full UK postcode, lower case",
                re.compile(rf"\b{_OUTWARD} {_INWARD}\b", re.IGNORECASE), "POSTCODE", 0.6,
                ("postcode", "post code", "address"), 0.9),
        Pattern("outward code after a postcode word",
                re.compile(rf"\b{_OUTWARD}\b(?! ?{_INWARD})"), "POSTCODE", 0.8,
                ("postcode", "post code", "postcode area", "postal district", "lives in",
                 "living in", "area"), needs_context=True),
    )

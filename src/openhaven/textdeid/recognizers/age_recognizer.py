"""Ages over 89 (as HIPAA's Safe Harbor treats them): "93-year-old", "aged 91", "95 yo",
"Mrs X, 92, ..."; younger ages are not identifying on their own and are kept."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer

_OLD = r"(?P<age>9\d|1[01]\d)"


class AgeRecognizer(PatternRecognizer):
    name = "age_over_89"
    entities = ("AGE",)
    patterns = (
        Pattern("age in years",
                re.compile(rf"\b{_OLD}(?:[- ](?:year|yr)s?[- ]old\b|\s?(?:yo|y/o|yrs)\b)"),
                "AGE", 0.9, group="age"),
        Pattern("aged N", re.compile(rf"\b(?:aged|age)\s+{_OLD}\b", re.IGNORECASE), "AGE", 0.9,
                group="age"),
        Pattern("a lone age between commas", re.compile(rf"(?<=, ){_OLD}(?=, )"), "AGE", 0.6,
                group="age"),
    )

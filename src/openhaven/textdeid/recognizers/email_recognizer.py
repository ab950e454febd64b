"""E-mail addresses."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer


class EmailRecognizer(PatternRecognizer):
    name = "email"
    entities = ("EMAIL",)
    patterns = (
        Pattern("e-mail address",
                re.compile(r"\b[\w.+\-]+@[A-Za-z\d\-]+(?:\.[A-Za-z\d\-]+)+\b"), "EMAIL", 1.0),
    )

"""Web addresses (http, https, www.)."""

from __future__ import annotations

import re

from openhaven.textdeid.pattern_recognizer import Pattern, PatternRecognizer


class UrlRecognizer(PatternRecognizer):
    name = "url"
    entities = ("URL",)
    patterns = (
        Pattern("web address",
                re.compile(r"\b(?:https?://|www\.)[^\s<>\"')]+[^\s<>\"').,;:]", re.IGNORECASE),
                "URL", 0.95),
    )

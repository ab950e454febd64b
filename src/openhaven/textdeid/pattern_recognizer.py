"""A recognizer made of regular expressions, each with its reason, score and optional check.

Context words raise a pattern's score when one of them appears shortly before the match
(Presidio's idea of context enhancement); a check that fails drops the match, or keeps it at
a lower score when the context makes it likely anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.registry import Recognizer

#: how many characters before a match are searched for context words
CONTEXT_WINDOW = 30


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    entity: str
    score: float
    #: words that make the match likelier when they come shortly before it
    context: tuple[str, ...] = ()
    #: score with context present (defaults to the score itself)
    context_score: float | None = None
    #: only report the match when a context word is present
    needs_context: bool = False
    #: which regex group is the identifier (0: the whole match)
    group: int | str = 0


class PatternRecognizer(Recognizer):
    patterns: Sequence[Pattern] = ()
    #: a check on the matched text; None means the pattern alone decides
    validate: Callable[[str], bool] | None = None
    #: score when ``validate`` fails but a context word is present (None: drop the match)
    invalid_with_context_score: float | None = None

    def find(self, text: str, patient: PatientIdentifiers | None) -> Iterator[Finding]:
        for pattern in self.patterns:
            for match in pattern.regex.finditer(text):
                start, end = match.span(pattern.group)
                if start == end:
                    continue
                context = _context_word(text, start, pattern.context)
                if pattern.needs_context and context is None:
                    continue
                score = pattern.score
                reason = f"pattern: {pattern.name}"
                if context is not None:
                    score = pattern.context_score or score
                    reason += f"; context: '{context}' before it"
                validated = False
                if self.validate is not None:
                    validated = self.validate(text[start:end])
                    if not validated:
                        if context is None or self.invalid_with_context_score is None:
                            continue
                        score = self.invalid_with_context_score
                        reason += "; check failed"
                    else:
                        reason += "; check passed"
                yield Finding(start, end, pattern.entity, self.name, reason, score, validated)


def _context_word(text: str, start: int, words: tuple[str, ...]) -> str | None:
    if not words:
        return None
    window = text[max(0, start - CONTEXT_WINDOW):start].lower()
    for word in words:
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", window):
            return word
    return None

"""Transformation: replace each span with a typed placeholder, or shift dates.

``[NAME]``, ``[NHS_NUMBER]``, ``[DATE]``... replace what was found. With ``shift_days``,
dates are moved by that many days and written back in their own layout instead, so a
timeline in text lines up with the extract's shifted date columns (the same per-patient
offset the ``date_shift`` operator uses). Dates of birth are always replaced, never shifted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openhaven.textdeid.date_formats import find_dates
from openhaven.textdeid.findings import Finding


def placeholder(entity: str) -> str:
    return f"[{entity}]"


def replace_spans(text: str, spans: Sequence[Finding], *, shift_days: int | None = None) -> str:
    """``text`` with every span replaced; ``spans`` must not overlap (see analyzer)."""
    out: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor:
            raise ValueError("spans overlap")
        out.append(text[cursor:span.start])
        original = text[span.start:span.end]
        if span.entity == "DATE" and shift_days is not None:
            out.append(_shifted(original, shift_days))
        else:
            out.append(placeholder(span.entity))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def _shifted(original: str, days: int) -> str:
    """The date moved by ``days`` in the layout it was written in; ``[DATE]`` when the whole
    span is not one date the reader understands."""
    for found in find_dates(original):
        if found.start == 0 and found.end == len(original):
            if not found.complete:
                return placeholder("DATE")  # a month alone cannot be shifted by days
            try:
                return found.write(found.value + dt.timedelta(days=days))
            except OverflowError:
                return placeholder("DATE")
    return placeholder("DATE")

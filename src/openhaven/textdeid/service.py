"""The de-identifier's entry points: one text, or many with their patients (a column)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openhaven.textdeid.analyzer import DEFAULT_THRESHOLD, analyse_text
from openhaven.textdeid.anonymizer import replace_spans
from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers


@dataclass(frozen=True)
class Deidentified:
    text: str
    #: the spans replaced, each with why it was found
    findings: list[Finding]


def analyse(text: str, patient: PatientIdentifiers | None = None, *,
            threshold: float = DEFAULT_THRESHOLD) -> list[Finding]:
    """Every identifier found in ``text`` (overlaps settled), with the reasons."""
    return analyse_text(text, patient, threshold=threshold).spans


def deidentify(text: str, patient: PatientIdentifiers | None = None, *,
               shift_days: int | None = None,
               threshold: float = DEFAULT_THRESHOLD) -> Deidentified:
    """``text`` with its identifiers replaced by placeholders (dates shifted if asked)."""
    spans = analyse(text, patient, threshold=threshold)
    return Deidentified(replace_spans(text, spans, shift_days=shift_days), spans)


def deidentify_many(
    texts: Sequence[str | None],
    patients: Sequence[PatientIdentifiers | None] | None = None,
    shifts: Sequence[int | None] | None = None,
) -> list[str | None]:
    """A column of texts, each with its own patient and date offset; None stays None."""
    out: list[str | None] = []
    for index, text in enumerate(texts):
        if text is None:
            out.append(None)
            continue
        patient = patients[index] if patients is not None else None
        shift = shifts[index] if shifts is not None else None
        out.append(deidentify(text, patient, shift_days=shift).text)
    return out

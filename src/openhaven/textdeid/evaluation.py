"""Measuring a de-identifier on notes whose identifiers are known.

For each note the truth is what was written into it: the patient's own identifiers (from
their record, in the layouts notes use) and the other identifiers the note's wording puts
in known places (a clinician after "Dr", a relative after their relation, the visit's dates,
an age over 89). Truth is found by simple, separate patterns, not by the de-identifier's own
recognizers. An identifier is *caught* when every letter and digit of it lies inside a
replaced span. Precision is the share of replaced spans that touch a true identifier;
clinical survival is the share of condition and medicine terms still present afterwards.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from openhaven.textdeid.patient import PatientIdentifiers

#: categories whose recall must be complete
DIRECT = ("nhs_number", "patient_name", "postcode", "phone", "date_of_birth")
_LAYOUTS = ("%d/%m/%Y", "%-d %B %Y", "%d.%m.%y", "%Y-%m-%d")
_DATES = re.compile(
    r"\b\d{2}/\d{2}/\d{4}\b|\b\d{1,2} (?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December) \d{4}\b|\b\d{2}\.\d{2}\.\d{2}\b|\b\d{4}-\d{2}-\d{2}\b"
)
_CLINICIAN = re.compile(r"\bDr ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_RELATIVE = re.compile(r"\b(?:wife|husband|partner|daughter|son|mother|father) ([A-Z][a-z]+)")
_OLD_AGE = re.compile(r"(?<=, )(9\d|1[01]\d)(?=, NHS)|\b(9\d|1[01]\d)(?=-year-old)")


@dataclass(frozen=True)
class Truth:
    start: int
    end: int
    category: str


def truth_for(text: str, patient: PatientIdentifiers) -> list[Truth]:
    found: list[Truth] = []

    def every(value: str | None, category: str, *, ignore_case: bool = False) -> None:
        if not value:
            return
        flags = re.IGNORECASE if ignore_case else 0
        for match in re.finditer(r"(?<![\w])" + re.escape(value) + r"(?![\w])", text, flags):
            found.append(Truth(match.start(), match.end(), category))

    for part in (patient.given_name or "").split():
        every(part, "patient_name")
    every(patient.family_name, "patient_name", ignore_case=True)
    if patient.nhs_number:
        n = patient.nhs_number
        for layout in (n, f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}"):
            every(layout, "nhs_number")
    if patient.date_of_birth is not None:
        for layout in _LAYOUTS:
            every(patient.date_of_birth.strftime(layout), "date_of_birth")
    every(patient.postcode, "postcode")
    every(patient.phone, "phone")
    every(patient.address_line, "address")
    patient_spans = {(t.start, t.end) for t in found}
    for match in _DATES.finditer(text):
        if not any(s <= match.start() < e for s, e in patient_spans):
            found.append(Truth(match.start(), match.end(), "other_date"))
    for pattern, category in ((_CLINICIAN, "clinician_name"), (_RELATIVE, "relative_name")):
        for match in pattern.finditer(text):
            found.append(Truth(match.start(1), match.end(1), category))
    for match in _OLD_AGE.finditer(text):
        group = 1 if match.group(1) else 2
        found.append(Truth(match.start(group), match.end(group), "age_over_89"))
    return found


@dataclass
class Report:
    occurrences: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    spans: int = 0
    spans_on_truth: int = 0
    clinical_terms: int = 0
    clinical_kept: int = 0
    notes: int = 0

    def recall(self, category: str) -> float:
        total = self.occurrences[category]
        return self.caught[category] / total if total else 1.0

    @property
    def precision(self) -> float:
        return self.spans_on_truth / self.spans if self.spans else 1.0

    @property
    def clinical_survival(self) -> float:
        return self.clinical_kept / self.clinical_terms if self.clinical_terms else 1.0

    def overall_recall(self, categories: Iterable[str] | None = None) -> float:
        chosen = list(categories) if categories is not None else list(self.occurrences)
        total = sum(self.occurrences[c] for c in chosen)
        return sum(self.caught[c] for c in chosen) / total if total else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "notes": self.notes,
            "recall": {c: round(self.recall(c), 4) for c in sorted(self.occurrences)},
            "occurrences": dict(sorted(self.occurrences.items())),
            "precision": round(self.precision, 4),
            "clinical_survival": round(self.clinical_survival, 4),
        }


def score_note(report: Report, text: str, truth: Sequence[Truth],
               spans: Sequence[tuple[int, int]], output: str,
               clinical_terms: Sequence[str]) -> list[Truth]:
    """Add one note to ``report``; returns the identifiers it missed."""
    report.notes += 1
    covered = bytearray(len(text))
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    missed = []
    for item in truth:
        report.occurrences[item.category] += 1
        if all(covered[i] or not text[i].isalnum() for i in range(item.start, item.end)):
            report.caught[item.category] += 1
        else:
            missed.append(item)
    for start, end in spans:
        report.spans += 1
        if any(t.start < end and start < t.end for t in truth):
            report.spans_on_truth += 1
    for term in clinical_terms:
        if term in text:
            report.clinical_terms += 1
            report.clinical_kept += term in output
    return missed

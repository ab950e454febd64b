"""Detection: run every registered recognizer and settle overlapping findings.

Findings below the threshold are left out. Overlapping findings are merged into one span
covering them all (redacting too much is safer than leaving half a name), labelled by the
most certain of them (highest score, then validated, then record-aware, then longest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.registry import Recognizer, registered_recognizers

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Analysis:
    #: every finding at or above the threshold, as the recognizers reported them
    findings: list[Finding]
    #: the spans to replace: non-overlapping, in text order
    spans: list[Finding]


def analyse_text(
    text: str,
    patient: PatientIdentifiers | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    recognizers: Sequence[Recognizer] | None = None,
) -> Analysis:
    chosen = registered_recognizers() if recognizers is None else recognizers
    findings = [
        finding
        for recognizer in chosen
        for finding in recognizer.find(text, patient)
        if finding.score >= threshold
    ]
    findings.sort(key=lambda f: (f.start, -f.end))
    return Analysis(findings, merge_overlaps(findings))


def _priority(finding: Finding) -> tuple[float, bool, bool, int]:
    return (finding.score, finding.validated, finding.recognizer == "patient_record",
            finding.length)


def merge_overlaps(findings: Sequence[Finding]) -> list[Finding]:
    """One span per group of overlapping findings, labelled by the group's surest finding."""
    merged: list[Finding] = []
    group: list[Finding] = []
    group_end = -1
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if group and finding.start < group_end:
            group.append(finding)
            group_end = max(group_end, finding.end)
            continue
        if group:
            merged.append(_label(group, group_end))
        group, group_end = [finding], finding.end
    if group:
        merged.append(_label(group, group_end))
    return merged


def _label(group: list[Finding], end: int) -> Finding:
    best = max(group, key=_priority)
    start = min(f.start for f in group)
    if (best.start, best.end) == (start, end):
        return best
    return replace(best, start=start, end=end,
                   reason=best.reason + f"; merged with {len(group) - 1} overlapping")

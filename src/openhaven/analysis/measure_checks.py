"""Disclosure checks for measures other than a count of patients.

A mean, sum, median, quantile, event count or rate can disclose as much as a count: every
cell is checked on the *people behind it* with the output package's registered checks, the
same way a third party's check would run — ``threshold`` on the underlying patient count for
every measure, and the (n, k) dominance rule (``nk-rule``) for magnitudes, where one or two
patients' contributions would otherwise make up most of a total. A failing cell's value is
suppressed (None) and the reason recorded; the evidence itself never leaves this module.
"""

from __future__ import annotations

from typing import Any

from openhaven.analysis.runner import AggregateResult, CellEvidence
from openhaven.outputs.check_registry import CellContext, get_check
from openhaven.outputs.crosstab import CellStats
from openhaven.outputs.small_counts import PASS, REVIEW, CheckedTable

#: The dominance rule's parameters: two contributors making up 90 % of a total dominate it.
DOMINANCE = {"n": 2, "k": 0.9}
DOMINANCE_MEASURES = ("sum", "mean", "count_events")


def check_measure_table(result: AggregateResult, threshold: int) -> CheckedTable:
    """Suppress each cell behind fewer than ``threshold`` people, or dominated by a few."""
    threshold_check = get_check("threshold")
    dominance_check = get_check("nk-rule")
    rows = []
    suppressed: list[dict[str, Any]] = []
    for index, (row, evidence) in enumerate(zip(result.rows, result.evidence, strict=True)):
        *groups, _value = row
        cell = _context(result.measure, evidence)
        reasons = []
        if evidence.patients > 0:
            finding = threshold_check.evaluate(cell, {"safe_threshold": threshold})
            if finding.flagged:
                reasons.append(f"threshold: {finding.reason} (people behind the cell)")
        if result.measure in DOMINANCE_MEASURES and evidence.total and evidence.largest:
            finding = dominance_check.evaluate(cell, DOMINANCE)
            if finding.flagged:
                reasons.append(f"nk-rule: {finding.reason}")
        if reasons:
            suppressed.append({"row": index, "group": list(groups), "reasons": reasons})
            rows.append((*groups, None))
        else:
            rows.append(tuple(row))
    verdict = PASS if not suppressed else REVIEW
    checks = {
        "minimum_cell_count": {
            "threshold": threshold,
            "measure": result.measure,
            "result": "pass" if not suppressed else "suppressed",
            "suppressed_cells": suppressed,
            "reason": (
                "every cell stands on enough people and no few contributors dominate"
                if not suppressed
                else f"{len(suppressed)} cell(s) suppressed (small or dominated)"
            ),
        }
    }
    return CheckedTable(result.dimensions, tuple(rows), verdict, checks)


def _context(measure: str, evidence: CellEvidence) -> CellContext:
    stats = CellStats(
        count=evidence.patients,
        values=evidence.patients,
        total=evidence.total,
        largest=evidence.largest,
    )
    return CellContext(agg="sum" if measure != "count_patients" else "count", stats=stats,
                       is_margin=False, row_total=stats, col_total=stats, columns_in_row=1)

"""Run a profile's checks over every cell of a crosstab and give verdicts with reasons.

Each cell gets every check's result ("pass"/"fail"), the list of checks that actually
applied to its statistic, the reasons for anything flagged and its own verdict; the table's
verdict is the worst cell's. Checks a profile does not apply to a statistic report "pass"
and are absent from ``applied``, so a reader can tell "passed" from "not asked".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openhaven.outputs.check_registry import (
    FAIL,
    PASS,
    REVIEW,
    SEVERITY_ORDER,
    CellCheck,
    CellContext,
    get_check,
)
from openhaven.outputs.crosstab import Crosstab
from openhaven.outputs.profiles import CheckSettings, DisclosureProfile

INTERFACE_CHECKS = ("threshold", "p-ratio", "nk-rule", "all-values-are-same")


@dataclass(frozen=True)
class CellResult:
    row: tuple[Any, ...]
    col: tuple[Any, ...]
    position: tuple[int, int]
    agg: str
    value: int | float | None
    checks: dict[str, str]
    applied: tuple[str, ...]
    reasons: dict[str, str]
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": list(self.row),
            "col": list(self.col),
            "position": list(self.position),
            "agg": self.agg,
            "value": self.value,
            "checks": dict(self.checks),
            "applied": list(self.applied),
            "reasons": dict(self.reasons),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class CheckedCrosstab:
    table: Crosstab
    profile: str
    cells: tuple[CellResult, ...]
    verdict: str
    summary: dict[str, int] = field(default_factory=dict)

    def cell(self, row: tuple[Any, ...], col: tuple[Any, ...], agg: str) -> CellResult:
        for result in self.cells:
            if result.row == row and result.col == col and result.agg == agg:
                return result
        raise KeyError("no such cell")

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "profile": self.profile,
            "source": self.table.source,
            "rows": list(self.table.rows),
            "cols": list(self.table.cols),
            "values": self.table.values,
            "aggs": list(self.table.aggs),
            "dropped_missing_keys": self.table.dropped_missing_keys,
            "summary": dict(self.summary),
            "cells": [c.as_dict() for c in self.cells],
        }


def check_crosstab(table: Crosstab, profile: DisclosureProfile) -> CheckedCrosstab:
    """Apply every check of ``profile`` to every cell (margins included) of ``table``."""
    results: list[CellResult] = []
    summary: dict[str, int] = {}
    columns_in_row = len(table.col_keys) - 1
    resolved = [(settings, get_check(settings.name)) for settings in profile.checks]
    for i, row in enumerate(table.row_keys):
        row_total = table.cell(row, table.col_margin)
        for j, col in enumerate(table.col_keys):
            stats = table.cell(row, col)
            for agg in table.aggs:
                context = CellContext(
                    agg=agg, stats=stats, is_margin=table.is_margin(row, col),
                    row_total=row_total, col_total=table.cell(table.row_margin, col),
                    columns_in_row=columns_in_row,
                )
                result = _check_cell(context, resolved, row, col, (i, j))
                for name, outcome in result.checks.items():
                    if outcome == FAIL:
                        summary[name] = summary.get(name, 0) + 1
                results.append(result)
    verdict = max((r.verdict for r in results), key=SEVERITY_ORDER.__getitem__, default=PASS)
    return CheckedCrosstab(table, profile.name, tuple(results), verdict, summary)


def _check_cell(context: CellContext, resolved: list[tuple[CheckSettings, CellCheck]],
                row: tuple[Any, ...],
                col: tuple[Any, ...], position: tuple[int, int]) -> CellResult:
    checks = dict.fromkeys(INTERFACE_CHECKS, PASS)
    applied: list[str] = []
    reasons: dict[str, str] = {}
    verdict = PASS
    for settings, check in resolved:
        if context.agg not in settings.applies_to:
            continue
        finding = check.evaluate(context, settings.parameters)
        applied.append(settings.name)
        checks[settings.name] = FAIL if finding.flagged else PASS
        if finding.flagged:
            reasons[settings.name] = finding.reason
            outcome = FAIL if settings.severity == FAIL else REVIEW
            if SEVERITY_ORDER[outcome] > SEVERITY_ORDER[verdict]:
                verdict = outcome
    value = context.stats.aggregate(context.agg)
    return CellResult(row, col, position, context.agg, value, checks, tuple(applied), reasons,
                      verdict)

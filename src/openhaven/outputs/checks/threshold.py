"""Minimum cell count: a cell describing fewer than ``safe_threshold`` records may single
someone out. ``zeros_pass`` lets an empty cell through (DataSHIELD's 0 < n < 3 rule, or
OpenSAFELY's redaction of 1–7), since a zero describes nobody; zeros as attribute
disclosure are the job of the all-values-are-same check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class ThresholdCheck:
    name: ClassVar[str] = "threshold"
    default_applies_to: ClassVar[tuple[str, ...]] = ("count", "mean", "sum", "median", "min",
                                                     "max")
    default_severity: ClassVar[str] = "fail"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        threshold = int(settings.get("safe_threshold", 10))
        count = cell.stats.count
        if count == 0 and settings.get("zeros_pass", False):
            return Finding(False, "empty cell (zeros allowed by the profile)")
        if count < threshold:
            return Finding(True, f"fewer than {threshold} records")
        return Finding(False, f"at least {threshold} records")


register_check(ThresholdCheck())

"""Negative contributions: dominance rules are not defined for them, so a person decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class NegativeValuesCheck:
    name: ClassVar[str] = "negative-values"
    default_applies_to: ClassVar[tuple[str, ...]] = ("mean", "sum")
    default_severity: ClassVar[str] = "review"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        if cell.stats.negatives:
            return Finding(True, "negative contributions: dominance cannot be assessed")
        return Finding(False, "no negative contributions")


register_check(NegativeValuesCheck())

"""The (n, k) dominance rule for magnitude tables: if the ``n`` largest contributions make
up at least ``k`` of the cell total, those few contributors dominate the published figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class NKRuleCheck:
    name: ClassVar[str] = "nk-rule"
    default_applies_to: ClassVar[tuple[str, ...]] = ("mean", "sum")
    default_severity: ClassVar[str] = "fail"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        n = int(settings.get("n", 2))
        k = float(settings.get("k", 0.9))
        stats = cell.stats
        if stats.values == 0 or not stats.total:
            return Finding(False, "no contributions or a zero total")
        if stats.negatives:
            return Finding(False, "not defined with negative values (see negative-values)")
        if len(stats.largest) < min(n, stats.values):
            raise ValueError(f"nk-rule needs the top {n} contributions per cell")
        share = sum(stats.largest[:n]) / stats.total
        if share >= k:
            return Finding(True, f"the {n} largest contributions make up at least {k:.0%}")
        return Finding(False, f"the {n} largest contributions make up less than {k:.0%}")


register_check(NKRuleCheck())

"""The p% rule for magnitude tables: if the contributions other than the two largest add up
to less than ``p`` of the largest, the second-largest contributor can estimate the largest
one too closely. Needs the top two contributions per cell (computed in the engine)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class PRatioCheck:
    name: ClassVar[str] = "p-ratio"
    default_applies_to: ClassVar[tuple[str, ...]] = ("mean", "sum")
    default_severity: ClassVar[str] = "fail"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        p = float(settings.get("p", 0.10))
        stats = cell.stats
        if stats.values == 0 or stats.total is None or not stats.largest:
            return Finding(False, "no contributions")
        if stats.negatives:
            return Finding(False, "not defined with negative values (see negative-values)")
        top1 = stats.largest[0]
        if top1 <= 0:
            return Finding(False, "largest contribution is zero")
        rest = stats.total - sum(stats.largest[:2])
        if rest / top1 < p:
            return Finding(True, f"the other contributions are under {p:.0%} of the largest")
        return Finding(False, f"the other contributions are at least {p:.0%} of the largest")


register_check(PRatioCheck())

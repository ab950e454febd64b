"""Attribute disclosure: a whole group shares one value, so membership alone reveals it.

Three forms, each switchable in a profile: ``zeros`` (an empty count cell says nobody in the
row has the column's attribute), ``full_cells`` (a count cell holding its whole row total
says everybody in the row has it) and ``same_values`` (a magnitude cell whose contributions
are all equal reveals each contributor's value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class AllValuesSameCheck:
    name: ClassVar[str] = "all-values-are-same"
    default_applies_to: ClassVar[tuple[str, ...]] = ("count", "mean", "sum", "median", "min",
                                                     "max")
    default_severity: ClassVar[str] = "fail"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        stats = cell.stats
        if settings.get("zeros", True) and stats.count == 0:
            return Finding(True, "empty cell: nobody in the group has this attribute")
        if cell.agg == "count":
            full = (settings.get("full_cells", True) and not cell.is_margin
                    and cell.columns_in_row > 1 and 0 < stats.count == cell.row_total.count)
            if full:
                return Finding(True, "the cell holds its whole row: everyone shares the attribute")
            return Finding(False, "neither empty nor the whole row")
        same = (settings.get("same_values", True) and stats.values > 1
                and stats.minimum is not None and stats.minimum == stats.maximum)
        if same:
            return Finding(True, "every contribution has the same value")
        return Finding(False, "contributions differ")


register_check(AllValuesSameCheck())

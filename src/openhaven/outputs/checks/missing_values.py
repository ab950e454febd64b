"""Missing values in the values column: the statistic silently leaves them out, which a
person should confirm is intended (and which can itself be informative)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class MissingValuesCheck:
    name: ClassVar[str] = "missing"
    default_applies_to: ClassVar[tuple[str, ...]] = ("mean", "sum", "median", "std", "min",
                                                     "max")
    default_severity: ClassVar[str] = "review"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        if cell.stats.missing:
            return Finding(True, "some records have no value and were left out")
        return Finding(False, "every record has a value")


register_check(MissingValuesCheck())

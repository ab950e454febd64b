"""Degrees of freedom for spread statistics: a standard deviation over fewer than
``safe_dof_threshold`` + 1 records is close to a list of the values themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openhaven.outputs.check_registry import CellContext, Finding, register_check


class DegreesOfFreedomCheck:
    name: ClassVar[str] = "degrees-of-freedom"
    default_applies_to: ClassVar[tuple[str, ...]] = ("std",)
    default_severity: ClassVar[str] = "fail"

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding:
        threshold = int(settings.get("safe_dof_threshold", 10))
        if cell.stats.count - 1 < threshold:
            return Finding(True, f"fewer than {threshold} degrees of freedom")
        return Finding(False, f"at least {threshold} degrees of freedom")


register_check(DegreesOfFreedomCheck())

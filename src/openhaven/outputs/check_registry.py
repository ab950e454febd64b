"""The registry of per-cell disclosure checks.

Built-in checks register here exactly as a third party's would: a class with a ``name``,
the aggregates it applies to by default, and ``evaluate``. A disclosure profile (data)
switches checks on, sets their parameters and may narrow or widen what they apply to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from openhaven.outputs.crosstab import CellStats

PASS, REVIEW, FAIL = "pass", "review", "fail"
SEVERITY_ORDER = {PASS: 0, REVIEW: 1, FAIL: 2}


@dataclass(frozen=True)
class CellContext:
    """One cell as a check sees it: its evidence, its aggregate and its neighbours' totals."""

    agg: str
    stats: CellStats
    is_margin: bool
    row_total: CellStats
    col_total: CellStats
    columns_in_row: int


@dataclass(frozen=True)
class Finding:
    """A check's answer for one cell: flagged or not, and why (never a patient value)."""

    flagged: bool
    reason: str


class CellCheck(Protocol):
    name: ClassVar[str]
    default_applies_to: ClassVar[tuple[str, ...]]
    default_severity: ClassVar[str]

    def evaluate(self, cell: CellContext, settings: Mapping[str, Any]) -> Finding: ...


_REGISTRY: dict[str, CellCheck] = {}


def register_check(check: CellCheck) -> CellCheck:
    """Add ``check`` to the registry; a second check with the same name is refused."""
    if check.name in _REGISTRY and type(_REGISTRY[check.name]) is not type(check):
        raise ValueError(f"A disclosure check named {check.name!r} is already registered")
    _REGISTRY[check.name] = check
    return check


def get_check(name: str) -> CellCheck:
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"No disclosure check named {name!r}") from None


def registered_checks() -> dict[str, CellCheck]:
    _load_builtins()
    return dict(_REGISTRY)


def _load_builtins() -> None:
    import openhaven.outputs.checks  # noqa: F401  (registers the built-in checks)

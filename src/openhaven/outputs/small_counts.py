"""Primary suppression of small counts.

A count of people below the haven's threshold (default 10) could single someone out, so it
is replaced by nothing and the position recorded. This is the first of the disclosure
checks; secondary suppression, dominance, rounding and differencing arrive with the output
checking work and register beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openhaven.analysis.runner import AggregateResult

PASS, REVIEW, FAIL = "pass", "review", "fail"


@dataclass(frozen=True)
class CheckedTable:
    """A table safe to show: suppressed cells hold None, and the checks say why."""

    dimensions: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    verdict: str
    checks: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": [*self.dimensions, "value"],
            "rows": [list(r) for r in self.rows],
            "verdict": self.verdict,
            "checks": self.checks,
        }


def suppress_small_counts(result: AggregateResult, threshold: int) -> CheckedTable:
    """Suppress every count below ``threshold``.

    Verdict: ``pass`` when no cell needed suppressing. When some did, the table is
    ``review``: a person must confirm that the suppressed cells cannot be recovered from
    other released figures until automatic secondary suppression takes that job.
    """
    rows = []
    suppressed = []
    for index, row in enumerate(result.rows):
        *groups, value = row
        if value is not None and 0 < int(value) < threshold:
            suppressed.append({"row": index, "group": list(groups)})
            rows.append((*groups, None))
        else:
            rows.append(tuple(row))
    verdict = PASS if not suppressed else REVIEW
    checks = {
        "minimum_cell_count": {
            "threshold": threshold,
            "result": "pass" if not suppressed else "suppressed",
            "suppressed_cells": suppressed,
            "reason": (
                "every count is at or above the threshold"
                if not suppressed
                else f"{len(suppressed)} count(s) below {threshold} were suppressed"
            ),
        }
    }
    return CheckedTable(result.dimensions, tuple(rows), verdict, checks)

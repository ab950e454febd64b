"""Re-identification risk of a table, under the prosecutor model, with a plain-language summary.

The prosecutor knows their target is in the table and knows the target's quasi-identifiers; the
chance of picking the right record is one over the size of the target's equivalence class. The
report gives the distribution of class sizes, the highest and the average record risk, the share
of records whose risk is above a threshold, and the sample uniques (records alone in their class).

Suppressed records (every quasi-identifier replaced by ``*``) are counted apart and not rated:
they carry no quasi-identifier to match on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

#: upper bounds (inclusive) of the class-size buckets the report counts records in
SIZE_BUCKETS = ((1, "1"), (2, "2"), (4, "3-4"), (9, "5-9"), (19, "10-19"), (49, "20-49"),
                (99, "50-99"))
SUPPRESSED_MARK = "*"


@dataclass(frozen=True)
class RiskReport:
    records: int
    suppressed: int
    classes: int
    smallest_class: int
    records_by_class_size: dict[str, int]
    highest_risk: float
    average_risk: float
    threshold: float
    records_above_threshold: int
    share_above_threshold: float
    sample_uniques: int
    sample_unique_share: float
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def risk_report(class_sizes: Sequence[int] | IntArray, *, suppressed: int = 0,
                threshold: float = 0.2) -> RiskReport:
    """The risk report of a table whose (unsuppressed) equivalence classes have these sizes."""
    sizes = np.asarray(class_sizes, dtype=np.int64)
    sizes = sizes[sizes > 0]
    rated = int(sizes.sum())
    buckets: dict[str, int] = {label: 0 for _, label in SIZE_BUCKETS}
    buckets["100+"] = 0
    for size in sizes.tolist():
        label = next((label for bound, label in SIZE_BUCKETS if size <= bound), "100+")
        buckets[label] += size
    if rated:
        highest = float(1.0 / sizes.min())
        average = float(len(sizes) / rated)  # mean over records of 1/size
        above = int(sizes[1.0 / sizes > threshold].sum())
        uniques = int(np.count_nonzero(sizes == 1))
    else:
        highest = average = 0.0
        above = uniques = 0
    report = RiskReport(
        records=rated + suppressed,
        suppressed=suppressed,
        classes=len(sizes),
        smallest_class=int(sizes.min()) if rated else 0,
        records_by_class_size=buckets,
        highest_risk=highest,
        average_risk=average,
        threshold=threshold,
        records_above_threshold=above,
        share_above_threshold=above / rated if rated else 0.0,
        sample_uniques=uniques,
        sample_unique_share=uniques / rated if rated else 0.0,
        summary="",
    )
    return _with_summary(report)


def risk_of_rows(rows: Sequence[Sequence[str]], *, threshold: float = 0.2) -> RiskReport:
    """The risk report of a table given as its quasi-identifier values, one tuple per record.

    A record whose every quasi-identifier is ``*`` counts as suppressed. This groups the values
    themselves, independently of the search's integer coding, so it also serves as a check.
    """
    suppressed = 0
    counts: Counter[tuple[str, ...]] = Counter()
    for row in rows:
        values = tuple(row)
        if values and all(value == SUPPRESSED_MARK for value in values):
            suppressed += 1
        else:
            counts[values] += 1
    return risk_report(list(counts.values()), suppressed=suppressed, threshold=threshold)


def _with_summary(report: RiskReport) -> RiskReport:
    if report.classes == 0:
        text = (f"All {report.records:,} records were suppressed; nothing in the table can be "
                "matched on its quasi-identifiers.")
        return replace(report, summary=text)
    parts = [
        f"{_records(report.records - report.suppressed)} fall into {report.classes:,} "
        f"group{'s' if report.classes != 1 else ''} that share the same quasi-identifiers.",
        f"The smallest group has {_records(report.smallest_class)}, so someone who knows a "
        f"person is in the table can pick out their record with a chance of at most "
        f"{_percent(report.highest_risk)} (on average {_percent(report.average_risk)}).",
    ]
    if report.sample_uniques:
        verb = "is" if report.sample_uniques == 1 else "are"
        parts.append(f"{_records(report.sample_uniques)} "
                     f"({_percent(report.sample_unique_share)}) {verb} unique on their "
                     "quasi-identifiers.")
    else:
        parts.append("No record is unique on its quasi-identifiers.")
    parts.append(f"{_percent(report.share_above_threshold)} of records have a risk above the "
                 f"{_percent(report.threshold)} threshold.")
    if report.suppressed:
        verb = "was" if report.suppressed == 1 else "were"
        parts.append(f"{_records(report.suppressed)} {verb} suppressed (all quasi-identifiers "
                     "removed) and not rated.")
    return replace(report, summary=" ".join(parts))


def _records(count: int) -> str:
    return f"{count:,} record{'s' if count != 1 else ''}"


def _percent(share: float) -> str:
    value = share * 100
    if value == 0 or value >= 10:
        return f"{value:.0f}%"
    if value >= 0.1:
        return f"{value:.1f}%"
    return f"{value:.2g}%"

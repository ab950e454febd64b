"""The privacy-model check of an extract, and its re-identification risk report.

Runs on the transformed patients table before anything is written. Equivalence classes are
formed in the engine (one GROUP BY over the declared quasi-identifiers); the judgement is the
de-identification package's own privacy models (k-anonymity, distinct l-diversity,
t-closeness) over the class sizes and sensitive-value histograms, so the pipeline and the
standalone anonymiser cannot disagree about what "k-anonymous" means.

The check fails closed: when classes fail and the specification allows no suppression, or
suppressing them would exceed the approved share, ``SafeguardRefused`` is raised and the
caller writes nothing. Record suppression removes the failing patients (and so all their
rows); cell suppression blanks their quasi-identifiers, which the risk report then counts as
suppressed and does not rate. After suppression the whole check runs again and must pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from openhaven.core.errors import Location, SafeguardRefused
from openhaven.engine import DataSession
from openhaven.provisioning.deid.privacy_models import (
    ClassView,
    DistinctLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
    PrivacyModel,
    all_classes_ok,
)
from openhaven.provisioning.deid.risk import RiskReport, risk_report
from openhaven.provisioning.specification import PrivacyRequirement
from openhaven.provisioning.transformations import PSEUDONYM_COLUMN


@dataclass
class PrivacyOutcome:
    """What the check found and did: counts and model descriptions, never who."""

    models: list[dict[str, Any]]
    quasi_identifiers: list[str]
    classes_failing_before: int
    suppression: str
    suppressed_patients: int
    risk: RiskReport
    satisfied: bool = True
    #: pseudonyms removed by record suppression (the caller drops all their rows)
    removed: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": self.models,
            "quasi_identifiers": self.quasi_identifiers,
            "classes_failing_before_suppression": self.classes_failing_before,
            "suppression": self.suppression,
            "suppressed_patients": self.suppressed_patients,
            "satisfied": self.satisfied,
        }


def models_for(requirement: PrivacyRequirement) -> list[PrivacyModel]:
    models: list[PrivacyModel] = [KAnonymity(requirement.k)]
    if requirement.l is not None:
        models.append(DistinctLDiversity(requirement.l))
    if requirement.t is not None:
        models.append(EqualDistanceTCloseness(requirement.t))
    return models


def enforce_privacy(
    session: DataSession, table: str, requirement: PrivacyRequirement
) -> PrivacyOutcome:
    """Check ``table`` (a transformed patients table) and suppress as approved, or refuse."""
    models = models_for(requirement)
    quasi = list(requirement.quasi_identifiers)
    failing, total = _failing_classes(session, table, quasi, requirement.sensitive, models)
    failing_before = len(failing)
    removed: list[str] = []
    suppressed = 0
    if failing:
        outliers = _patients_in(session, table, quasi, failing)
        allowed = int(requirement.suppression_limit * total)
        if requirement.suppression == "none" or len(outliers) > allowed:
            raise SafeguardRefused(
                f"The extract does not meet its approved privacy model: {failing_before} "
                f"equivalence classes fail ({len(outliers)} patients) and the specification "
                f"allows suppressing at most {allowed}; no extract was written",
                Location(field="privacy"),
            )
        suppressed = len(outliers)
        _suppress(session, table, quasi, outliers, requirement.suppression)
        if requirement.suppression == "record":
            removed = outliers
        still_failing, _ = _failing_classes(
            session, table, quasi, requirement.sensitive, models
        )
        if still_failing:
            raise SafeguardRefused(
                "The extract still fails its approved privacy model after suppression; "
                "no extract was written",
                Location(field="privacy"),
            )
    risk = measure_risk(session, table, quasi, threshold=requirement.risk_threshold)
    return PrivacyOutcome(
        models=[m.describe() for m in models],
        quasi_identifiers=quasi,
        classes_failing_before=failing_before,
        suppression=requirement.suppression,
        suppressed_patients=suppressed,
        risk=risk,
        removed=removed,
    )


def measure_risk(
    session: DataSession, table: str, quasi: list[str], *, threshold: float = 0.2
) -> RiskReport:
    """The prosecutor-risk report of ``table`` over ``quasi``; rows with every one blank are
    counted as suppressed."""
    if not quasi:
        count = int(session.scalar(f"SELECT count(*) FROM {table}"))
        return risk_report([count] if count else [], threshold=threshold)
    blank = " AND ".join(f"{q} IS NULL" for q in quasi)
    suppressed = int(session.scalar(f"SELECT count(*) FROM {table} WHERE {blank}"))
    sizes = session.query(
        f"SELECT count(*) AS n FROM {table} WHERE NOT ({blank}) GROUP BY {', '.join(quasi)}"
    ).column("n").to_numpy()
    return risk_report(np.asarray(sizes, dtype=np.int64), suppressed=suppressed,
                       threshold=threshold)


def _failing_classes(
    session: DataSession, table: str, quasi: list[str], sensitive: str | None,
    models: list[PrivacyModel],
) -> tuple[pa.Table, int]:
    """The quasi-identifier values of every failing class, and the number of rated records."""
    columns = ", ".join(quasi)
    blank = " AND ".join(f"{q} IS NULL" for q in quasi)
    session.execute(
        f"CREATE OR REPLACE TEMP TABLE _classes AS SELECT {columns}, count(*) AS _n, "
        f"CAST(row_number() OVER (ORDER BY {columns}) - 1 AS BIGINT) AS _class "
        f"FROM {table} WHERE NOT ({blank}) GROUP BY {columns}"
    )
    sizes = np.asarray(
        session.query("SELECT _n FROM _classes ORDER BY _class").column("_n").to_numpy(),
        dtype=np.int64,
    )
    histograms = overall = None
    if sensitive is not None:
        match = " AND ".join(f"c.{q} IS NOT DISTINCT FROM t.{q}" for q in quasi)
        cells = session.query(
            f"SELECT c._class, coalesce(CAST(t.{sensitive} AS VARCHAR), '') AS value, "
            f"count(*) AS n FROM {table} t JOIN _classes c ON {match} GROUP BY ALL"
        )
        values = cells.column("value").to_pylist()
        labels = sorted(set(values))
        position = {label: index for index, label in enumerate(labels)}
        histograms = np.zeros((len(sizes), max(len(labels), 1)), dtype=np.int64)
        codes = np.fromiter((position[v] for v in values), dtype=np.int64, count=len(values))
        histograms[cells.column("_class").to_numpy(), codes] = cells.column("n").to_numpy()
        totals = histograms.sum(axis=0).astype(np.float64)
        overall = totals / max(totals.sum(), 1.0)
    ok = all_classes_ok(models, ClassView(sizes, histograms, overall))
    failing = np.flatnonzero(~ok).astype(np.int64)
    session.register("_failing", pa.table({"_class": pa.array(failing, pa.int64())}))
    rows = session.query(
        f"SELECT {columns} FROM _classes WHERE _class IN (SELECT _class FROM _failing)"
    )
    session.unregister("_failing")
    return rows, int(sizes.sum())


def _patients_in(
    session: DataSession, table: str, quasi: list[str], failing: pa.Table
) -> list[str]:
    session.register("_failing_values", failing)
    match = " AND ".join(f"f.{q} IS NOT DISTINCT FROM t.{q}" for q in quasi)
    pseudonyms = session.query(
        f"SELECT t.{PSEUDONYM_COLUMN} FROM {table} t JOIN _failing_values f ON {match} "
        f"ORDER BY 1"
    ).column(PSEUDONYM_COLUMN).to_pylist()
    session.unregister("_failing_values")
    return [str(p) for p in pseudonyms]


def _suppress(
    session: DataSession, table: str, quasi: list[str], outliers: list[str], kind: str
) -> None:
    session.register("_outliers", pa.table({PSEUDONYM_COLUMN: pa.array(outliers, pa.string())}))
    where = f"{PSEUDONYM_COLUMN} IN (SELECT {PSEUDONYM_COLUMN} FROM _outliers)"
    if kind == "record":
        session.execute(f"DELETE FROM {table} WHERE {where}")
    else:
        blanks = ", ".join(f"{q} = NULL" for q in quasi)
        session.execute(f"UPDATE {table} SET {blanks} WHERE {where}")
    session.unregister("_outliers")

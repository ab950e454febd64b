"""Helpers for researchers: build, suppress and round tables so outputs pass first time.

Each helper returns the table together with a machine-readable record of the controls it
applied (``ControlledTable.controls``); output checkers verify that record rather than
infer what was done.

    table = crosstab("cohort.parquet", rows=["region"], cols=["sex"], profile="haven")
    safe = suppress(table)            # primary + secondary suppression, verified by attack
    released = round_table(safe, "base", 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openhaven.outputs.controls import ControlledTable, round_controlled, suppress_checked
from openhaven.outputs.crosstab import build_crosstab
from openhaven.outputs.profiles import DisclosureProfile, load_profile
from openhaven.outputs.table_checks import CheckedCrosstab, check_crosstab


def crosstab(
    data: str | Path,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    values: str | None = None,
    aggs: Sequence[str] = ("count",),
    profile: str | Path | DisclosureProfile = "haven",
    where: str | None = None,
) -> CheckedCrosstab:
    """Cross-tabulate a Parquet/CSV file and check every cell under ``profile``.

    ``where`` (an SQL condition) restricts the table to a subgroup; declare the same
    condition when releasing it so differencing checks can relate it to other tables.
    """
    chosen = profile if isinstance(profile, DisclosureProfile) else load_profile(profile)
    top_n = 2
    nk = chosen.settings_for("nk-rule")
    if nk is not None:
        top_n = max(2, int(nk.parameters.get("n", 2)))
    table = build_crosstab(Path(data), rows, cols, values=values, aggs=aggs, top_n=top_n,
                          where=where)
    return check_crosstab(table, chosen)


def suppress(
    table: CheckedCrosstab, profile: str | Path | DisclosureProfile | None = None
) -> ControlledTable:
    """Hide failing cells and enough complementary cells that none can be recovered."""
    chosen = _profile(table, profile)
    return suppress_checked(table, chosen)


def round_table(
    table: CheckedCrosstab | ControlledTable, method: str = "base", base: int = 5
) -> ControlledTable:
    """Round counts (cells and totals alike) to ``base`` or by midpoint-6."""
    if isinstance(table, CheckedCrosstab):
        table = suppress_checked(table, _no_suppression())
    return round_controlled(table, method, base)


def _profile(table: CheckedCrosstab,
             profile: str | Path | DisclosureProfile | None) -> DisclosureProfile:
    if isinstance(profile, DisclosureProfile):
        return profile
    return load_profile(profile if profile is not None else table.profile)


def _no_suppression() -> DisclosureProfile:
    return DisclosureProfile(name="none", description="no checks", checks=())

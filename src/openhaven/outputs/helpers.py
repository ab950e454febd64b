"""Helpers for researchers: build, suppress and round tables so outputs pass first time.

Each helper returns the table together with a machine-readable record of the controls it
applied (``ControlledTable.controls``); output checkers verify that record rather than
infer what was done.

    table = crosstab("cohort.parquet", rows=["region"], cols=["sex"], profile="haven")
    safe = suppress(table)            # primary + secondary suppression, verified by attack
    released = round_table(safe, "base", 5)
    save_table(released, "output/by-region.json")   # what the airlock reads and verifies

``save_table`` writes the table with its record of controls and its definition (subgroup
condition, records left out) so the airlock can verify the controls and relate the table to
the project's other releases (differencing). ``cell_key_table`` perturbs counts by the cell
key method under the haven's own secret; it runs in the haven's services, which hold the
master key — never in a researcher's job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.outputs.cell_key_secret import cell_key_secret
from openhaven.outputs.comparable_tables import DEFAULT_UNIVERSE, table_record
from openhaven.outputs.controls import ControlledTable, round_controlled, suppress_checked
from openhaven.outputs.crosstab import build_crosstab
from openhaven.outputs.perturbation import cell_key_counts
from openhaven.outputs.perturbation_cell_key import PerturbationTable
from openhaven.outputs.profiles import DisclosureProfile, load_profile
from openhaven.outputs.statistics_checks import statistics_record
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


def save_table(table: ControlledTable, path: str | Path, *,
               universe: str = DEFAULT_UNIVERSE) -> Path:
    """Write ``table`` as the JSON document the airlock reads (``openhaven-table/1``).

    ``universe`` names what the table counts (default ``records``); tables are compared for
    differencing only with tables of the same universe.
    """
    target = Path(path)
    target.write_text(json.dumps(table_record(table, universe=universe), indent=1),
                      encoding="utf-8")
    return target


def save_statistics(path: str | Path, *, models: Sequence[dict[str, Any]] = (),
                    statistics: Sequence[dict[str, Any]] = ()) -> Path:
    """Write fitted models and summary statistics as the airlock reads them.

    ``models``: ``{"model": label, "n_observations": n, "n_parameters": p, ...}`` (the
    airlock recomputes the residual degrees of freedom); ``statistics``:
    ``{"statistic": "max", "group": {...}, "n": people, "value": x}``.
    """
    target = Path(path)
    target.write_text(json.dumps(statistics_record(models, statistics), indent=1),
                      encoding="utf-8")
    return target


def cell_key_table(data: str | Path, row: str, col: str, *, id_column: str, haven: Haven,
                   ptable: PerturbationTable | None = None) -> dict[str, Any]:
    """Counts of ``row`` × ``col`` perturbed by the cell key method with the haven's secret.

    ``id_column`` holds each record's permanent identifier (the pseudonym); the same records
    always give the same noise in this haven, and no one without its master key can
    reproduce it. Raises ``ConfigurationError`` when the haven has no master key.
    """
    secret = cell_key_secret(haven)
    source = Path(data)
    if not source.is_file():
        raise InvalidInput("No such data file", Location(file=source.name))
    frame = (pl.read_csv(source) if source.suffix.lower() == ".csv"
             else pl.read_parquet(source))
    return cell_key_counts(frame, row, col, id_column=id_column, secret=secret, ptable=ptable)


def _profile(table: CheckedCrosstab,
             profile: str | Path | DisclosureProfile | None) -> DisclosureProfile:
    if isinstance(profile, DisclosureProfile):
        return profile
    return load_profile(profile if profile is not None else table.profile)


def _no_suppression() -> DisclosureProfile:
    return DisclosureProfile(name="none", description="no checks", checks=())

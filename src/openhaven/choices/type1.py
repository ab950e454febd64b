"""Type 1 objections, applied when GP-sourced records are ingested.

A Type 1 objection (recorded at the GP practice) stops identifiable GP data leaving the
practice for purposes other than care, so GP-sourced records of objectors never enter the
record store. The ingest pipeline offers one hook for this, ``ingest_paths(...,
withhold=...)``: a filter over the staged tables, run before the haven's rules. This module
builds that filter from the objections in force:

* a patient row whose NHS number has an objection in force is dropped, and so is every
  row in the other tables that belongs to that patient, whether the patient is in the same
  files or already in the store;
* only counts are reported (``records.type1_withheld`` in the ledger), never who.

``openhaven choices ingest-gp FILES`` runs ingest with this filter; plain ``openhaven
ingest`` is for sources other than GP systems.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from openhaven.choices import service
from openhaven.choices.policy import GP_INGEST, load_policy
from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.records.ingest.service import IngestResult, ingest_paths
from openhaven.records.store import open_store


def type1_objectors(session: Session, haven: Haven, *, at: datetime | None = None) -> set[str]:
    """NHS numbers with a GP-ingest (Type 1) objection in force at ``at`` (default now)."""
    moment = at or utc_now()
    found: set[str] = set()
    for choice in load_policy(haven).applied_at(GP_INGEST):
        found |= set(service.opted_out_nhs_numbers(session, choice=choice.name, at=moment))
    return found


@dataclass
class Type1Filter:
    """The filter handed to ingest; ``withheld_patients`` counts who it kept out."""

    objectors: frozenset[str]
    stored_ids: frozenset[str] = frozenset()
    withheld_patients: int = 0
    withheld_rows: dict[str, int] = field(default_factory=dict)

    def __call__(self, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
        return withhold_objectors(tables, self)


def filter_for(haven: Haven, objectors: Collection[str]) -> Type1Filter:
    """A filter for ``objectors``, knowing which of them the store already holds."""
    chosen = frozenset(objectors)
    stored: frozenset[str] = frozenset()
    if chosen and haven.paths.record_store.exists():
        with open_store(haven.paths.record_store, read_only=True) as store:
            store.register("_objectors", pa.table({"nhs_number": pa.array(sorted(chosen))}))
            stored = frozenset(store.query(
                "SELECT patient_id FROM patients WHERE nhs_number IN "
                "(SELECT nhs_number FROM _objectors)"
            ).column("patient_id").to_pylist())
    return Type1Filter(objectors=chosen, stored_ids=stored)


def withhold_objectors(tables: dict[str, pa.Table], found: Type1Filter) -> dict[str, pa.Table]:
    """The staged tables without the objectors' patient rows and everything that is theirs."""
    if not found.objectors:
        return tables
    ids = set(found.stored_ids)
    patients = tables.get("patients")
    if patients is not None and "nhs_number" in patients.column_names:
        objecting = pc.is_in(patients["nhs_number"],
                             value_set=pa.array(sorted(found.objectors), pa.string()))
        objecting = pc.fill_null(objecting, False)
        ids |= set(patients.filter(objecting)["patient_id"].to_pylist())
        found.withheld_patients += int(pc.sum(objecting).as_py() or 0)
    if not ids:
        return tables
    id_set = pa.array(sorted(ids), pa.string())
    kept: dict[str, pa.Table] = {}
    for name, table in tables.items():
        if "patient_id" not in table.column_names:
            kept[name] = table
            continue
        theirs = pc.fill_null(pc.is_in(table["patient_id"], value_set=id_set), False)
        found.withheld_rows[name] = found.withheld_rows.get(name, 0) + int(
            pc.sum(theirs).as_py() or 0)
        kept[name] = table.filter(pc.invert(theirs))
    return kept


def ingest_gp_records(
    session: Session, haven: Haven, paths: list[Path], *, actor: str
) -> tuple[IngestResult, Type1Filter]:
    """Ingest GP-sourced files with Type 1 objections applied; ledger gets the counts."""
    found = filter_for(haven, type1_objectors(session, haven))
    result = ingest_paths(haven, paths, actor=actor, withhold=found)
    record_event(haven, "records.type1_withheld", actor=actor,
                 details={"patients": found.withheld_patients,
                          "rows": dict(sorted(found.withheld_rows.items()))})
    return result, found

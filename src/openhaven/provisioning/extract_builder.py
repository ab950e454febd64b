"""Build one extract file from the record store: the data half of provisioning.

Pure data work, independent of the governance database, so it can be specified by small
input/expected tables and run on each engine. The order is fixed and safety-first:
patient choices are applied to the cohort before any other step, so no later step can see
an opted-out patient; then pseudonyms, then per-field transformations. The extract is
written under a temporary name and renamed into place only when complete: a failed run
leaves no partial extract.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from openhaven.engine import DataSession, open_session
from openhaven.provisioning.pseudonym import (
    membership_digest,
    patient_token,
    pseudonymise_many,
)
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.provisioning.transformations import PSEUDONYM_COLUMN, get_transformation
from openhaven.records.schema import TABLES_BY_NAME

EXTRACT_FILE = "extract.duckdb"


@dataclass
class ExtractBuild:
    """What a build produced: counts only, never who."""

    path: Path
    patient_count: int
    removed_by_choices: int
    row_counts: dict[str, int] = field(default_factory=dict)
    patients_digest: str = ""
    pseudonyms: list[str] = field(default_factory=list, repr=False)


def build_extract(
    record_store: Path,
    destination: Path,
    *,
    specification: DatasetSpecification,
    project_key: bytes,
    opted_out_nhs_numbers: Sequence[str],
) -> ExtractBuild:
    """Write the extract folder ``destination`` atomically and return its counts."""
    if destination.exists():
        raise FileExistsError(destination)
    staging = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        build = _build_into(
            record_store, staging / EXTRACT_FILE, specification, project_key,
            opted_out_nhs_numbers,
        )
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    build.path = destination / EXTRACT_FILE
    return build


def _build_into(
    record_store: Path,
    target: Path,
    specification: DatasetSpecification,
    project_key: bytes,
    opted_out: Sequence[str],
) -> ExtractBuild:
    with open_session(None) as session:
        session.attach(record_store, "src", read_only=True)
        session.attach(target, "ext")
        session.register("_opted_out", pa.table({"nhs_number": pa.array(opted_out, pa.string())}))
        cohort = _select_cohort(session)
        removed = int(
            session.scalar(
                "SELECT count(*) FROM src.patients p "
                "WHERE p.nhs_number IN (SELECT nhs_number FROM _opted_out)"
            )
        )
        pseudonyms = pseudonymise_many(
            project_key,
            (
                patient_token(nhs, pid)
                for nhs, pid in zip(
                    cohort.column("nhs_number").to_pylist(),
                    cohort.column("patient_id").to_pylist(),
                    strict=True,
                )
            ),
        )
        session.register(
            "_pseudonyms",
            pa.table({"patient_id": cohort.column("patient_id"), PSEUDONYM_COLUMN: pseudonyms}),
        )
        row_counts = {
            table_name: _write_table(session, table_name, columns)
            for table_name, columns in specification.tables.items()
        }
        session.detach("ext")
    return ExtractBuild(
        path=target,
        patient_count=len(pseudonyms),
        removed_by_choices=removed,
        row_counts=row_counts,
        patients_digest=membership_digest(pseudonyms),
        pseudonyms=pseudonyms,
    )


def _select_cohort(session: DataSession) -> pa.Table:
    """Everyone in the store except those opted out: choices come before every other step."""
    return session.query(
        "SELECT p.patient_id, p.nhs_number FROM src.patients p "
        "WHERE p.nhs_number IS NULL "
        "OR p.nhs_number NOT IN (SELECT nhs_number FROM _opted_out) "
        "ORDER BY p.patient_id"
    )


def _write_table(session: DataSession, table_name: str, columns: Mapping[str, str]) -> int:
    spec = TABLES_BY_NAME[table_name]
    selected: list[str] = []
    for column in spec.columns:
        operator = columns.get(column.name, "drop")
        rendered = get_transformation(operator).render(f"t.{column.name}", column)
        if rendered is not None:
            name, expression = rendered
            selected.append(f"{expression} AS {name}")
    # Inner join on the cohort's pseudonyms: rows of patients outside the cohort cannot pass.
    session.execute(
        f"CREATE TABLE ext.{table_name} AS SELECT {', '.join(selected)} "
        f"FROM src.{table_name} t JOIN _pseudonyms USING (patient_id) "
        f"ORDER BY _pseudonyms.{PSEUDONYM_COLUMN}, t.{spec.key}"
    )
    return int(session.scalar(f"SELECT count(*) FROM ext.{table_name}"))

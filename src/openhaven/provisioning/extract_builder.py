"""Build one extract folder from the record store: the data half of provisioning.

Pure data work, independent of the governance database, so it can be specified by small
input/expected tables. The order is fixed and safety-first:

1. cohort selection (the specification's conditions, age range and onset dates);
2. patient choices: opted-out patients leave the cohort before any other step sees them;
3. minimum fields and transformations (columns not named are dropped);
4. the privacy-model check on the transformed patients table (fails closed, may suppress);
5. the extract written under a temporary name and renamed into place only when complete, so
   a failed run leaves no partial extract;
6. the risk report, written next to the extract.

The folder holds ``tables/<table>.parquet`` (each table written once, in a fixed row order,
so the same inputs, keys and cut-off give byte-identical files), ``extract.duckdb`` (what
analysis opens: one view per table over its Parquet file), ``manifest.json`` (the SHA-256 of
each Parquet file, the row counts and the cohort digest) and ``risk_report.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from openhaven.engine import DataSession, open_session
from openhaven.provisioning.cohort import cohort_sql
from openhaven.provisioning.privacy_check import PrivacyOutcome, enforce_privacy, measure_risk
from openhaven.provisioning.pseudonym import membership_digest
from openhaven.provisioning.pseudonym_parallel import pseudonym_columns
from openhaven.provisioning.reference.settings import ReferenceFiles
from openhaven.provisioning.reference.tables import install_reference_tables
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.provisioning.transformations import (
    LOOKUP_OPERATORS,
    PSEUDONYM_COLUMN,
    SHIFT_COLUMN,
    render_column,
    split_operator,
)
from openhaven.records.schema import TABLES_BY_NAME, Identifiability

EXTRACT_FILE = "extract.duckdb"
MANIFEST_FILE = "manifest.json"
RISK_FILE = "risk_report.json"
TABLES_FOLDER = "tables"
#: the engine's working-memory bound while building (spills to disk beyond it); 6GB keeps
#: the 100M-row sort mostly in memory and the whole build's peak under 8 GiB
ENGINE_MEMORY_LIMIT = os.environ.get("OPENHAVEN_PROVISION_MEMORY", "6GB")
_PATIENTS_STAGE = "_patients_out"


@dataclass
class ExtractBuild:
    """What a build produced: counts only, never who."""

    path: Path
    patient_count: int
    removed_by_choices: int
    row_counts: dict[str, int] = field(default_factory=dict)
    patients_digest: str = ""
    pseudonyms: list[str] = field(default_factory=list, repr=False)
    #: the record-store ids of the patients included (for the patient-facing register only)
    patient_ids: list[str] = field(default_factory=list, repr=False)
    risk: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)
    manifest_digest: str = ""
    #: seconds spent in each stage, for benchmarks and operators (no patient data)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: "<table>.<column>" -> how many values a reference look-up did not know and so wrote
    #: as NULL (postcodes with no region, codes with no ancestor at the level asked)
    generalised_to_null: dict[str, int] = field(default_factory=dict)


def build_extract(
    record_store: Path,
    destination: Path,
    *,
    specification: DatasetSpecification,
    project_key: bytes,
    opted_out_nhs_numbers: Sequence[str],
    cut_off: dt.date | None = None,
    reference: ReferenceFiles | None = None,
) -> ExtractBuild:
    """Write the extract folder ``destination`` atomically and return its counts.

    ``reference`` names the haven's own reference files (postcode regions, SNOMED CT
    relationships); without it the shipped reference data is used.
    """
    if destination.exists():
        raise FileExistsError(destination)
    staging = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    reference_date = cut_off or dt.date.today()
    try:
        build = _build_into(record_store, staging, specification, project_key,
                            opted_out_nhs_numbers, reference_date, reference)
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        _write_views(destination, sorted(build.row_counts))
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    build.path = destination / EXTRACT_FILE
    return build


def _write_views(folder: Path, table_names: list[str]) -> None:
    """``extract.duckdb``: one view per table over its Parquet file, so each table is
    written once.

    The views name the Parquet files relative to the extract's folder
    (``tables/<table>.parquet``), so moving the haven's home, or copying the folder
    elsewhere, leaves the extract readable. The engine looks for relative paths in the
    folder of the database file it opened (``openhaven.engine.open_session`` sets DuckDB's
    ``file_search_path``); a reader using DuckDB directly sets it too (see
    docs/provisioning.md). The file is written under a temporary name and renamed, so
    readers never see half of it.
    """
    partial = folder / f".{EXTRACT_FILE}.partial"
    partial.unlink(missing_ok=True)
    with open_session(partial) as session:
        for name in table_names:
            relative = f"{TABLES_FOLDER}/{name}.parquet"
            session.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_sql_text(relative)}')"
            )
    partial.rename(folder / EXTRACT_FILE)


def _build_into(
    record_store: Path,
    folder: Path,
    specification: DatasetSpecification,
    project_key: bytes,
    opted_out: Sequence[str],
    reference_date: dt.date,
    reference: ReferenceFiles | None = None,
) -> ExtractBuild:
    clock = _StageClock()
    with open_session(None) as session:
        # bounded memory: large sorts spill to the staging folder, which the run removes
        session.execute(f"SET memory_limit = '{ENGINE_MEMORY_LIMIT}'")
        session.execute(f"SET temp_directory = '{_sql_text((folder / '.spill').as_posix())}'")
        session.attach(record_store, "src", read_only=True)
        lookups = _lookup_columns(specification)
        if lookups:
            install_reference_tables(session, reference)
            _prepare_lookups(session, lookups, reference_date)
            clock.lap("reference_data")
        removed = _select_cohort(session, specification, project_key, opted_out, reference_date,
                                 clock)
        privacy: PrivacyOutcome | None = None
        risk: dict[str, Any] = {}
        if "patients" in specification.tables:
            session.execute(
                f"CREATE TEMP TABLE {_PATIENTS_STAGE} AS "
                f"{_select_sql('patients', specification, reference_date)}"
            )
            clock.lap("transform_patients")
            if specification.privacy is not None:
                privacy = enforce_privacy(session, _PATIENTS_STAGE, specification.privacy)
                _drop_patients(session, privacy.removed)
                risk = {"quasi_identifiers": privacy.quasi_identifiers,
                        **privacy.risk.as_dict()}
            else:
                quasi = _default_quasi(specification)
                risk = {"quasi_identifiers": quasi,
                        **measure_risk(session, _PATIENTS_STAGE, quasi).as_dict()}
            clock.lap("privacy_check_and_risk")
        row_counts, hashes = _write_tables(session, folder, specification, reference_date)
        clock.lap("write_tables")
        unknown = _count_generalised_to_null(session, folder, lookups, reference_date)
        # read who is included only now, so these lists never sit beside the big sorts
        included = session.query(
            f"SELECT {PSEUDONYM_COLUMN}, patient_id FROM _pseudonyms ORDER BY _rank"
        )
        pseudonyms: list[str] = included.column(PSEUDONYM_COLUMN).to_pylist()
        patient_ids: list[str] = included.column("patient_id").to_pylist()
        del included
    shutil.rmtree(folder / ".spill", ignore_errors=True)
    digest = membership_digest(pseudonyms)
    privacy_summary = privacy.as_dict() if privacy is not None else {"models": []}
    risk_text = _canonical_json({"privacy": privacy_summary, "risk": risk})
    (folder / RISK_FILE).write_text(risk_text, encoding="utf-8")
    manifest = _canonical_json({
        "format": 1,
        "cut_off": reference_date.isoformat(),
        "patients": len(pseudonyms),
        "patients_digest": digest,
        "tables": {name: {"file": f"{TABLES_FOLDER}/{name}.parquet", "rows": row_counts[name],
                          "sha256": hashes[name]} for name in sorted(row_counts)},
        "risk_report_sha256": hashlib.sha256(risk_text.encode("utf-8")).hexdigest(),
    })
    (folder / MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    return ExtractBuild(
        path=folder / EXTRACT_FILE,
        patient_count=len(pseudonyms),
        removed_by_choices=removed,
        row_counts=row_counts,
        patients_digest=digest,
        pseudonyms=pseudonyms,
        patient_ids=patient_ids,
        risk=risk,
        privacy=privacy_summary,
        manifest_digest=hashlib.sha256(manifest.encode("utf-8")).hexdigest(),
        stage_seconds=clock.laps,
        generalised_to_null=unknown,
    )


def _select_cohort(
    session: DataSession,
    specification: DatasetSpecification,
    project_key: bytes,
    opted_out: Sequence[str],
    reference_date: dt.date,
    clock: _StageClock,
) -> int:
    """Fill ``_pseudonyms`` with the cohort less the opted out; return how many were removed.

    Choices come straight after the cohort criteria and before every other step. The NHS
    numbers leave memory once the pseudonyms are made.
    """
    session.register("_opted_out", pa.table({"nhs_number": pa.array(opted_out, pa.string())}))
    eligible = cohort_sql(specification.cohort, reference_date)
    removed = int(session.scalar(
        f"SELECT count(*) FROM ({eligible}) p "
        "WHERE p.nhs_number IN (SELECT nhs_number FROM _opted_out)"
    ))
    cohort = session.query(
        f"SELECT p.patient_id, p.nhs_number FROM ({eligible}) p "
        "WHERE p.nhs_number IS NULL "
        "OR p.nhs_number NOT IN (SELECT nhs_number FROM _opted_out) ORDER BY p.patient_id"
    )
    session.unregister("_opted_out")
    clock.lap("cohort_and_choices")
    pseudonyms, offsets = pseudonym_columns(project_key, _tokens(cohort))
    session.register("_cohort_keys", pa.table({
        "patient_id": cohort.column("patient_id"),
        PSEUDONYM_COLUMN: pseudonyms,
        SHIFT_COLUMN: offsets,
    }))
    # an integer rank in pseudonym order: sorting events by it is cheaper than by the text
    session.execute(
        "CREATE TEMP TABLE _pseudonyms AS SELECT *, "
        f"row_number() OVER (ORDER BY {PSEUDONYM_COLUMN}) AS _rank FROM _cohort_keys"
    )
    session.unregister("_cohort_keys")
    clock.lap("pseudonymise")
    return removed


def _lookup_columns(specification: DatasetSpecification) -> list[tuple[str, str, str]]:
    """(table, column, operator) for every column generalised through reference data."""
    return [(table, column, operator)
            for table, columns in sorted(specification.tables.items())
            for column, operator in sorted(columns.items())
            if isinstance(operator, str) and split_operator(operator)[0] in LOOKUP_OPERATORS]


def _lookup_table(table: str, column: str) -> str:
    return f"_lookup_{table}_{column}"


def _lookup_keys(table: str, column: str) -> list[str]:
    """The source columns a look-up's value depends on: the column, and the code system
    beside a code (a code means different things in different systems)."""
    spec = TABLES_BY_NAME[table]
    return [column] + (["code_system"] if "code_system" in spec.column_names
                       and column != "code_system" else [])


def _prepare_lookups(session: DataSession, lookups: list[tuple[str, str, str]],
                     reference_date: dt.date) -> None:
    """One small table per looked-up column: each distinct source value with the operator's
    result for it. The table writes then join it like any other table (a hash join on the
    value), so the reference look-up runs once per distinct value, not once per row."""
    for table, column, operator in lookups:
        source = TABLES_BY_NAME[table].column(column)
        rendered = render_column(operator, f"t.{column}", source, reference_date)
        assert rendered is not None
        keys = ", ".join(_lookup_keys(table, column))
        session.execute(
            f"CREATE TEMP TABLE {_lookup_table(table, column)} AS "
            f"SELECT t.*, {rendered[1]} AS _value FROM "
            f"(SELECT DISTINCT {keys} FROM src.{table} WHERE {column} IS NOT NULL) t"
        )


def _count_generalised_to_null(
    session: DataSession, folder: Path, lookups: list[tuple[str, str, str]],
    reference_date: dt.date,
) -> dict[str, int]:
    """How many values of the extract's patients each look-up wrote as NULL from a value
    that was there: never who, only how many.

    Patients (where cell suppression may blank a value too) are counted through the look-up
    table; the large event tables by the NULLs in the written column less the NULLs in the
    source, so their rows are not joined a second time.
    """
    counts: dict[str, int] = {}
    for table, column, operator in lookups:
        source = TABLES_BY_NAME[table].column(column)
        rendered = render_column(operator, f"t.{column}", source, reference_date)
        assert rendered is not None
        cohort_rows = f"FROM src.{table} t JOIN _pseudonyms USING (patient_id)"
        if table == "patients":
            lookup = _lookup_table(table, column)
            unknown = session.scalar(
                f"SELECT count(*) {cohort_rows} JOIN {lookup} ON "
                + " AND ".join(f"t.{key} = {lookup}.{key}"
                               for key in _lookup_keys(table, column))
                + f" WHERE {lookup}._value IS NULL")
        else:
            parquet = _sql_text((folder / TABLES_FOLDER / f"{table}.parquet").as_posix())
            written = session.scalar(
                f"SELECT count(*) - count({rendered[0]}) FROM read_parquet('{parquet}')")
            missing = 0 if not source.nullable else session.scalar(
                f"SELECT count(*) {cohort_rows} WHERE t.{column} IS NULL")
            unknown = int(written or 0) - int(missing or 0)
        counts[f"{table}.{column}"] = int(unknown or 0)
    return counts


def _tokens(cohort: pa.Table) -> list[bytes]:
    """``patient_token`` for every cohort row, built column-wise by Arrow (same bytes)."""
    nhs = cohort.column("nhs_number")
    has_number = pc.fill_null(pc.greater(pc.utf8_length(nhs), 0), False)
    tokens = pc.if_else(
        has_number,
        pc.binary_join_element_wise("nhs:", nhs, ""),
        pc.binary_join_element_wise("pid:", cohort.column("patient_id"), ""),
    )
    as_bytes: list[bytes] = pc.cast(tokens, pa.binary()).to_pylist()
    return as_bytes


class _StageClock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self._last
        self._last = now


def _select_sql(table_name: str, specification: DatasetSpecification,
                reference_date: dt.date) -> str:
    """The transformed rows of ``table_name`` for the cohort, in a fixed order."""
    spec = TABLES_BY_NAME[table_name]
    columns = specification.tables[table_name]
    selected: list[str] = []
    joins: list[str] = []
    for column in spec.columns:
        operator = columns.get(column.name, "drop")
        rendered = render_column(operator, f"t.{column.name}", column, reference_date)
        if rendered is None:
            continue
        name, expression = rendered
        if split_operator(operator)[0] in LOOKUP_OPERATORS:
            # the operator's result, computed per distinct value by _prepare_lookups
            lookup = _lookup_table(table_name, column.name)
            joins.append(f"LEFT JOIN {lookup} ON " + " AND ".join(
                f"t.{key} = {lookup}.{key}" for key in _lookup_keys(table_name, column.name)))
            expression = f"{lookup}._value"
        selected.append(f"{expression} AS {name}")
    # Inner join on the cohort's pseudonyms: rows of patients outside the cohort cannot pass.
    return (
        f"SELECT {', '.join(selected)} "
        f"FROM src.{table_name} t JOIN _pseudonyms USING (patient_id) {' '.join(joins)} "
        f"ORDER BY _pseudonyms._rank, t.{spec.key}"
    )


def _drop_patients(session: DataSession, pseudonyms: list[str]) -> None:
    """Record suppression: the patients leave the cohort, so none of their rows is written."""
    if not pseudonyms:
        return
    session.register("_suppressed", pa.table({PSEUDONYM_COLUMN: pa.array(pseudonyms)}))
    for table in ("_pseudonyms", _PATIENTS_STAGE):
        session.execute(
            f"DELETE FROM {table} WHERE {PSEUDONYM_COLUMN} IN "
            f"(SELECT {PSEUDONYM_COLUMN} FROM _suppressed)"
        )
    session.unregister("_suppressed")


def _write_tables(
    session: DataSession, folder: Path, specification: DatasetSpecification,
    reference_date: dt.date,
) -> tuple[dict[str, int], dict[str, str]]:
    """Each table, sorted once into its fixed order, straight into its Parquet file;
    counts (from the file's metadata) and digests."""
    (folder / TABLES_FOLDER).mkdir()
    row_counts: dict[str, int] = {}
    hashes: dict[str, str] = {}
    for table_name in sorted(specification.tables):
        if table_name == "patients":
            source = f"SELECT * FROM {_PATIENTS_STAGE} ORDER BY {PSEUDONYM_COLUMN}"
        else:
            source = _select_sql(table_name, specification, reference_date)
        parquet = _sql_text((folder / TABLES_FOLDER / f"{table_name}.parquet").as_posix())
        session.execute(f"COPY ({source}) TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)")
        row_counts[table_name] = int(session.scalar(
            f"SELECT sum(num_rows) FROM parquet_file_metadata('{parquet}')"
        ) or 0)
        hashes[table_name] = _file_sha256(folder / TABLES_FOLDER / f"{table_name}.parquet")
    return row_counts, hashes


def _default_quasi(specification: DatasetSpecification) -> list[str]:
    """Without a declared model, the risk report rates the extract columns that come from
    columns the record model marks as quasi-identifying."""
    columns = specification.tables["patients"]
    quasi = []
    for column in TABLES_BY_NAME["patients"].columns:
        if column.identifiability is not Identifiability.QUASI:
            continue
        rendered = render_column(columns.get(column.name, "drop"), "x", column, dt.date.min)
        if rendered is not None:
            quasi.append(rendered[0])
    return quasi


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def _sql_text(text: str) -> str:
    return text.replace("'", "''")

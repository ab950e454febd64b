"""Dummy data for a project: the extract's exact schema, none of its records.

A researcher develops outside the haven against dummy data, so their code must run
unchanged on the real extract: the tables, column names and types come from the project's
dataset specification (``extract_schema``), and the values from public code lists (the
clinical and care catalogues the synthetic generator uses, the ONS ethnic groups) and
plausible distributions. Nothing is sampled from real records; the extract is never opened.

Sparse dummy data is useless for checking a query, so generation can be aimed at one: given
a query, patients matching its population (ages, sexes, codes within its date windows) are
added until at least ``min_matches`` dummy patients satisfy it, counted by running the
query itself on the dummy extract.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from openhaven.analysis.extract_schema import ExtractColumn
from openhaven.analysis.query_compiler import compile_query
from openhaven.analysis.query_spec import AggregateQuery, CodeFilter
from openhaven.analysis.runner import extract_columns
from openhaven.engine import open_session
from openhaven.provisioning.reference.tables import (
    icd10_parents,
    postcode_table,
    shipped_snomed_parents,
)
from openhaven.provisioning.transformations import HIERARCHY_OF_SYSTEM
from openhaven.records.generator.care_catalogue import MEASUREMENTS, MEDICINES, PROCEDURES
from openhaven.records.generator.clinical_catalogue import CONDITIONS
from openhaven.records.generator.ethnicity import CODES as ETHNICITY_CODES
from openhaven.records.generator.ethnicity import england_shares
from openhaven.records.schema import ColumnType

DUMMY_FILE = "extract.duckdb"
MARKER_FILE = "DUMMY-DATA.txt"
PSEUDONYM_LENGTH = 24
SEXES = ("female", "male", "other", "unknown")
SEX_SHARES = (0.505, 0.49, 0.003, 0.002)
#: Outward codes spread across England, for postcode districts.
DISTRICTS = ("LS1", "LS6", "M14", "B15", "NE4", "BS7", "NG7", "L8", "S10", "SW9", "E1", "N7",
             "CB1", "OX4", "PL4", "EX2", "YO10", "HU5", "LE2", "CV1")
MAX_ROUNDS = 6


@dataclass
class DummyReport:
    path: Path
    patients: int
    row_counts: dict[str, int]
    matches: int | None = None
    seed: int = 0
    tables: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "patients": self.patients, "row_counts": self.row_counts,
                "matches": self.matches, "seed": self.seed, "tables": self.tables,
                "dummy": True}


def code_list(table: str, code_system: str) -> tuple[str, ...]:
    """The public codes of ``code_system`` the catalogues hold for an event table."""
    if table == "conditions":
        return tuple(c.icd10 if code_system == "icd10" else c.snomed for c in CONDITIONS)
    if table == "medications":
        return tuple(m.dmd for m in MEDICINES.values())
    if table == "observations":
        return tuple(m.snomed for m in MEASUREMENTS.values())
    if table == "procedures":
        return tuple(p.snomed for p in PROCEDURES.values())
    return ("dummy",)


def generate_dummy_extract(
    schema: dict[str, list[ExtractColumn]],
    destination: Path,
    *,
    patients: int = 500,
    seed: int = 0,
    query: AggregateQuery | None = None,
    min_matches: int = 0,
    reference_date: dt.date | None = None,
) -> DummyReport:
    """Write a dummy extract folder at ``destination`` (replacing a previous dummy one)."""
    if "patients" not in schema:
        raise ValueError("a project's extract always has a patients table")
    reference = reference_date or (query.reference_date if query else dt.date(2026, 1, 1))
    rng = np.random.default_rng(seed)
    tables = _Tables(schema, rng, reference)
    tables.add_patients(patients, None)
    _prepare(destination)
    matches = None
    for _round in range(MAX_ROUNDS):
        _write(tables, destination)
        if query is None:
            break
        matches = _count_matches(destination / DUMMY_FILE, query)
        if matches >= min_matches:
            break
        tables.add_patients(max(min_matches - matches, 1), query)
    else:
        raise RuntimeError("dummy data could not be made to match the query")
    return DummyReport(
        path=destination / DUMMY_FILE, patients=tables.patient_count,
        row_counts={name: len(rows[next(iter(rows))]) for name, rows in tables.rows.items()},
        matches=matches, seed=seed,
        tables={name: [c.name for c in columns] for name, columns in schema.items()},
    )


class _Tables:
    """Column-wise rows of every table, grown patient by patient."""

    def __init__(self, schema: dict[str, list[ExtractColumn]], rng: np.random.Generator,
                 reference: dt.date) -> None:
        self.schema, self.rng, self.reference = schema, rng, reference
        self.rows: dict[str, dict[str, list[Any]]] = {
            name: {c.name: [] for c in columns} for name, columns in schema.items()
        }
        self.patient_count = 0

    def add_patients(self, count: int, aimed_at: AggregateQuery | None) -> None:
        for _ in range(count):
            pseudonym = "".join(self.rng.choice(list("0123456789abcdef"), PSEUDONYM_LENGTH))
            age = self._age(aimed_at)
            sex = str(self.rng.choice(aimed_at.sexes)) if aimed_at and aimed_at.sexes else \
                str(self.rng.choice(SEXES, p=SEX_SHARES))
            self._add_patient(pseudonym, age, sex)
            for table in self.schema:
                if table == "patients":
                    continue
                planted = [f for f in (aimed_at.code_filters if aimed_at else ())
                           if f.table == table]
                for code_filter in planted:
                    self._add_event(table, pseudonym, age, code_filter)
                for _event in range(int(self.rng.poisson(2.0))):
                    self._add_event(table, pseudonym, age, None)
            self.patient_count += 1

    def _age(self, query: AggregateQuery | None) -> int:
        low = query.min_age if query and query.min_age is not None else 0
        high = query.max_age if query and query.max_age is not None else 95
        # A gently ageing population pyramid: more adults than children, few over 90.
        weights = np.array([1.0 if a < 60 else 0.8 if a < 80 else 0.35 for a in range(low,
                                                                                      high + 1)])
        return int(self.rng.choice(np.arange(low, high + 1), p=weights / weights.sum()))

    def _add_patient(self, pseudonym: str, age: int, sex: str) -> None:
        row = self.rows["patients"]
        for column in self.schema["patients"]:
            name = column.name
            if name == "pseudonym":
                value: Any = pseudonym
            elif name == "sex":
                value = sex
            elif name == "ethnicity":
                value = None if self.rng.random() < 0.03 else str(
                    self.rng.choice(ETHNICITY_CODES, p=england_shares()))
            elif name == "postcode_district":
                value = str(self.rng.choice(DISTRICTS))
            elif name == "postcode_area":
                value = str(self.rng.choice(DISTRICTS)).rstrip("0123456789")
            elif name == "postcode_region":
                value = str(self.rng.choice(_regions(column.transformation.endswith(":code"))))
            elif name.startswith("date_of_birth"):
                born = self.reference - dt.timedelta(days=int(age * 365.25 + self.rng.integers(
                    1, 365)))
                value = born.year if column.type is ColumnType.INTEGER else born
            elif name.startswith("date_of_death"):
                value = None if self.rng.random() > 0.01 else self._date(1, column)
            else:
                value = self._generic(column)
            row[name].append(self._typed(value, column))

    def _add_event(self, table: str, pseudonym: str, age: int,
                   code_filter: CodeFilter | None) -> None:
        row = self.rows[table]
        system = code_filter.code_system if code_filter else (
            "dmd" if table == "medications" else
            str(self.rng.choice(["snomed", "icd10"], p=[0.85, 0.15]))
            if table == "conditions" else "snomed")
        codes = code_filter.codes if code_filter else code_list(table, system)
        for column in self.schema[table]:
            name = column.name
            if name == "pseudonym":
                value: Any = pseudonym
            elif name == "code_system":
                value = system
            elif name == "code":
                value = str(self.rng.choice(codes))
                if code_filter is None and column.transformation.startswith("code_parent"):
                    # the extract holds ancestors; a query's own codes are already at that level
                    value = _ancestor(system, value, column.transformation)
            elif column.type in (ColumnType.DATE,) or name.endswith("_date"):
                value = self._event_date(code_filter, age, column)
            elif name == "unit":
                value = None
            else:
                value = self._generic(column)
            row[name].append(self._typed(value, column))

    def _event_date(self, code_filter: CodeFilter | None, age: int,
                    column: ExtractColumn) -> Any:
        earliest = max(self.reference - dt.timedelta(days=int(age * 365.25)),
                       self.reference - dt.timedelta(days=20 * 365))
        latest = self.reference
        if code_filter is not None:
            earliest = max(earliest, code_filter.start or earliest)
            latest = min(latest, code_filter.end or latest)
            if latest < earliest:
                earliest = latest
        span = max((latest - earliest).days, 0)
        day = earliest + dt.timedelta(days=int(self.rng.integers(0, span + 1)))
        if column.transformation.startswith("month"):
            day = day.replace(day=1)
            if code_filter is not None and code_filter.start and day < code_filter.start:
                day = code_filter.start
        if column.type is ColumnType.INTEGER:
            return day.year
        return day

    def _date(self, years_back: int, column: ExtractColumn) -> Any:
        day = self.reference - dt.timedelta(days=int(self.rng.integers(0, 365 * years_back + 1)))
        return day.year if column.type is ColumnType.INTEGER else day

    def _generic(self, column: ExtractColumn) -> Any:
        if column.type is ColumnType.DOUBLE:
            return round(float(self.rng.normal(50.0, 15.0)), 1)
        if column.type is ColumnType.INTEGER:
            return int(self.rng.integers(0, 100))
        if column.type is ColumnType.DATE:
            return self._date(10, column)
        return None if column.source.nullable and self.rng.random() < 0.2 else "dummy"

    @staticmethod
    def _typed(value: Any, column: ExtractColumn) -> Any:
        if value is None:
            return None
        if column.type is ColumnType.INTEGER and isinstance(value, dt.date):
            return value.year
        return value


@cache
def _regions(as_codes: bool) -> tuple[str, ...]:
    """The region names (or ONS codes) the ``postcode_region`` operator can produce."""
    table = postcode_table()
    return tuple(sorted(set(table.column("region_code" if as_codes else "region_name")
                            .to_pylist())))


@cache
def _parents() -> dict[tuple[str, str], str | None]:
    """(hierarchy, code) → parent, from the public hierarchies the haven ships."""
    found: dict[tuple[str, str], str | None] = {}
    for table in (icd10_parents(), shipped_snomed_parents()):
        for system, code, parent in zip(table.column("code_system").to_pylist(),
                                        table.column("code").to_pylist(),
                                        table.column("parent").to_pylist(), strict=True):
            found[(system, code)] = parent
    return found


def _ancestor(system: str, code: str, transformation: str) -> str | None:
    """``code`` generalised as ``code_parent:N`` generalises it in a real extract."""
    levels = int(transformation.partition(":")[2] or "1")
    hierarchy = HIERARCHY_OF_SYSTEM.get(system)
    value: str | None = code.replace(".", "").upper() if system == "icd10" else code
    for _ in range(levels):
        if value is None or hierarchy is None:
            return None
        value = _parents().get((hierarchy, value))
    return value


def _prepare(destination: Path) -> None:
    if destination.exists():
        if any(destination.iterdir()) and not (destination / MARKER_FILE).exists():
            raise FileExistsError(
                f"{destination} holds something that is not dummy data; choose another folder")
        shutil.rmtree(destination)
    destination.mkdir(parents=True)


def _write(tables: _Tables, destination: Path) -> None:
    target = destination / DUMMY_FILE
    target.unlink(missing_ok=True)
    (destination / "tables").mkdir(exist_ok=True)
    with open_session(target) as session:
        for name, columns in tables.schema.items():
            arrow = pa.table({c.name: pa.array(tables.rows[name][c.name], c.arrow)
                              for c in columns})
            session.register("_dummy", arrow)
            session.execute(f"CREATE TABLE {name} AS SELECT * FROM _dummy")
            session.unregister("_dummy")
            parquet = (destination / "tables" / f"{name}.parquet").as_posix().replace("'", "''")
            session.execute(f"COPY {name} TO '{parquet}' (FORMAT parquet)")
    (destination / MARKER_FILE).write_text(
        "Dummy data: generated from the project's dataset specification and public code "
        "lists. It describes no real person.\n", encoding="utf-8")
    (destination / "schema.json").write_text(json.dumps(
        {name: {c.name: c.type.value for c in columns} for name, columns in tables.schema.items()},
        indent=2), encoding="utf-8")


def _count_matches(extract: Path, query: AggregateQuery) -> int:
    counting = AggregateQuery.from_dict({**query.as_dict(), "measure": "count_patients",
                                         "group_by": []}, source=query.source or "query")
    # Dummy data describes no one, so counting on it needs no output check.
    with open_session(extract, read_only=True) as session:
        available, types = extract_columns(session)
        sql, parameters = compile_query(counting, available, types)
        rows = session.query(sql, parameters).column("value").to_pylist()
    return int(rows[0]) if rows else 0

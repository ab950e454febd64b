"""The record model: one declaration that the store, ingest, generator and docs all read.

Patient-centric: every event table carries ``patient_id``. Columns are typed, nullability is
explicit and dates are dates. Each column also says whether it identifies a person directly
(``direct``), could help to (``quasi``), or is free text that may hide identifiers
(``free_text``): provisioning and the data-model docs read these marks, so they live here,
beside the column, rather than in a list elsewhere that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa


class ColumnType(StrEnum):
    STRING = "string"
    DATE = "date"
    DOUBLE = "double"
    INTEGER = "integer"

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW_TYPES[self]

    @property
    def sql(self) -> str:
        return _SQL_TYPES[self]


_ARROW_TYPES = {
    ColumnType.STRING: pa.string(),
    ColumnType.DATE: pa.date32(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.INTEGER: pa.int64(),
}
_SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.DATE: "DATE",
    ColumnType.DOUBLE: "DOUBLE",
    ColumnType.INTEGER: "BIGINT",
}


class Identifiability(StrEnum):
    NONE = "none"
    DIRECT = "direct"
    QUASI = "quasi"
    FREE_TEXT = "free_text"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool
    description: str
    identifiability: Identifiability = Identifiability.NONE


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for candidate in self.columns:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type.arrow, nullable=c.nullable) for c in self.columns]
        )


S, D, F = ColumnType.STRING, ColumnType.DATE, ColumnType.DOUBLE
DIRECT, QUASI, TEXT = Identifiability.DIRECT, Identifiability.QUASI, Identifiability.FREE_TEXT


def _id(table: str) -> Column:
    return Column(f"{table}_id", S, False, f"Stable identifier of the {table} record (source id).")


_PATIENT_REF = Column("patient_id", S, False, "The patient this record belongs to.")
_ENCOUNTER_REF = Column("encounter_id", S, True, "The encounter it was recorded in, if known.")
_CODE_SYSTEM = Column(
    "code_system", S, False, "Code system: snomed, icd10, dmd, loinc, rxnorm or other."
)
_CODE = Column("code", S, False, "The clinical code.")
_DISPLAY = Column("display", S, True, "The code's human-readable term.")

PATIENTS = Table(
    "patients",
    "One row per person whose records the haven holds.",
    "patient_id",
    (
        Column("patient_id", S, False, "Stable identifier of the patient (source id)."),
        Column(
            "nhs_number", S, True, "10-digit NHS number (Modulus 11 check digit); absent for "
            "records from outside England.", DIRECT,
        ),
        Column("given_name", S, True, "Given name(s).", DIRECT),
        Column("family_name", S, True, "Family name.", DIRECT),
        Column("date_of_birth", D, False, "Date of birth.", QUASI),
        Column("sex", S, False, "Administrative sex: female, male, other or unknown.", QUASI),
        Column("ethnicity", S, True, "ONS 2021 ethnic group code (e.g. A, B, M).", QUASI),
        Column("address_line", S, True, "First line of the home address.", DIRECT),
        Column("postcode", S, True, "Home postcode (UK format when from England).", QUASI),
        Column("phone", S, True, "Contact telephone number.", DIRECT),
        Column("practice_code", S, True, "ODS code of the registered GP practice.", QUASI),
        Column("date_of_death", D, True, "Date of death, if the patient has died.", QUASI),
    ),
)

ENCOUNTERS = Table(
    "encounters",
    "Contacts with care: GP consultations, outpatient visits, A&E attendances, admissions.",
    "encounter_id",
    (
        _id("encounter"),
        _PATIENT_REF,
        Column("encounter_class", S, False, "ambulatory, emergency, inpatient, virtual or other."),
        Column("code_system", S, True, "Code system of the encounter type, if coded."),
        Column("code", S, True, "Encounter type code."),
        _DISPLAY,
        Column("start_date", D, False, "Date the encounter began.", QUASI),
        Column("end_date", D, True, "Date it ended (null while open or unknown)."),
        Column("organisation_code", S, True, "ODS code of the organisation providing care."),
    ),
)

CONDITIONS = Table(
    "conditions",
    "Diagnoses and problems (SNOMED CT or ICD-10).",
    "condition_id",
    (
        _id("condition"),
        _PATIENT_REF,
        _ENCOUNTER_REF,
        _CODE_SYSTEM,
        _CODE,
        _DISPLAY,
        Column("onset_date", D, False, "Date of onset or first record.", QUASI),
        Column("resolved_date", D, True, "Date resolved, if resolved."),
    ),
)

OBSERVATIONS = Table(
    "observations",
    "Measurements and findings: blood pressure, BMI, HbA1c, smoking status.",
    "observation_id",
    (
        _id("observation"),
        _PATIENT_REF,
        _ENCOUNTER_REF,
        _CODE_SYSTEM,
        _CODE,
        _DISPLAY,
        Column("observation_date", D, False, "Date observed."),
        Column("value_numeric", F, True, "Numeric value, if numeric."),
        Column("value_text", S, True, "Coded or textual value, if not numeric."),
        Column("unit", S, True, "UCUM unit of the numeric value."),
    ),
)

MEDICATIONS = Table(
    "medications",
    "Prescriptions and medication statements (dm+d).",
    "medication_id",
    (
        _id("medication"),
        _PATIENT_REF,
        _ENCOUNTER_REF,
        _CODE_SYSTEM,
        _CODE,
        _DISPLAY,
        Column("start_date", D, False, "Date prescribed or started."),
        Column("end_date", D, True, "Date stopped, if stopped."),
    ),
)

PROCEDURES = Table(
    "procedures",
    "Procedures performed (SNOMED CT).",
    "procedure_id",
    (
        _id("procedure"),
        _PATIENT_REF,
        _ENCOUNTER_REF,
        _CODE_SYSTEM,
        _CODE,
        _DISPLAY,
        Column("procedure_date", D, False, "Date performed."),
    ),
)

NOTES = Table(
    "notes",
    "Free-text clinical notes; they contain identifiers as real notes do.",
    "note_id",
    (
        _id("note"),
        _PATIENT_REF,
        _ENCOUNTER_REF,
        Column("note_date", D, False, "Date written."),
        Column("note_type", S, False, "consultation, discharge_summary, referral or letter."),
        Column("text", S, False, "The note's text.", TEXT),
    ),
)

TABLES: tuple[Table, ...] = (
    PATIENTS, ENCOUNTERS, CONDITIONS, OBSERVATIONS, MEDICATIONS, PROCEDURES, NOTES,
)
TABLES_BY_NAME = {table.name: table for table in TABLES}


def table(name: str) -> Table:
    """The table called ``name``; a KeyError names the tables that exist."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no table {name!r}; tables are {', '.join(TABLES_BY_NAME)}") from None

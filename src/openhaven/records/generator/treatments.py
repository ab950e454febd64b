"""Prescriptions and procedures, each linked to the encounter and condition that explain it.

Long-term medicines start at the encounter where their condition was diagnosed and run
until the condition resolves, the patient dies, or (for some) they are stopped. Short
courses (antibiotics, analgesics) are prescribed at ordinary GP consultations.
Procedures happen where they would: vaccinations and diabetic foot checks in general
practice, mammography and colonoscopy in outpatients, chest X-rays and ECGs in A&E, joint
replacements and coronary interventions on admission.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openhaven.records.generator.arrow_columns import Ints, dates, numbered_ids, pick
from openhaven.records.generator.care_catalogue import (
    ACUTE_MEDICINES,
    MEDICINES,
    PROCEDURES,
)
from openhaven.records.generator.conditions import ALL_CONDITIONS, ConditionRows, diagnosed_by
from openhaven.records.generator.encounters import EncounterRows
from openhaven.records.generator.patients import PatientBlock
from openhaven.records.schema import MEDICATIONS
from openhaven.records.schema import PROCEDURES as PROCEDURES_TABLE

MEDICINE_KEYS: tuple[str, ...] = tuple(MEDICINES)
MEDICINE_INDEX = {key: i for i, key in enumerate(MEDICINE_KEYS)}
PROCEDURE_KEYS: tuple[str, ...] = tuple(PROCEDURES)
PROCEDURE_INDEX = {key: i for i, key in enumerate(PROCEDURE_KEYS)}
STOPPED_SHARE = 0.12
ACUTE_PRESCRIBING_CHANCE = 0.08


@dataclass(frozen=True)
class MedicationRows:
    encounter: Ints
    medicine: Ints
    start_day: Ints
    end_day: Ints  # -1 while current


def draw_medications(
    rng: np.random.Generator,
    patients: PatientBlock,
    conditions: ConditionRows,
    encounters: EncounterRows,
) -> MedicationRows:
    encounter_parts: list[Ints] = []
    medicine_parts: list[Ints] = []
    start_parts: list[Ints] = []
    end_parts: list[Ints] = []

    for index, condition in enumerate(ALL_CONDITIONS):
        rows = np.flatnonzero(conditions.condition == index)
        for medicine, chance in condition.medicines:
            chosen = rows[rng.random(rows.size) < chance]
            start = conditions.onset_day[chosen]
            last_day = np.where(
                conditions.resolved_day[chosen] >= 0,
                conditions.resolved_day[chosen],
                patients.death_day[conditions.patient[chosen]],
            )
            stopped = rng.random(chosen.size) < STOPPED_SHARE
            stop_day = start + np.floor(
                rng.random(chosen.size) * (patients.end_day[conditions.patient[chosen]] - start)
            ).astype(np.int64)
            end = np.where(stopped, stop_day, last_day)
            encounter_parts.append(encounters.condition_encounter[chosen])
            medicine_parts.append(np.full(chosen.size, MEDICINE_INDEX[medicine], dtype=np.int64))
            start_parts.append(start)
            end_parts.append(np.where(end >= start, end, -1))

    # Short courses at GP consultations.
    consulting = np.flatnonzero(
        encounters.is_kind("gp_surgery", "gp_telephone", "home_visit")
        & (rng.random(encounters.count) < ACUTE_PRESCRIBING_CHANCE)
    )
    keys, weights, days = zip(*ACUTE_MEDICINES, strict=True)
    which = rng.choice(len(keys), size=consulting.size, p=np.asarray(weights) / sum(weights))
    start = encounters.start_day[consulting]
    course_end = np.minimum(
        start + np.asarray(days)[which], patients.end_day[encounters.patient[consulting]]
    )
    encounter_parts.append(consulting)
    medicine_parts.append(np.asarray([MEDICINE_INDEX[k] for k in keys])[which])
    start_parts.append(start)
    end_parts.append(course_end.astype(np.int64))

    encounter = np.concatenate(encounter_parts)
    order = np.argsort(encounter, kind="stable")
    return MedicationRows(
        encounter=encounter[order],
        medicine=np.concatenate(medicine_parts)[order],
        start_day=np.concatenate(start_parts)[order],
        end_day=np.concatenate(end_parts)[order],
    )


def medications_table(
    block_index: int,
    patients: PatientBlock,
    encounters: EncounterRows,
    encounter_ids: pa.Array,
    rows: MedicationRows,
) -> pa.Table:
    count = int(rows.encounter.size)
    medicines = [MEDICINES[k] for k in MEDICINE_KEYS]
    columns = {
        "medication_id": numbered_ids(
            "MD", block_index * 10**8 + np.arange(count, dtype=np.int64), 13
        ),
        "patient_id": patients.patient_id.take(pa.array(encounters.patient[rows.encounter])),
        "encounter_id": encounter_ids.take(pa.array(rows.encounter)),
        "code_system": pick(["dmd"], np.zeros(count, dtype=np.int64)),
        "code": pick([m.dmd for m in medicines], rows.medicine),
        "display": pick([m.display for m in medicines], rows.medicine),
        "start_date": dates(rows.start_day),
        "end_date": dates(np.maximum(rows.end_day, 0), missing=rows.end_day < 0),
    }
    return pa.Table.from_pydict(columns, schema=MEDICATIONS.arrow_schema())


@dataclass(frozen=True)
class ProcedureRows:
    encounter: Ints
    procedure: Ints


def draw_procedures(
    rng: np.random.Generator,
    patients: PatientBlock,
    conditions: ConditionRows,
    encounters: EncounterRows,
) -> ProcedureRows:
    p = encounters.patient
    age = patients.age[p]
    female = patients.sex[p] == 1
    gp = encounters.is_kind("gp_surgery", "gp_review")
    outpatient = encounters.is_kind("outpatient")
    emergency = encounters.is_kind("emergency")
    inpatient = encounters.is_kind("inpatient")
    has = {
        key: diagnosed_by(conditions, (key,), p, encounters.start_day, patients.count)
        for key in (
            "type_2_diabetes",
            "type_1_diabetes",
            "copd",
            "asthma",
            "coronary_heart_disease",
            "atrial_fibrillation",
            "heart_failure",
            "colorectal_cancer",
            "osteoarthritis",
        )
    }
    diabetic = has["type_2_diabetes"] | has["type_1_diabetes"]
    chest = has["copd"] | has["asthma"]
    cardiac = has["coronary_heart_disease"] | has["atrial_fibrillation"] | has["heart_failure"]
    flu_eligible = (age >= 65) | diabetic | chest | cardiac

    chances: dict[str, np.ndarray] = {
        "flu_vaccination": gp * flu_eligible * 0.15,
        "cervical_screening": gp * female * ((age >= 25) & (age < 65)) * 0.04,
        "diabetic_foot_exam": gp * diabetic * 0.25,
        "spirometry": gp * chest * 0.05 + outpatient * chest * 0.3,
        "ecg": gp * has["atrial_fibrillation"] * 0.05
        + outpatient * cardiac * 0.3
        + emergency * 0.3,
        "mammography": outpatient * female * ((age >= 50) & (age < 71)) * 0.3,
        "colonoscopy": outpatient
        * np.where(has["colorectal_cancer"], 0.5, ((age >= 60) & (age < 75)) * 0.05),
        "chest_xray": emergency * 0.25 + inpatient * 0.3,
        "hip_replacement": inpatient * has["osteoarthritis"] * 0.1,
        "knee_replacement": inpatient * has["osteoarthritis"] * 0.1,
        "pci": inpatient * has["coronary_heart_disease"] * 0.2,
        "appendicectomy": inpatient * (age < 60) * 0.02,
    }
    encounter_parts: list[Ints] = []
    procedure_parts: list[Ints] = []
    for key, chance in chances.items():
        drawn = rng.random(encounters.count) < np.asarray(chance, dtype=np.float64)
        at: Ints = np.flatnonzero(drawn)
        encounter_parts.append(at)
        procedure_parts.append(np.full(at.size, PROCEDURE_INDEX[key], dtype=np.int64))
    encounter = np.concatenate(encounter_parts)
    order = np.argsort(encounter, kind="stable")
    return ProcedureRows(encounter[order], np.concatenate(procedure_parts)[order])


def procedures_table(
    block_index: int,
    patients: PatientBlock,
    encounters: EncounterRows,
    encounter_ids: pa.Array,
    rows: ProcedureRows,
) -> pa.Table:
    count = int(rows.encounter.size)
    procedures = [PROCEDURES[k] for k in PROCEDURE_KEYS]
    columns = {
        "procedure_id": numbered_ids(
            "PR", block_index * 10**8 + np.arange(count, dtype=np.int64), 13
        ),
        "patient_id": patients.patient_id.take(pa.array(encounters.patient[rows.encounter])),
        "encounter_id": encounter_ids.take(pa.array(rows.encounter)),
        "code_system": pick(["snomed"], np.zeros(count, dtype=np.int64)),
        "code": pick([p.snomed for p in procedures], rows.procedure),
        "display": pick([p.display for p in procedures], rows.procedure),
        "procedure_date": dates(encounters.start_day[rows.encounter]),
    }
    return pa.Table.from_pydict(columns, schema=PROCEDURES_TABLE.arrow_schema())

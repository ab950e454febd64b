"""Measurements taken at encounters, driven by the patient's conditions.

Each kind of measurement has a chance of being taken at each encounter that depends on the
patient (blood pressure far more often for people with hypertension, HbA1c for people with
diabetes, eGFR for people with CKD) and a value drawn around a per-patient level, so
repeated readings of one patient agree with each other and with their diagnoses: people
with hypertension have higher blood pressure, people with diabetes a higher HbA1c, people
with CKD an eGFR under 60, and recorded obesity implies a BMI of 30 or more.

Ranges follow UK clinical norms (NICE NG136 for blood pressure, NG28 for HbA1c, NG203
for eGFR). Units are UCUM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openhaven.records.generator.arrow_columns import (
    Bools,
    Floats,
    Ints,
    dates,
    doubles,
    numbered_ids,
    pick,
)
from openhaven.records.generator.care_catalogue import MEASUREMENTS, SMOKING_TEXT
from openhaven.records.generator.conditions import ConditionRows, diagnosed_by
from openhaven.records.generator.encounters import FACE_TO_FACE, EncounterRows
from openhaven.records.generator.patients import PatientBlock
from openhaven.records.schema import OBSERVATIONS

KINDS: tuple[str, ...] = tuple(MEASUREMENTS)
KIND_INDEX = {key: i for i, key in enumerate(KINDS)}


@dataclass
class _Parts:
    encounter: list[Ints]
    kind: list[Ints]
    value: list[Floats]

    def add(self, encounter: Ints, kind: str, value: Floats) -> None:
        self.encounter.append(encounter)
        self.kind.append(np.full(encounter.size, KIND_INDEX[kind], dtype=np.int64))
        self.value.append(value)


@dataclass(frozen=True)
class ObservationRows:
    encounter: Ints
    kind: Ints
    value: Floats  # NaN for the smoking observation (text-valued)


def _taken(rng: np.random.Generator, probability: np.ndarray) -> Ints:
    result: Ints = np.flatnonzero(rng.random(probability.size) < probability)
    return result


def draw_observations(
    rng: np.random.Generator,
    patients: PatientBlock,
    conditions: ConditionRows,
    encounters: EncounterRows,
) -> ObservationRows:
    p = encounters.patient
    n = patients.count
    age = patients.age[p]
    adult = age >= 18
    in_person = np.isin(encounters.kind, FACE_TO_FACE)

    def by_then(*keys: str) -> Bools:
        """Per encounter: had the patient been diagnosed with any of ``keys`` by its date?"""
        return diagnosed_by(conditions, keys, p, encounters.start_day, n)

    hypertensive = by_then("hypertension")
    diabetic = by_then("type_2_diabetes", "type_1_diabetes")
    ckd = by_then("chronic_kidney_disease")
    vascular = by_then("coronary_heart_disease", "stroke", "type_2_diabetes")
    af = by_then("atrial_fibrillation")
    obese_coded = by_then("obesity")
    parts = _Parts([], [], [])

    # Blood pressure: a per-patient level, each reading scattered around it; higher once
    # hypertension is diagnosed (as it is what led to the diagnosis).
    systolic_level = np.where(
        patients.age >= 18, 112 + 0.42 * np.maximum(patients.age - 20, 0), 92 + 1.1 * patients.age
    ) + rng.normal(0, 9, n)
    diastolic_level = np.where(
        patients.age >= 18, 70 + 0.12 * np.clip(patients.age - 20, 0, 40), 60
    ) + rng.normal(0, 6, n)
    chance = np.where(adult, 0.2 + 0.35 * hypertensive + 0.1 * (age >= 65), 0.01) * in_person
    at = _taken(rng, chance)
    systolic = systolic_level[p[at]] + 12 * hypertensive[at] + rng.normal(0, 7, at.size)
    diastolic = diastolic_level[p[at]] + 6 * hypertensive[at] + rng.normal(0, 5, at.size)
    systolic = np.clip(np.rint(systolic), 80, 230)
    diastolic = np.minimum(np.clip(np.rint(diastolic), 40, 130), systolic - 20)
    parts.add(at, "systolic", systolic)
    parts.add(at, "diastolic", diastolic)

    # Body size: BMI with the weight and height it was computed from.
    chance = np.where(adult, 0.1 + 0.12 * (obese_coded | diabetic), 0.03) * in_person
    at = _taken(rng, chance)
    bmi = np.round(patients.bmi[p[at]] + rng.normal(0, 0.5, at.size), 1)
    bmi = np.where(obese_coded[at], np.maximum(bmi, 30.0), bmi)
    height = patients.height_cm[p[at]]
    weight = np.round(bmi * (height / 100) ** 2, 1)
    parts.add(at, "bmi", bmi)
    parts.add(at, "weight", weight)
    parts.add(at, "height", height)

    # HbA1c, mmol/mol: around 58 once diabetic, otherwise in the normal range.
    diabetic_level = rng.normal(58, 11, n)
    normal_level = rng.normal(37, 3, n)
    chance = np.where(diabetic, 0.35, np.where(age >= 40, 0.03, 0.0))
    at = _taken(rng, chance)
    level = np.where(diabetic[at], diabetic_level[p[at]], normal_level[p[at]])
    hba1c = np.rint(level + rng.normal(0, 3, at.size))
    hba1c = np.where(diabetic[at], np.clip(hba1c, 40, 130), np.clip(hba1c, 25, 47))
    parts.add(at, "hba1c", hba1c)

    # eGFR, mL/min/1.73m2: under 60 once CKD is diagnosed, falling with age otherwise.
    ckd_level = rng.normal(45, 9, n)
    normal_level = 112 - 0.7 * patients.age + rng.normal(0, 9, n)
    chance = np.where(ckd, 0.35, np.where(diabetic | hypertensive, 0.12, 0.02 * adult))
    at = _taken(rng, chance)
    level = np.where(ckd[at], ckd_level[p[at]], normal_level[p[at]])
    egfr = np.rint(level + rng.normal(0, 3, at.size))
    egfr = np.where(ckd[at], np.clip(egfr, 8, 59), np.clip(egfr, 60, 130))
    parts.add(at, "egfr", egfr)

    # Total cholesterol, mmol/L: lower on treatment after a vascular diagnosis.
    chance = np.where(vascular, 0.12, np.where(age >= 40, 0.03, 0.0))
    at = _taken(rng, chance)
    cholesterol = np.round(np.clip(rng.normal(5.0, 1.0, at.size) - 0.6 * vascular[at], 2.5, 9.5), 1)
    parts.add(at, "cholesterol", cholesterol)

    # Heart rate, faster and more variable in atrial fibrillation.
    chance = np.where(af, 0.3, 0.08) * in_person
    at = _taken(rng, chance)
    rate = np.where(af[at], rng.normal(88, 16, at.size), rng.normal(74, 10, at.size))
    parts.add(at, "heart_rate", np.clip(np.rint(rate), 40, 180))

    # Smoking status (text-valued).
    at = _taken(rng, np.where(age >= 16, 0.08, 0.0))
    parts.add(at, "smoking", np.full(at.size, np.nan))

    encounter = np.concatenate(parts.encounter)
    order = np.argsort(encounter, kind="stable")
    return ObservationRows(
        encounter=encounter[order],
        kind=np.concatenate(parts.kind)[order],
        value=np.concatenate(parts.value)[order],
    )


def observations_table(
    block_index: int,
    patients: PatientBlock,
    encounters: EncounterRows,
    encounter_ids: pa.Array,
    rows: ObservationRows,
) -> pa.Table:
    count = int(rows.encounter.size)
    patient = encounters.patient[rows.encounter]
    measurements = [MEASUREMENTS[k] for k in KINDS]
    is_text: Bools = rows.kind == KIND_INDEX["smoking"]
    smoking_text = np.where(is_text, patients.smoking[patient], -1)
    columns = {
        "observation_id": numbered_ids(
            "OB", block_index * 10**8 + np.arange(count, dtype=np.int64), 13
        ),
        "patient_id": patients.patient_id.take(pa.array(patient)),
        "encounter_id": encounter_ids.take(pa.array(rows.encounter)),
        "code_system": pick(["snomed"], np.zeros(count, dtype=np.int64)),
        "code": pick([m.snomed for m in measurements], rows.kind),
        "display": pick([m.display for m in measurements], rows.kind),
        "observation_date": dates(encounters.start_day[rows.encounter]),
        "value_numeric": doubles(np.nan_to_num(rows.value), missing=is_text),
        "value_text": pick(SMOKING_TEXT, smoking_text),
        "unit": pick([m.unit or "" for m in measurements], np.where(is_text, -1, rows.kind)),
    }
    return pa.Table.from_pydict(columns, schema=OBSERVATIONS.arrow_schema())

"""Which conditions each patient has, and since when: prevalence by age and sex, plus comorbidity.

Conditions are drawn in catalogue order so that a condition's risk factors (earlier
conditions, obesity, smoking, heritage) are known when it is drawn. Risk multipliers are
normalised within each age decade, so comorbidity moves risk between people without
inflating the decade's overall prevalence away from the catalogue's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openhaven.records.generator import clinical_catalogue as catalogue
from openhaven.records.generator.arrow_columns import (
    Bools,
    Floats,
    Ints,
    dates,
    numbered_ids,
    pick,
    years_to_days,
)
from openhaven.records.generator.ethnicity import CODES as ETHNIC_CODES
from openhaven.records.generator.patients import EX_SMOKER, SMOKER, PatientBlock
from openhaven.records.schema import CONDITIONS

ALL_CONDITIONS: tuple[catalogue.Condition, ...] = (*catalogue.CONDITIONS, catalogue.OBESITY)
CONDITION_INDEX = {condition.key: i for i, condition in enumerate(ALL_CONDITIONS)}

#: Extra mortality (multiplier on the age/sex death rate) that a condition brings.
MORTALITY_RISK = {
    "heart_failure": 2.5,
    "dementia": 2.5,
    "lung_cancer": 5.0,
    "copd": 1.8,
    "stroke": 1.5,
    "chronic_kidney_disease": 1.4,
    "colorectal_cancer": 1.8,
}

SOUTH_ASIAN = tuple(ETHNIC_CODES.index(c) for c in ("H", "J", "K"))
BLACK = tuple(ETHNIC_CODES.index(c) for c in ("M", "N", "P"))


@dataclass(frozen=True)
class ConditionPresence:
    """An (patients, conditions) boolean matrix; column order is ``ALL_CONDITIONS``."""

    has: Bools

    def of(self, key: str) -> Bools:
        result: Bools = self.has[:, CONDITION_INDEX[key]]
        return result

    def any_of(self, *keys: str) -> Bools:
        columns = [CONDITION_INDEX[k] for k in keys]
        result: Bools = np.asarray(self.has[:, columns].any(axis=1), dtype=np.bool_)
        return result

    @property
    def chronic_count(self) -> Ints:
        result: Ints = self.has.sum(axis=1).astype(np.int64)
        return result

    def mortality_multiplier(self) -> Floats:
        multiplier = np.ones(self.has.shape[0])
        for key, factor in MORTALITY_RISK.items():
            multiplier = np.where(self.of(key), multiplier * factor, multiplier)
        return multiplier


@dataclass(frozen=True)
class ConditionRows:
    """One row per recorded condition, sorted by patient then onset."""

    patient: Ints
    condition: Ints
    onset_day: Ints
    resolved_day: Ints  # -1 if not resolved
    in_hospital: Bools

    @property
    def count(self) -> int:
        return int(self.patient.size)


def _risk_flags(patients: PatientBlock, has: dict[str, Bools]) -> dict[str, Bools]:
    flags = dict(has)
    flags["obese"] = patients.adult & (patients.bmi >= 30)
    flags["smoker"] = patients.smoking == SMOKER
    flags["ex_smoker"] = patients.smoking == EX_SMOKER
    flags["south_asian"] = np.isin(patients.ethnicity, SOUTH_ASIAN)
    flags["black"] = np.isin(patients.ethnicity, BLACK)
    return flags


def draw_presence(rng: np.random.Generator, patients: PatientBlock) -> ConditionPresence:
    """Who has which condition (at the extract date)."""
    decade = np.minimum(patients.age // 10, 9).astype(np.int64)
    per_decade = np.maximum(np.bincount(decade, minlength=10), 1)
    has: dict[str, Bools] = {}
    for condition in catalogue.CONDITIONS:
        flags = _risk_flags(patients, has)
        multiplier = np.ones(patients.count)
        for factor, value in condition.risks:
            multiplier = np.where(flags[factor], multiplier * value, multiplier)
        mean_in_decade = np.bincount(decade, weights=multiplier, minlength=10) / per_decade
        probability = (
            np.asarray(condition.by_decade)[decade]
            * np.asarray(condition.sex_factor)[patients.sex]
            * multiplier
            / np.maximum(mean_in_decade[decade], 1e-9)
        )
        eligible = patients.age >= condition.min_onset_age
        drawn = rng.random(patients.count) < np.minimum(probability, 0.95)
        has[condition.key] = np.asarray(eligible & drawn, dtype=np.bool_)
    obese = patients.adult & (patients.bmi >= 30)
    has[catalogue.OBESITY.key] = obese & (
        rng.random(patients.count) < catalogue.OBESITY_CODED_SHARE
    )
    matrix = np.column_stack([has[c.key] for c in ALL_CONDITIONS])
    return ConditionPresence(matrix)


def draw_rows(
    rng: np.random.Generator, patients: PatientBlock, presence: ConditionPresence
) -> ConditionRows:
    """Onset and resolution dates for every present condition, within the patient's life."""
    patient, condition = np.nonzero(presence.has)
    patient = patient.astype(np.int64)
    condition = condition.astype(np.int64)
    min_onset = np.array([c.min_onset_age for c in ALL_CONDITIONS])[condition]
    mean_duration = np.array([c.mean_duration_years for c in ALL_CONDITIONS])[condition]
    end_day = patients.end_day[patient]
    birth_day = patients.birth_day[patient]
    age_at_end = (end_day - birth_day) / 365.2425
    onset_age = np.clip(age_at_end - rng.exponential(mean_duration), min_onset, age_at_end)
    onset_day = np.clip(birth_day + years_to_days(onset_age), birth_day, end_day)

    resolved_share = np.array([c.resolved_share for c in ALL_CONDITIONS])[condition]
    span = end_day - onset_day
    resolves = (rng.random(patient.size) < resolved_share) & (span > 60)
    resolved_day = np.where(
        resolves, onset_day + 30 + np.floor(rng.random(patient.size) * np.maximum(span - 30, 1)), -1
    ).astype(np.int64)

    hospital_share = np.array([c.hospital_share for c in ALL_CONDITIONS])[condition]
    in_hospital = rng.random(patient.size) < hospital_share

    order = np.lexsort((onset_day, patient))
    return ConditionRows(
        patient=patient[order],
        condition=condition[order],
        onset_day=onset_day[order],
        resolved_day=resolved_day[order],
        in_hospital=in_hospital[order],
    )


def diagnosed_by(
    rows: ConditionRows, keys: tuple[str, ...], patient: Ints, day: Ints, patient_count: int
) -> Bools:
    """For each (patient, day): had the patient been diagnosed with any of ``keys`` by then?

    Events use this rather than "has the condition at all" so that nothing anticipates a
    diagnosis: no high HbA1c years before diabetes, no foot checks before it either.
    """
    first = np.full(patient_count, np.iinfo(np.int64).max, dtype=np.int64)
    chosen = np.isin(rows.condition, [CONDITION_INDEX[k] for k in keys])
    np.minimum.at(first, rows.patient[chosen], rows.onset_day[chosen])
    result: Bools = day >= first[patient]
    return result


def conditions_table(
    block_index: int,
    patient_ids: pa.Array,
    rows: ConditionRows,
    encounter_ids: pa.Array,
    condition_encounter: Ints,
) -> pa.Table:
    """The ``conditions`` table: SNOMED CT from primary care, ICD-10 where hospital-recorded."""
    system = np.where(rows.in_hospital, 1, 0)
    # Codes laid out as [snomed of each condition..., icd10 of each condition...].
    codes = [c.snomed for c in ALL_CONDITIONS] + [c.icd10 for c in ALL_CONDITIONS]
    displays = [c.snomed_display for c in ALL_CONDITIONS] + [
        c.icd10_display for c in ALL_CONDITIONS
    ]
    lookup = rows.condition + system * len(ALL_CONDITIONS)
    columns = {
        "condition_id": numbered_ids(
            "CO", block_index * 10**8 + np.arange(rows.count, dtype=np.int64), 13
        ),
        "patient_id": patient_ids.take(pa.array(rows.patient)),
        "encounter_id": encounter_ids.take(pa.array(condition_encounter)),
        "code_system": pick(["snomed", "icd10"], system),
        "code": pick(codes, lookup),
        "display": pick(displays, lookup),
        "onset_date": dates(rows.onset_day),
        "resolved_date": dates(np.maximum(rows.resolved_day, 0), missing=rows.resolved_day < 0),
    }
    return pa.Table.from_pydict(columns, schema=CONDITIONS.arrow_schema())

"""Contacts with care: the encounter where each condition was diagnosed, and routine ones.

Every condition gets the encounter it was diagnosed in (a GP consultation, or for the
hospital-recorded minority an admission or outpatient visit, on the onset date). On top,
each patient has routine contacts over the last ``ROUTINE_WINDOW_YEARS``, more for the
very young, the old, women of working age and people with long-term conditions (after
the shape of GP consultation rates in NHS Digital's *Appointments in General Practice*).
Observations, prescriptions, procedures and notes all hang off these encounters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openhaven.records.generator import places
from openhaven.records.generator.arrow_columns import Bools, Ints, dates, numbered_ids, pick
from openhaven.records.generator.care_catalogue import ENCOUNTER_TYPES
from openhaven.records.generator.conditions import (
    ALL_CONDITIONS,
    ConditionPresence,
    ConditionRows,
)
from openhaven.records.generator.identities import practice_lookup
from openhaven.records.generator.patients import PatientBlock
from openhaven.records.schema import ENCOUNTERS

TYPE_KEYS: tuple[str, ...] = tuple(ENCOUNTER_TYPES)
TYPE_INDEX = {key: i for i, key in enumerate(TYPE_KEYS)}
GP_TYPES = tuple(TYPE_INDEX[k] for k in ("gp_surgery", "gp_review", "gp_telephone", "home_visit"))
FACE_TO_FACE = tuple(
    TYPE_INDEX[k]
    for k in ("gp_surgery", "gp_review", "home_visit", "outpatient", "emergency", "inpatient")
)
ROUTINE_WINDOW_YEARS = 2.0
#: Conditions that, when diagnosed in hospital, are diagnosed on an admission.
ADMITTED_CONDITIONS = frozenset(
    {"stroke", "heart_failure", "coronary_heart_disease", "copd", "atrial_fibrillation"}
)
#: Routine mix: (type, weight).
ROUTINE_MIX = (
    ("gp_surgery", 0.50),
    ("gp_review", 0.12),
    ("gp_telephone", 0.22),
    ("home_visit", 0.01),
    ("outpatient", 0.09),
    ("emergency", 0.05),
    ("inpatient", 0.012),
)


@dataclass(frozen=True)
class EncounterRows:
    """One row per encounter, sorted by patient then start day."""

    patient: Ints
    kind: Ints  # index into TYPE_KEYS
    start_day: Ints
    end_day: Ints
    #: For each condition row, the encounter row it was diagnosed in.
    condition_encounter: Ints

    @property
    def count(self) -> int:
        return int(self.patient.size)

    def is_kind(self, *keys: str) -> Bools:
        result: Bools = np.isin(self.kind, [TYPE_INDEX[k] for k in keys])
        return result


def _routine_rate(patients: PatientBlock, presence: ConditionPresence) -> np.ndarray:
    """Routine contacts per year."""
    base = np.interp(
        patients.age, [0, 4, 5, 15, 25, 45, 65, 75, 90], [3.5, 2.6, 1.1, 1.3, 1.7, 2.2, 3.4, 5, 7]
    )
    working_age_women = (patients.sex == 1) & (patients.age >= 16) & (patients.age < 50)
    base = np.where(working_age_women, base * 1.5, base)
    result: np.ndarray = base + 0.8 * presence.chronic_count
    return result


def draw_encounters(
    rng: np.random.Generator,
    patients: PatientBlock,
    presence: ConditionPresence,
    conditions: ConditionRows,
) -> EncounterRows:
    # Diagnosis encounters, one per condition row.
    admitted = np.array([c.key in ADMITTED_CONDITIONS for c in ALL_CONDITIONS])[
        conditions.condition
    ]
    diagnosis_kind = np.where(
        conditions.in_hospital,
        np.where(admitted, TYPE_INDEX["inpatient"], TYPE_INDEX["outpatient"]),
        np.where(
            rng.random(conditions.count) < 0.8, TYPE_INDEX["gp_surgery"], TYPE_INDEX["gp_review"]
        ),
    )

    # Routine encounters within the window (or the patient's life, if shorter).
    end_day = patients.end_day
    window_start = np.maximum(
        patients.as_of_day - int(ROUTINE_WINDOW_YEARS * 365.2425), patients.birth_day
    )
    window_years = np.maximum(end_day - window_start, 0) / 365.2425
    routine_count = rng.poisson(_routine_rate(patients, presence) * window_years)
    routine_patient = np.repeat(np.arange(patients.count, dtype=np.int64), routine_count)
    span = end_day[routine_patient] - window_start[routine_patient]
    routine_start = window_start[routine_patient] + np.floor(
        rng.random(routine_patient.size) * (span + 1)
    ).astype(np.int64)
    mix_keys, mix_weights = zip(*ROUTINE_MIX, strict=True)
    weights = np.asarray(mix_weights) / sum(mix_weights)
    routine_kind = np.asarray([TYPE_INDEX[k] for k in mix_keys])[
        rng.choice(len(mix_keys), size=routine_patient.size, p=weights)
    ]
    frail = patients.age[routine_patient] >= 80
    home = frail & (rng.random(routine_patient.size) < 0.08)
    routine_kind = np.where(home, TYPE_INDEX["home_visit"], routine_kind)

    patient = np.concatenate([conditions.patient, routine_patient])
    kind = np.concatenate([diagnosis_kind, routine_kind]).astype(np.int64)
    start = np.concatenate([conditions.onset_day, routine_start]).astype(np.int64)
    stay = 1 + rng.geometric(0.25, size=patient.size)
    end = np.where(kind == TYPE_INDEX["inpatient"], start + stay, start)
    end = np.minimum(end, end_day[patient])

    order = np.lexsort((kind, start, patient))
    position = np.empty(order.size, dtype=np.int64)
    position[order] = np.arange(order.size, dtype=np.int64)
    return EncounterRows(
        patient=patient[order],
        kind=kind[order],
        start_day=start[order],
        end_day=end[order],
        condition_encounter=position[: conditions.count],
    )


def encounter_ids(block_index: int, count: int) -> pa.Array:
    return numbered_ids("EN", block_index * 10**8 + np.arange(count, dtype=np.int64), 13)


def encounters_table(patients: PatientBlock, rows: EncounterRows, ids: pa.Array) -> pa.Table:
    types = [ENCOUNTER_TYPES[k] for k in TYPE_KEYS]
    in_hospital = np.array([t.in_hospital for t in types])[rows.kind]
    practice_codes = practice_lookup().codes
    trust_codes = pa.array([r.trust_code for r in places.REGIONS], pa.string())
    organisation = np.where(
        in_hospital,
        patients.region[rows.patient] + len(practice_codes),
        patients.practice[rows.patient],
    )
    organisations = pa.concat_arrays([practice_codes, trust_codes])
    columns = {
        "encounter_id": ids,
        "patient_id": patients.patient_id.take(pa.array(rows.patient)),
        "encounter_class": pick([t.encounter_class for t in types], rows.kind),
        "code_system": pick(["snomed"], np.zeros(rows.count, dtype=np.int64)),
        "code": pick([t.snomed for t in types], rows.kind),
        "display": pick([t.display for t in types], rows.kind),
        "start_date": dates(rows.start_day),
        "end_date": dates(rows.end_day),
        "organisation_code": organisations.take(pa.array(organisation)),
    }
    return pa.Table.from_pydict(columns, schema=ENCOUNTERS.arrow_schema())

"""Free-text clinical notes that carry identifiers the way real notes do.

Notes exist so the haven's de-identification can be tested on realistic text: each one
names its patient, gives the NHS number (plain, spaced "943 476 5919" or dashed), dates in
several formats, the address, postcode and telephone number, and often a relative's or a
clinician's name, around genuine clinical content (the patient's conditions and
medicines).

Which encounters get a note: most admissions (a discharge summary), many outpatient visits
and some A&E attendances (a letter), a minority of GP consultations (a consultation note,
sometimes a referral). Text is assembled column-wise with polars string concatenation
over template pieces, never with a per-row format string.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from openhaven.records.generator import names, places
from openhaven.records.generator.arrow_columns import (
    Ints,
    dates,
    numbered_ids,
    pick,
    strings,
)
from openhaven.records.generator.care_catalogue import MEDICINES
from openhaven.records.generator.conditions import ALL_CONDITIONS, ConditionRows
from openhaven.records.generator.encounters import TYPE_INDEX, EncounterRows
from openhaven.records.generator.identities import practice_lookup
from openhaven.records.generator.note_templates import (
    EXAMINATIONS,
    FEMALE_RELATIONS,
    MALE_RELATIONS,
    PLANS,
    RELATIONS,
    SYMPTOMS,
    TEMPLATE_NAMES,
    lay_term,
    templates,
)
from openhaven.records.generator.patients import PatientBlock
from openhaven.records.generator.treatments import MEDICINE_KEYS, MedicationRows
from openhaven.records.schema import NOTES

NOTE_TYPES = ("consultation", "discharge_summary", "referral", "letter")

#: (encounter type, note type, chance that such an encounter has such a note)
NOTE_CHANCES = (
    ("gp_surgery", "consultation", 0.10),
    ("gp_review", "consultation", 0.10),
    ("home_visit", "consultation", 0.5),
    ("gp_telephone", "consultation", 0.06),
    ("gp_surgery", "referral", 0.02),
    ("inpatient", "discharge_summary", 0.9),
    ("outpatient", "letter", 0.5),
    ("emergency", "letter", 0.3),
)


def _titles(rng: np.random.Generator, age: Ints, female: np.ndarray) -> Ints:
    """Index into ("Mr", "Mrs", "Ms", "Miss", "Master"): Miss or Ms for young women."""
    count = age.size
    woman = np.where(
        age < 25,
        rng.choice([3, 2], size=count),
        rng.choice([1, 2, 3], size=count, p=[0.6, 0.3, 0.1]),
    )
    result: Ints = np.where(age < 16, np.where(female, 3, 4), np.where(female, woman, 0))
    return result


def _relations(rng: np.random.Generator, age: Ints, female: np.ndarray) -> Ints:
    """Who accompanies or is next of kin: a parent for children, a spouse or partner for
    adults, a daughter or son for the very old."""
    count = age.size
    spouse = np.where(female, 1, 0)
    adult = np.where(rng.random(count) < 0.15, 2, spouse)
    result: Ints = np.where(
        age < 16,
        rng.integers(5, 7, size=count),
        np.where(age >= 75, rng.integers(3, 5, size=count), adult),
    )
    return result


@dataclass(frozen=True)
class NoteRows:
    encounter: Ints
    note_type: Ints


def draw_notes(rng: np.random.Generator, encounters: EncounterRows) -> NoteRows:
    encounter_parts: list[Ints] = []
    type_parts: list[Ints] = []
    for encounter_type, note_type, chance in NOTE_CHANCES:
        candidates = np.flatnonzero(encounters.kind == TYPE_INDEX[encounter_type])
        chosen = candidates[rng.random(candidates.size) < chance]
        encounter_parts.append(chosen)
        type_parts.append(np.full(chosen.size, NOTE_TYPES.index(note_type), dtype=np.int64))
    encounter = np.concatenate(encounter_parts)
    order = np.argsort(encounter, kind="stable")
    return NoteRows(encounter[order], np.concatenate(type_parts)[order])


def _choice_known_by(
    rng: np.random.Generator,
    patient: Ints,
    day: Ints,
    value: Ints,
    note_patient: Ints,
    note_day: Ints,
) -> Ints:
    """For each note, a random ``value`` among its patient's rows dated on or before the
    note (so a note never mentions what had not happened yet); -1 where there is none."""
    order = np.lexsort((day, patient))
    stride = np.int64(1 << 20)  # above any day number in use
    keys = patient[order] * stride + day[order]
    first = np.searchsorted(keys, note_patient * stride, side="left")
    last = np.searchsorted(keys, note_patient * stride + note_day, side="right")
    known = last - first
    picked = first + np.floor(rng.random(note_patient.size) * known).astype(np.int64)
    result: Ints = np.where(known > 0, value[order][np.minimum(picked, order.size - 1)], -1)
    return result


def _date_text(days: pl.Expr, style: pl.Expr) -> pl.Expr:
    as_date = days.cast(pl.Date)
    return (
        pl.when(style == 0)
        .then(as_date.dt.strftime("%d/%m/%Y"))
        .when(style == 1)
        .then(as_date.dt.strftime("%-d %B %Y"))
        .when(style == 2)
        .then(as_date.dt.strftime("%d.%m.%y"))
        .otherwise(as_date.dt.strftime("%Y-%m-%d"))
    )


def _nhs_text(nhs: pl.Expr, style: pl.Expr) -> pl.Expr:
    spaced = pl.concat_str(
        [nhs.str.slice(0, 3), nhs.str.slice(3, 3), nhs.str.slice(6, 4)], separator=" "
    )
    dashed = pl.concat_str(
        [nhs.str.slice(0, 3), nhs.str.slice(3, 3), nhs.str.slice(6, 4)], separator="-"
    )
    chosen = pl.when(style == 0).then(nhs).when(style == 1).then(spaced).otherwise(dashed)
    return chosen.fill_null("not known")


def notes_table(
    rng: np.random.Generator,
    block_index: int,
    patients: PatientBlock,
    encounters: EncounterRows,
    encounter_ids: pa.Array,
    conditions: ConditionRows,
    medications: MedicationRows,
    rows: NoteRows,
) -> pa.Table:
    count = int(rows.encounter.size)
    p = encounters.patient[rows.encounter]
    kind = encounters.kind[rows.encounter]

    note_day = encounters.start_day[rows.encounter]
    condition_of = _choice_known_by(
        rng, conditions.patient, conditions.onset_day, conditions.condition, p, note_day
    )
    # A medicine is mentioned only if it was current on the note's date.
    medicine_row = _choice_known_by(
        rng,
        encounters.patient[medications.encounter],
        medications.start_day,
        np.arange(medications.medicine.size, dtype=np.int64),
        p,
        note_day,
    )
    still_taken = (medicine_row >= 0) & (
        (medications.end_day[np.maximum(medicine_row, 0)] < 0)
        | (medications.end_day[np.maximum(medicine_row, 0)] >= note_day)
    )
    medicine_of = np.where(still_taken, medications.medicine[np.maximum(medicine_row, 0)], -1)
    condition_terms = [lay_term(c.key) for c in ALL_CONDITIONS]
    medicine_terms = [MEDICINES[k].display for k in MEDICINE_KEYS]
    british_given = names.BRITISH_MALE_BORN_1960_1995 + names.BRITISH_FEMALE_BORN_1960_1995
    gp_names = rng.integers(0, len(names.BRITISH_FAMILY), size=count)
    clinician_given = rng.integers(0, len(british_given), size=count)
    clinician_family = rng.integers(0, len(names.BRITISH_FAMILY), size=count)
    age = np.floor(patients.age[p]).astype(np.int64)
    female = patients.sex[p] == 1
    relation = _relations(rng, age, female)
    title = _titles(rng, age, female)
    # A relative's given name matches the relation's sex ("partner" may be either).
    male_names = len(names.BRITISH_MALE_BORN_1960_1995)
    relative_is_female = np.where(
        np.isin(relation, FEMALE_RELATIONS),
        True,
        np.where(np.isin(relation, MALE_RELATIONS), False, rng.random(count) < 0.5),
    )
    relative_name = np.where(
        relative_is_female,
        male_names + rng.integers(0, len(british_given) - male_names, size=count),
        rng.integers(0, male_names, size=count),
    )
    practices = practice_lookup()
    trusts = [r.trust_name for r in places.REGIONS]

    template = np.select(
        [
            (rows.note_type == NOTE_TYPES.index("consultation"))
            & (kind == TYPE_INDEX["gp_telephone"]),
            rows.note_type == NOTE_TYPES.index("consultation"),
            rows.note_type == NOTE_TYPES.index("referral"),
            rows.note_type == NOTE_TYPES.index("discharge_summary"),
            kind == TYPE_INDEX["emergency"],
        ],
        [
            TEMPLATE_NAMES.index("telephone"),
            TEMPLATE_NAMES.index("consultation"),
            TEMPLATE_NAMES.index("referral"),
            TEMPLATE_NAMES.index("discharge_summary"),
            TEMPLATE_NAMES.index("emergency_letter"),
        ],
        TEMPLATE_NAMES.index("clinic_letter"),
    )
    family = patients.family_name.take(pa.array(p))
    frame = pl.DataFrame(
        {
            "row": np.arange(count, dtype=np.int64),
            "template": template,
            "given": pl.Series(patients.given_name.take(pa.array(p))),
            "family": pl.Series(family),
            "title": pl.Series(pick(("Mr", "Mrs", "Ms", "Miss", "Master"), title)),
            "nhs_plain": pl.Series(patients.nhs_number.take(pa.array(p))),
            "nhs_style": rng.integers(0, 3, size=count),
            "dob_days": patients.birth_day[p].astype(np.int32),
            "date_days": encounters.start_day[rows.encounter].astype(np.int32),
            "end_days": encounters.end_day[rows.encounter].astype(np.int32),
            "date_style": rng.integers(0, 4, size=count),
            "address": pl.Series(patients.address_line.take(pa.array(p))),
            "postcode": pl.Series(patients.postcode.take(pa.array(p))),
            "phone": pl.Series(patients.phone.take(pa.array(p))),
            "age": age,
            "relation": pl.Series(pick(RELATIONS, relation)),
            "relative": pl.Series(pick(british_given, relative_name)),
            "condition": pl.Series(
                pick(
                    [*condition_terms, "no significant past medical history"],
                    np.where(condition_of < 0, len(condition_terms), condition_of),
                )
            ),
            "medicine": pl.Series(
                pick(
                    [*medicine_terms, "no regular medication"],
                    np.where(medicine_of < 0, len(medicine_terms), medicine_of),
                )
            ),
            "symptom": pl.Series(pick(SYMPTOMS, rng.integers(0, len(SYMPTOMS), size=count))),
            "exam": pl.Series(pick(EXAMINATIONS, rng.integers(0, len(EXAMINATIONS), size=count))),
            "plan": pl.Series(pick(PLANS, rng.integers(0, len(PLANS), size=count))),
            "weeks": rng.integers(1, 7, size=count),
            "clinician_given": pl.Series(pick(british_given, clinician_given)),
            "clinician_family": pl.Series(pick(names.BRITISH_FAMILY, clinician_family)),
            "gp_family": pl.Series(pick(names.BRITISH_FAMILY, gp_names)),
            "practice": pl.Series(practices.names.take(pa.array(patients.practice[p]))),
            "trust": pl.Series(pick(trusts, patients.region[p])),
        }
    )
    frame = frame.with_columns(
        nhs=_nhs_text(pl.col("nhs_plain"), pl.col("nhs_style")),
        dob=_date_text(pl.col("dob_days"), pl.col("date_style")),
        date=_date_text(pl.col("date_days"), pl.col("date_style")),
        end_date=_date_text(pl.col("end_days"), pl.col("date_style")),
        phone=pl.col("phone").fill_null("no number on record"),
        # Calls about children are with a parent, named as such.
        caller=pl.when(pl.col("age") < 16)
        .then(
            pl.concat_str(
                [
                    pl.col("given"),
                    pl.lit(" "),
                    pl.col("family"),
                    pl.lit("'s "),
                    pl.col("relation"),
                    pl.lit(" "),
                    pl.col("relative"),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.col("title"), pl.col("family")], separator=" ")),
        age=pl.col("age").cast(pl.String),
        weeks=pl.col("weeks").cast(pl.String),
        family_upper=pl.col("family").str.to_uppercase(),
        clinician=pl.concat_str(
            [pl.lit("Dr "), pl.col("clinician_given"), pl.lit(" "), pl.col("clinician_family")]
        ),
        gp=pl.concat_str([pl.lit("Dr "), pl.col("gp_family")]),
    )
    pieces = []
    for number, (_, parts) in enumerate(templates().items()):
        exprs = [pl.lit(part) if isinstance(part, str) else part for part in parts]
        pieces.append(
            frame.filter(pl.col("template") == number).select("row", text=pl.concat_str(exprs))
        )
    texts = pl.concat(pieces).sort("row")["text"]
    columns = {
        "note_id": numbered_ids("NT", block_index * 10**8 + np.arange(count, dtype=np.int64), 13),
        "patient_id": patients.patient_id.take(pa.array(p)),
        "encounter_id": encounter_ids.take(pa.array(rows.encounter)),
        "note_date": dates(
            np.where(
                rows.note_type == NOTE_TYPES.index("discharge_summary"),
                encounters.end_day[rows.encounter],
                encounters.start_day[rows.encounter],
            )
        ),
        "note_type": pick(NOTE_TYPES, rows.note_type),
        "text": strings(texts),
    }
    return pa.Table.from_pydict(columns, schema=NOTES.arrow_schema())

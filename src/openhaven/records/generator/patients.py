"""The patients of one block: demography, identity and the risk factors events depend on.

A ``PatientBlock`` keeps the numpy arrays (age, sex, dates as day numbers, district,
smoking, BMI) that later stages read, next to the Arrow columns that become the
``patients`` table. Deaths are decided later, once conditions are known, because illness
changes who dies; ``with_deaths`` fills them in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openhaven.records.generator import ethnicity, identities, places, population_pyramid
from openhaven.records.generator.arrow_columns import (
    Bools,
    Floats,
    Ints,
    dates,
    numbered_ids,
    pick,
    years_to_days,
)
from openhaven.records.generator.nhs_numbers import nhs_numbers_for
from openhaven.records.schema import PATIENTS

SEX_NAMES = ("male", "female")
NEVER, EX_SMOKER, SMOKER = 0, 1, 2
#: Years before the extract date within which recorded deaths fall.
DEATH_WINDOW_YEARS = 3.0
PATIENT_ID_DIGITS = 10


@dataclass(frozen=True)
class PatientBlock:
    first_position: int
    count: int
    as_of_day: int
    age: Floats  # exact age at the extract date, in years
    sex: Ints  # 0 male, 1 female
    birth_day: Ints
    death_day: Ints  # -1 while alive
    district: Ints
    region: Ints
    practice: Ints
    ethnicity: Ints  # index into ethnicity.CODES, -1 if not recorded
    name_pool: Ints
    smoking: Ints
    bmi: Floats
    height_cm: Floats
    patient_id: pa.Array
    nhs_number: pa.Array
    given_name: pa.Array
    family_name: pa.Array
    address_line: pa.Array
    postcode: pa.Array
    phone: pa.Array

    @property
    def is_dead(self) -> Bools:
        result: Bools = self.death_day >= 0
        return result

    @property
    def end_day(self) -> Ints:
        """The last day on which the patient can have a record: death or the extract date."""
        result: Ints = np.where(self.is_dead, self.death_day, self.as_of_day)
        return result

    @property
    def adult(self) -> Bools:
        result: Bools = self.age >= 18
        return result

    def with_deaths(self, death_day: Ints) -> PatientBlock:
        return dataclasses.replace(self, death_day=death_day)

    def table(self) -> pa.Table:
        practices = identities.practice_lookup()
        columns = {
            "patient_id": self.patient_id,
            "nhs_number": self.nhs_number,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": dates(self.birth_day),
            "sex": pick(SEX_NAMES, self.sex),
            "ethnicity": pick(ethnicity.CODES, self.ethnicity),
            "address_line": self.address_line,
            "postcode": self.postcode,
            "phone": self.phone,
            "practice_code": practices.codes.take(pa.array(self.practice)),
            "date_of_death": dates(np.maximum(self.death_day, 0), missing=~self.is_dead),
        }
        return pa.Table.from_pydict(columns, schema=PATIENTS.arrow_schema())


def _smoking(rng: np.random.Generator, age: Floats) -> Ints:
    """Smoking status; prevalence by age after ONS Annual Population Survey 2022 (12.9 %)."""
    current = np.interp(age, [15.9, 16, 25, 35, 50, 65, 80], [0, 0.1, 0.16, 0.15, 0.13, 0.08, 0.05])
    former = np.interp(age, [15.9, 16, 30, 50, 70, 90], [0, 0.03, 0.12, 0.25, 0.4, 0.45])
    draw = rng.random(age.size)
    status = np.full(age.size, NEVER, dtype=np.int64)
    status[draw < current + former] = EX_SMOKER
    status[draw < current] = SMOKER
    return status


def _body_size(rng: np.random.Generator, age: Floats, sex: Ints) -> tuple[Floats, Floats]:
    """BMI and height; adult obesity (BMI 30+) near the 26 % of Health Survey for England 2021."""
    median_bmi = np.interp(
        age, [0, 2, 10, 18, 25, 45, 75, 95], [16, 16.5, 17.5, 22.5, 25.5, 27.8, 27.5, 25]
    )
    spread = np.where(age >= 18, 0.17, 0.12)
    bmi = median_bmi * np.exp(rng.normal(0.0, 1.0, age.size) * spread)
    adult_height = np.where(sex == 0, 175.5, 162.0) + rng.normal(0, 1, age.size) * np.where(
        sex == 0, 7.0, 6.5
    )
    growth = np.clip(age / 18.0, 0.0, 1.0)
    height = np.where(age >= 18, adult_height, 52 + (adult_height - 52) * growth**0.7)
    return np.round(bmi, 1), np.round(height * 2) / 2


def draw_patients(
    rng: np.random.Generator, first_position: int, count: int, as_of_day: int, seed: int
) -> PatientBlock:
    """``count`` patients whose positions in the population start at ``first_position``."""
    geo = places.geography()
    age, sex8 = population_pyramid.draw_age_and_sex(rng, count)
    sex = sex8.astype(np.int64)
    birth_day = as_of_day - np.maximum(years_to_days(age), 1)
    birth_year = birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    district = identities.draw_districts(rng, count)
    region = geo.district_region[district]
    ethnic = ethnicity.draw_ethnicity(
        rng, region == places.LONDON, geo.london_population_share
    ).astype(np.int64)
    pools = identities.draw_name_pools(rng, ethnic)
    given, middle, family = identities.draw_names(rng, pools, sex, birth_year)
    positions = np.arange(first_position, first_position + count, dtype=np.int64)
    nhs = nhs_numbers_for(positions, seed)
    nhs_text = numbered_ids("", np.maximum(nhs, 0), 10)
    nhs_column = pc.if_else(pa.array(nhs < 0), pa.scalar(None, pa.string()), nhs_text)
    bmi, height = _body_size(rng, age, sex)
    return PatientBlock(
        first_position=first_position,
        count=count,
        as_of_day=as_of_day,
        age=age,
        sex=sex,
        birth_day=birth_day,
        death_day=np.full(count, -1, dtype=np.int64),
        district=district,
        region=region,
        practice=identities.draw_practices(rng, district),
        ethnicity=ethnic,
        name_pool=pools,
        smoking=_smoking(rng, age),
        bmi=bmi,
        height_cm=height,
        patient_id=numbered_ids("PT", positions + 1, PATIENT_ID_DIGITS),
        nhs_number=nhs_column,
        given_name=identities.full_given_names(given, middle),
        family_name=identities.family_vocabulary().take(pa.array(family)),
        address_line=identities.address_lines(rng, count),
        postcode=identities.postcodes(rng, district),
        phone=identities.phone_numbers(rng, district),
    )


def draw_deaths(rng: np.random.Generator, patients: PatientBlock, risk_multiplier: Floats) -> Ints:
    """Death days (or -1) within the last ``DEATH_WINDOW_YEARS`` before the extract date."""
    annual = population_pyramid.annual_death_probability(patients.age, patients.sex.astype(np.int8))
    annual = np.minimum(annual * risk_multiplier, 0.8)
    dies = rng.random(patients.count) < 1.0 - (1.0 - annual) ** DEATH_WINDOW_YEARS
    before = years_to_days(rng.random(patients.count) * DEATH_WINDOW_YEARS)
    death = np.maximum(patients.as_of_day - before, patients.birth_day + 1)
    death = np.minimum(death, patients.as_of_day)
    result: Ints = np.where(dies, death, -1)
    return result

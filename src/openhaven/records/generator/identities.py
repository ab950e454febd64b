"""Who each synthetic patient is: name, address, postcode, telephone, registered practice.

Everything is drawn for a whole block at once: names per (heritage, sex, birth cohort) group,
postcodes and addresses from the patient's postcode district, practices from the same
district (and, for one patient in ten, another practice in the same region), telephone
numbers from Ofcom's drama ranges for the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from openhaven.records.generator import names, places
from openhaven.records.generator.arrow_columns import Ints, pick, strings

#: Share of patients registered with a practice outside their own postcode district.
OTHER_DISTRICT_PRACTICE_SHARE = 0.1
MIDDLE_NAME_SHARE = 0.35
MOBILE_SHARE = 0.62
NO_PHONE_SHARE = 0.06


@cache
def given_vocabulary() -> pa.Array:
    return pa.array(names.every_given_name(), pa.string())


@cache
def family_vocabulary() -> pa.Array:
    return pa.array(names.every_family_name(), pa.string())


@cache
def _name_tables() -> tuple[
    dict[tuple[int, int, int], tuple[Ints, np.ndarray]], dict[int, tuple[Ints, np.ndarray]]
]:
    given_index = {name: i for i, name in enumerate(names.every_given_name())}
    family_index = {name: i for i, name in enumerate(names.every_family_name())}
    given: dict[tuple[int, int, int], tuple[Ints, np.ndarray]] = {}
    family: dict[int, tuple[Ints, np.ndarray]] = {}
    for pool_number, pool in enumerate(names.POOLS):
        for sex, lists in enumerate((pool.male, pool.female)):
            for cohort, listed in enumerate(lists):
                indices = np.array([given_index[n] for n in listed], dtype=np.int64)
                given[(pool_number, sex, cohort)] = (indices, names.zipf_weights(len(listed)))
        indices = np.array([family_index[n] for n in pool.family], dtype=np.int64)
        family[pool_number] = (indices, names.zipf_weights(len(pool.family)))
    return given, family


def draw_name_pools(rng: np.random.Generator, ethnicity: Ints) -> Ints:
    """The heritage pool each person's names come from (0 is British)."""
    from openhaven.records.generator.ethnicity import CODES

    pools = np.zeros(ethnicity.size, dtype=np.int64)
    draw = rng.random(ethnicity.size)
    for code, shares in names.POOL_BY_ETHNICITY.items():
        members = ethnicity == CODES.index(code)
        threshold = 0.0
        for pool_name, share in shares.items():
            chosen = members & (draw >= threshold) & (draw < threshold + share)
            pools[chosen] = names.POOL_INDEX[pool_name]
            threshold += share
    return pools


def draw_names(
    rng: np.random.Generator, pools: Ints, sex: Ints, birth_year: Ints
) -> tuple[Ints, Ints, Ints]:
    """Indices into the name vocabularies: first name, middle name (-1 for none), family.

    About a third of people have a middle name, drawn like the first and never equal to it.
    """
    given_tables, family_tables = _name_tables()
    cohort = np.searchsorted(np.asarray(names.COHORT_BOUNDARIES), birth_year, side="right")
    given = np.empty(pools.size, dtype=np.int64)
    middle = np.empty(pools.size, dtype=np.int64)
    family = np.empty(pools.size, dtype=np.int64)
    group = (pools * 2 + sex) * 3 + cohort
    for key in np.unique(group):
        members = np.flatnonzero(group == key)
        pool_number, rest = divmod(int(key), 6)
        sex_code, cohort_code = divmod(rest, 3)
        indices, weights = given_tables[(pool_number, sex_code, cohort_code)]
        given[members] = indices[rng.choice(indices.size, size=members.size, p=weights)]
        middle[members] = indices[rng.choice(indices.size, size=members.size, p=weights)]
    middle[(rng.random(pools.size) >= MIDDLE_NAME_SHARE) | (middle == given)] = -1
    for pool_number in np.unique(pools):
        members = np.flatnonzero(pools == pool_number)
        indices, weights = family_tables[int(pool_number)]
        family[members] = indices[rng.choice(indices.size, size=members.size, p=weights)]
    return given, middle, family


def full_given_names(given: Ints, middle: Ints) -> pa.Array:
    """ "First Middle", or just "First" where there is no middle name."""
    vocabulary = given_vocabulary()
    return pc.binary_join_element_wise(
        vocabulary.take(pa.array(given)), pick(vocabulary, middle), " ", null_handling="skip"
    )


def draw_districts(rng: np.random.Generator, count: int) -> Ints:
    geo = places.geography()
    result: Ints = rng.choice(len(geo.district_codes), size=count, p=geo.district_weight)
    return result


def draw_practices(rng: np.random.Generator, districts: Ints) -> Ints:
    """A practice in the patient's district, or for a few, in a neighbouring district."""
    geo = places.geography()
    home = districts.copy()
    elsewhere = rng.random(districts.size) < OTHER_DISTRICT_PRACTICE_SHARE
    # "Neighbouring": the adjacent district in the same region's list.
    shifted = np.clip(
        districts + rng.choice([-1, 1], size=districts.size), 0, len(geo.district_codes) - 1
    )
    same_region = geo.district_region[shifted] == geo.district_region[districts]
    home[elsewhere & same_region] = shifted[elsewhere & same_region]
    offsets = np.floor(rng.random(districts.size) * geo.district_practice_count[home])
    result: Ints = geo.district_practice_start[home] + offsets.astype(np.int64)
    return result


def postcodes(rng: np.random.Generator, districts: Ints) -> pa.Array:
    """``<outward> <digit><letter><letter>`` with the inward letters Royal Mail uses."""
    geo = places.geography()
    count = districts.size
    letters = np.frombuffer(places.INWARD_LETTERS.encode("ascii"), dtype=np.uint8)
    inward = np.empty((count, 3), dtype=np.uint8)
    inward[:, 0] = rng.integers(0, 10, size=count).astype(np.uint8) + 48
    inward[:, 1] = letters[rng.integers(0, letters.size, size=count)]
    inward[:, 2] = letters[rng.integers(0, letters.size, size=count)]
    inward_strings = pa.StringArray.from_buffers(
        count,
        pa.py_buffer(np.arange(0, 3 * count + 1, 3, dtype=np.int32)),
        pa.py_buffer(inward.tobytes()),
    )
    outward = pick(geo.district_codes, districts)
    frame = pl.DataFrame({"outward": pl.Series(outward), "inward": pl.Series(inward_strings)})
    return strings(frame.select(pl.concat_str(["outward", "inward"], separator=" ")).to_series())


def address_lines(rng: np.random.Generator, count: int) -> pa.Array:
    """House number and street; about one in eight is a flat."""
    house = 1 + np.minimum(np.floor(rng.exponential(38.0, size=count)), 320).astype(np.int64)
    flat = rng.random(count) < 0.12
    flat_number = rng.integers(1, 30, size=count)
    street = rng.integers(0, len(places.STREET_NAMES), size=count)
    frame = pl.DataFrame(
        {
            "house": house.astype(np.int64),
            "flat": flat,
            "flat_number": flat_number,
            "street": pl.Series(pick(places.STREET_NAMES, street)),
        }
    )
    line = pl.concat_str([pl.col("house").cast(pl.String), pl.col("street")], separator=" ")
    flat_line = pl.concat_str(
        [pl.lit("Flat "), pl.col("flat_number").cast(pl.String), pl.lit(", "), line]
    )
    return strings(
        frame.select(pl.when(pl.col("flat")).then(flat_line).otherwise(line)).to_series()
    )


def phone_numbers(rng: np.random.Generator, districts: Ints) -> pa.Array:
    """Drama-range numbers: a mobile (07700 900xxx) or a landline of the patient's region."""
    geo = places.geography()
    count = districts.size
    prefixes: list[str] = [places.MOBILE_PREFIX]
    region_prefixes: list[list[int]] = []
    for each_region in places.REGIONS:
        first = len(prefixes)
        region_prefixes.append([first + i for i in range(len(each_region.landline_prefixes))])
        prefixes.extend(each_region.landline_prefixes)
    region = geo.district_region[districts]
    landline_choice = np.zeros(count, dtype=np.int64)
    for region_number, options in enumerate(region_prefixes):
        members = np.flatnonzero(region == region_number)
        landline_choice[members] = np.asarray(options)[rng.integers(0, len(options), members.size)]
    mobile = rng.random(count) < MOBILE_SHARE
    prefix_index = np.where(mobile, 0, landline_choice)
    prefix_index[rng.random(count) < NO_PHONE_SHARE] = -1
    last_three = rng.integers(0, 1000, size=count)
    frame = pl.DataFrame({"prefix": pl.Series(pick(prefixes, prefix_index)), "tail": last_three})
    return strings(
        frame.select(
            pl.concat_str([pl.col("prefix"), pl.col("tail").cast(pl.String).str.zfill(3)])
        ).to_series()
    )


@dataclass(frozen=True)
class PracticeLookup:
    codes: pa.Array
    names: pa.Array


@cache
def practice_lookup() -> PracticeLookup:
    geo = places.geography()
    return PracticeLookup(
        pa.array(geo.practice_codes, pa.string()), pa.array(geo.practice_names, pa.string())
    )

"""England's age/sex structure and age-specific mortality, the skeleton of the population.

Sources (figures rounded and approximate; they shape a synthetic population, they are not
statistics to quote):

- Population by five-year age band and sex: ONS, *Population estimates for England and
  Wales: mid-2022* (table MYE2, England), rounded to the nearest 10,000.
- Death rates by age band: ONS, *Deaths registered in England and Wales: 2022*, age-specific
  mortality rates per 1,000 population (persons), with the male/female ratio applied as a
  single factor per sex.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: Lower bound (years) of each band; the last band is 90 and over.
BAND_STARTS: tuple[int, ...] = tuple(range(0, 95, 5))

#: Mid-2022 England population in thousands, per band: (male, female).
POPULATION_THOUSANDS: tuple[tuple[int, int], ...] = (
    (1630, 1550),  # 0-4
    (1780, 1700),  # 5-9
    (1830, 1740),  # 10-14
    (1700, 1610),  # 15-19
    (1790, 1730),  # 20-24
    (1880, 1880),  # 25-29
    (1960, 2000),  # 30-34
    (1900, 1950),  # 35-39
    (1800, 1830),  # 40-44
    (1720, 1760),  # 45-49
    (1900, 1960),  # 50-54
    (1900, 1950),  # 55-59
    (1640, 1700),  # 60-64
    (1390, 1480),  # 65-69
    (1300, 1420),  # 70-74
    (1080, 1230),  # 75-79
    (640, 800),  # 80-84
    (370, 530),  # 85-89
    (190, 360),  # 90+
)

#: Annual deaths per 1,000 people, per band (persons).
DEATHS_PER_THOUSAND: tuple[float, ...] = (
    0.9,
    0.1,
    0.1,
    0.25,
    0.35,
    0.45,
    0.6,
    0.9,
    1.3,
    2.0,
    3.0,
    4.6,
    7.2,
    11.0,
    18.0,
    30.0,
    54.0,
    98.0,
    200.0,
)

#: Multipliers on the persons' rate: men die younger than women at every age.
MORTALITY_SEX_FACTOR = {"male": 1.2, "female": 0.83}

#: Share of the population that is female (from the table above).
SEX_CODES = ("male", "female")


def band_shares() -> npt.NDArray[np.float64]:
    """An (bands, 2) array of population shares summing to 1; columns are male, female."""
    counts = np.asarray(POPULATION_THOUSANDS, dtype=np.float64)
    shares: npt.NDArray[np.float64] = counts / counts.sum()
    return shares


def band_of_age(age_years: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The band index (0 for 0-4 ... 18 for 90+) of each age in whole years."""
    result: npt.NDArray[np.int64] = np.minimum(age_years // 5, len(BAND_STARTS) - 1)
    return result


def draw_age_and_sex(
    rng: np.random.Generator, count: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Exact ages in years (fractional) and sex codes (0 male, 1 female), England-shaped.

    Within a five-year band ages are uniform; the open 90+ band decays exponentially
    (mean about four years past 90), as survival does.
    """
    shares = band_shares().ravel()
    cell = rng.choice(shares.size, size=count, p=shares)
    band = cell // 2
    sex = (cell % 2).astype(np.int8)
    offset = rng.random(count) * 5.0
    oldest = band == len(BAND_STARTS) - 1
    offset[oldest] = np.minimum(rng.exponential(4.0, int(oldest.sum())), 14.9)
    age = np.asarray(BAND_STARTS, dtype=np.float64)[band] + offset
    return age, sex


def annual_death_probability(
    age_years: npt.NDArray[np.float64], sex: npt.NDArray[np.int8]
) -> npt.NDArray[np.float64]:
    """Probability of dying within a year at the given age, for each person."""
    rates = np.asarray(DEATHS_PER_THOUSAND, dtype=np.float64) / 1000.0
    band = band_of_age(age_years.astype(np.int64))
    factor = np.where(sex == 0, MORTALITY_SEX_FACTOR["male"], MORTALITY_SEX_FACTOR["female"])
    result: npt.NDArray[np.float64] = np.minimum(rates[band] * factor, 0.6)
    return result

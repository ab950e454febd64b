"""Ethnic groups: the codes the record holds and England's proportions.

Codes are the NHS Data Dictionary *Ethnic Category* letters (A-S), which GP and hospital
records carry. The proportions come from the ONS Census 2021 (table TS021, England and
London), whose 19 categories fold onto these letters: "Gypsy or Irish Traveller" and
"Roma" into C (any other White background), and "Arab" into S (any other ethnic group).

London is far more diverse than the rest of England, so patients in London draw from the
London profile and everyone else from a "rest of England" profile derived so that the
whole country still matches England's figures.

A small share of records has no ethnicity recorded (null), as in practice.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

#: (code, description) in code order.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("A", "White - British"),
    ("B", "White - Irish"),
    ("C", "White - Any other White background"),
    ("D", "Mixed - White and Black Caribbean"),
    ("E", "Mixed - White and Black African"),
    ("F", "Mixed - White and Asian"),
    ("G", "Mixed - Any other mixed background"),
    ("H", "Asian or Asian British - Indian"),
    ("J", "Asian or Asian British - Pakistani"),
    ("K", "Asian or Asian British - Bangladeshi"),
    ("L", "Asian or Asian British - Any other Asian background"),
    ("M", "Black or Black British - Caribbean"),
    ("N", "Black or Black British - African"),
    ("P", "Black or Black British - Any other Black background"),
    ("R", "Other ethnic groups - Chinese"),
    ("S", "Other ethnic groups - Any other ethnic group"),
)
CODES: tuple[str, ...] = tuple(code for code, _ in CATEGORIES)

#: Census 2021, England, percent of usual residents.
ENGLAND_PERCENT: Mapping[str, float] = {
    "A": 73.5,
    "B": 0.9,
    "C": 0.1 + 0.2 + 6.4,
    "D": 0.9,
    "E": 0.4,
    "F": 0.8,
    "G": 0.8,
    "H": 3.3,
    "J": 2.9,
    "K": 1.1,
    "L": 1.6,
    "M": 1.1,
    "N": 2.6,
    "P": 0.5,
    "R": 0.7,
    "S": 0.6 + 1.6,
}

#: Census 2021, London, percent of usual residents.
LONDON_PERCENT: Mapping[str, float] = {
    "A": 36.8,
    "B": 1.8,
    "C": 0.1 + 0.4 + 14.7,
    "D": 1.5,
    "E": 0.9,
    "F": 1.5,
    "G": 1.9,
    "H": 7.5,
    "J": 3.3,
    "K": 3.7,
    "L": 4.6,
    "M": 3.9,
    "N": 7.9,
    "P": 1.6,
    "R": 1.7,
    "S": 1.6 + 4.7,
}

#: Share of patients with no ethnicity recorded.
NOT_RECORDED_SHARE = 0.03


def england_shares() -> npt.NDArray[np.float64]:
    values = np.array([ENGLAND_PERCENT[c] for c in CODES])
    result: npt.NDArray[np.float64] = values / values.sum()
    return result


def london_shares() -> npt.NDArray[np.float64]:
    values = np.array([LONDON_PERCENT[c] for c in CODES])
    result: npt.NDArray[np.float64] = values / values.sum()
    return result


def rest_of_england_shares(london_population_share: float) -> npt.NDArray[np.float64]:
    """Shares outside London such that London plus the rest reproduce England's mix."""
    rest = (england_shares() - london_population_share * london_shares()) / (
        1.0 - london_population_share
    )
    rest = np.clip(rest, 0.0, None)
    result: npt.NDArray[np.float64] = rest / rest.sum()
    return result


def draw_ethnicity(
    rng: np.random.Generator,
    in_london: npt.NDArray[np.bool_],
    london_population_share: float,
) -> npt.NDArray[np.int8]:
    """Index into ``CODES`` for each person, or -1 where no ethnicity is recorded."""
    count = in_london.size
    outside = rng.choice(len(CODES), size=count, p=rest_of_england_shares(london_population_share))
    inside = rng.choice(len(CODES), size=count, p=london_shares())
    chosen = np.where(in_london, inside, outside).astype(np.int8)
    chosen[rng.random(count) < NOT_RECORDED_SHARE] = -1
    return chosen

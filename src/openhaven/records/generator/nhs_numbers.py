"""NHS numbers that are valid, random-looking and distinct across independently made blocks.

The population is generated in blocks that never see each other (so they can be made in
any order, or in parallel). Drawing numbers at random per block could repeat a number in
two blocks, so instead each patient's position in the whole population is passed through a
keyed permutation of the 300 million nine-digit stems from 400 000 000 to 699 999 999: a
bijection cannot map two patients to the same stem. Each patient owns eight consecutive
positions and takes the first whose stem admits a Modulus 11 check digit (about one stem
in eleven does not); the chance that all eight fail is about 5 in a billion, and such a
patient is given no NHS number, as a record from outside England would have.

The check digit itself comes from ``openhaven.records.nhs_number``, the project's single
implementation of the rule.
"""

from __future__ import annotations

import numpy as np

from openhaven.records.generator.arrow_columns import Ints
from openhaven.records.nhs_number import check_digits

STEM_START = 400_000_000
STEM_COUNT = 300_000_000
CANDIDATES_PER_PATIENT = 8
MAX_PATIENTS = STEM_COUNT // CANDIDATES_PER_PATIENT

_HALF_BITS = 15
_HALF_MASK = np.uint64((1 << _HALF_BITS) - 1)
_ROUNDS = 4


def _round_keys(seed: int) -> list[np.uint64]:
    keys = np.random.default_rng([seed, 0x4E4853]).integers(1, 1 << 31, size=_ROUNDS)
    return [np.uint64(k) for k in keys]


def _feistel(values: np.ndarray, keys: list[np.uint64]) -> np.ndarray:
    """One pass of a balanced Feistel network over 30-bit values (a bijection on 0..2**30)."""
    left = (values >> np.uint64(_HALF_BITS)) & _HALF_MASK
    right = values & _HALF_MASK
    for key in keys:
        mixed = (right * np.uint64(0x9E3779B1) + key) & np.uint64(0xFFFFFFFF)
        mixed = (mixed ^ (mixed >> np.uint64(13))) * np.uint64(0x85EBCA6B)
        mixed = (mixed >> np.uint64(16)) & _HALF_MASK
        left, right = right, left ^ mixed
    result: np.ndarray = (left << np.uint64(_HALF_BITS)) | right
    return result


def permute_positions(positions: Ints, seed: int) -> Ints:
    """A keyed bijection of 0..STEM_COUNT-1 onto itself (cycle-walking the Feistel network)."""
    keys = _round_keys(seed)
    values = _feistel(positions.astype(np.uint64), keys)
    outside = values >= np.uint64(STEM_COUNT)
    while outside.any():
        values[outside] = _feistel(values[outside], keys)
        outside = values >= np.uint64(STEM_COUNT)
    return values.astype(np.int64)


def nhs_numbers_for(patient_positions: Ints, seed: int) -> Ints:
    """A valid NHS number (as an integer) per patient position; -1 in the rare case of none.

    Candidates are tried one round at a time, and only for the patients still without a
    number, so about 1.1 permutations are computed per patient rather than eight.
    """
    if patient_positions.size and int(patient_positions.max()) >= MAX_PATIENTS:
        raise ValueError(f"at most {MAX_PATIENTS} patients can be given distinct NHS numbers")
    result: Ints = np.full(patient_positions.size, -1, dtype=np.int64)
    waiting = np.arange(patient_positions.size)
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    for candidate in range(CANDIDATES_PER_PATIENT):
        if waiting.size == 0:
            break
        positions = patient_positions[waiting] * CANDIDATES_PER_PATIENT + candidate
        stems = STEM_START + permute_positions(positions, seed)
        checks = check_digits((stems[:, None] // powers) % 10)
        usable = checks >= 0
        result[waiting[usable]] = stems[usable] * 10 + checks[usable]
        waiting = waiting[~usable]
    return result

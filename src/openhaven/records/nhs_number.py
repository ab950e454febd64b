"""NHS numbers: validation and check digits (Modulus 11), scalar and vectorised.

The check digit is 11 minus the remainder of the weighted sum (weights 10 down to 2) of the
first nine digits, modulo 11; a result of 11 becomes 0, and 10 means the nine digits can
never form a valid number.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None where no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(value: str | None) -> bool:
    """True for a 10-digit string whose last digit is the Modulus 11 check digit."""
    if value is None or len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    return check_digit(value[:9]) == int(value[9])


def why_invalid(value: str | None) -> str | None:
    """A reason fit for an error message (it never repeats the value), or None if valid."""
    if value is None or value == "":
        return "missing"
    if not value.isascii() or not value.isdigit():
        return "must contain digits only"
    if len(value) != 10:
        return f"must be 10 digits, not {len(value)}"
    if not is_valid(value):
        return "check digit does not match (Modulus 11)"
    return None


def check_digits(first_nine: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Vectorised check digits for an (n, 9) array of digits; -1 where none exists."""
    digit = 11 - (first_nine @ WEIGHTS) % 11
    digit = np.where(digit == 11, 0, digit)
    return np.where(digit == 10, -1, digit)


def random_valid(rng: np.random.Generator, count: int) -> npt.NDArray[np.int64]:
    """``count`` distinct valid NHS numbers as integers, drawn from the 4xx-6xx ranges.

    Candidates whose check digit would be 10 are redrawn, and duplicates removed, until
    ``count`` remain; order is random but fixed by the generator's state.
    """
    chosen: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
    while chosen.size < count:
        need = int((count - chosen.size) * 1.15) + 16
        stems = rng.integers(400_000_000, 700_000_000, size=need, dtype=np.int64)
        digits = (stems[:, None] // (10 ** np.arange(8, -1, -1, dtype=np.int64))) % 10
        checks = check_digits(digits)
        valid = stems[checks >= 0] * 10 + checks[checks >= 0]
        chosen = np.concatenate([chosen, valid])
        _, first_seen = np.unique(chosen, return_index=True)
        chosen = chosen[np.sort(first_seen)]
    return chosen[:count]

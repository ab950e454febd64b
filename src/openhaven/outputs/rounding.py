"""Rounding policies for counts: to a base (e.g. nearest 5) and "midpoint 6".

Rounding is applied to every count the same way, margins included: each published total is
the rounded true total, never a sum of rounded cells, so a total gives away no more than a
cell does (the price is that rounded cells need not add up to the rounded total).
"""

from __future__ import annotations

import math


def round_to_base(count: int | float, base: int = 5) -> int:
    """Nearest multiple of ``base`` (halves go up): 7 → 5, 8 → 10 with base 5."""
    if base <= 0:
        raise ValueError("the rounding base must be positive")
    return int(base * math.floor(count / base + 0.5))


def round_midpoint6(count: int | float) -> int:
    """Midpoint-6 rounding: 0 stays 0; otherwise up to a multiple of 6, minus 3.

    1–6 → 3, 7–12 → 9, 13–18 → 15: every published figure is the middle of a band of six,
    so no count is ever shown exactly and zeros stay distinguishable.
    """
    if count < 0:
        raise ValueError("midpoint-6 rounding is for counts")
    if count == 0:
        return 0
    return int(math.ceil(count / 6) * 6 - 3)


def round_count(count: int | float, method: str, base: int = 5) -> int | float:
    """Round ``count`` by a profile's rounding method ("none", "base", "midpoint6")."""
    if method == "none":
        return count
    if method == "base":
        return round_to_base(count, base)
    if method == "midpoint6":
        return round_midpoint6(count)
    raise ValueError(f"unknown rounding method {method!r}")

"""The cell key method: small, repeatable noise on counts, as the ONS used for Census 2021.

Every record carries a permanent *record key*, a number drawn once and never changed (here
derived from the haven's secret and the record's pseudonym, so it needs no storage and
cannot be guessed outside the haven). A cell's *cell key* is the sum of its records' keys,
modulo 1 — uniform, and fixed by exactly which records fall in the cell. A *perturbation
table* (p-table) maps the cell's true count and its cell key to a small perturbation.

Because the noise depends only on which records make up a cell, the same cell always gets
the same noise, however the query is phrased: asking twice, or asking for two overlapping
tables and subtracting, does not average the noise away or expose the difference (the
differencing attack). Margins are cells too: each gets its own key and its own noise, so
tables need not add up — the price of the method, stated in docs/outputs.md.

The p-table used here: counts of 0 stay 0; other counts move by at most ``max_perturbation``
in either direction, never below 0, with probabilities proportional to a discretised normal
curve of the given variance, tilted where the count is small so the noise still has mean 0
(the published figure is unbiased for every true count).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

KEY_BITS = 32
KEY_RANGE = 1 << KEY_BITS


def record_key(secret: bytes, record_id: str) -> int:
    """A record's permanent key in [0, 2³²): the same record always gets the same key."""
    digest = hmac.new(secret, record_id.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def cell_key(record_keys: Iterable[int]) -> float:
    """The sum of the record keys modulo 1 (keys are fractions k / 2³²), exactly."""
    return (sum(record_keys) % KEY_RANGE) / KEY_RANGE


@dataclass(frozen=True)
class PerturbationTable:
    """For each true count (the last row serves all larger counts), perturbations and odds."""

    max_perturbation: int = 2
    variance: float = 1.0
    rows: dict[int, list[tuple[int, float]]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.max_perturbation < 1 or self.variance <= 0:
            raise ValueError("the p-table needs max_perturbation ≥ 1 and a positive variance")
        for count in range(self.max_perturbation + 1):
            self.rows[count] = _row(count, self.max_perturbation, self.variance)

    def distribution(self, count: int) -> list[tuple[int, float]]:
        return self.rows[min(count, self.max_perturbation)]

    def perturbation(self, count: int, key: float) -> int:
        """The perturbation for a cell of ``count`` records whose cell key is ``key``."""
        if count < 0:
            raise ValueError("the cell key method perturbs counts")
        if not 0.0 <= key < 1.0:
            raise ValueError("a cell key lies in [0, 1)")
        upper = 0.0
        choices = self.distribution(count)
        for value, probability in choices:
            upper += probability
            if key < upper:
                return value
        return choices[-1][0]  # rounding slack at the very top of the range

    def perturb(self, count: int, key: float) -> int:
        return count + self.perturbation(count, key)


def _row(count: int, spread: int, variance: float) -> list[tuple[int, float]]:
    if count == 0:
        return [(0, 1.0)]
    values = list(range(max(-count, -spread), spread + 1))

    def weights(tilt: float) -> list[float]:
        raw = [math.exp(-v * v / (2 * variance) + tilt * v) for v in values]
        total = sum(raw)
        return [w / total for w in raw]

    def mean(tilt: float) -> float:
        return sum(v * w for v, w in zip(values, weights(tilt), strict=True))

    low, high = -20.0, 20.0  # mean(tilt) rises with tilt; find its zero by bisection
    for _ in range(200):
        middle = (low + high) / 2
        if mean(middle) > 0:
            high = middle
        else:
            low = middle
    return list(zip(values, weights((low + high) / 2), strict=True))


@dataclass(frozen=True)
class PerturbedTable:
    """A two-way table of perturbed counts, margins included (each perturbed on its own)."""

    counts: dict[tuple[Hashable, Hashable], int]
    row_labels: list[Hashable]
    col_labels: list[Hashable]


TOTAL = "All"


def perturb_crosstab(records: Iterable[tuple[Hashable, Hashable, int]],
                     table: PerturbationTable | None = None) -> PerturbedTable:
    """Count (row, column, record key) records into a table and perturb every cell.

    Zero cells of the full cross-product appear as 0 (their cell key is 0, and 0 stays 0).
    """
    ptable = table or PerturbationTable()
    counts: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    keys: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    rows: dict[Hashable, None] = {}
    cols: dict[Hashable, None] = {}
    for row, col, key in records:
        rows[row], cols[col] = None, None
        for cell in ((row, col), (row, TOTAL), (TOTAL, col), (TOTAL, TOTAL)):
            counts[cell] += 1
            keys[cell] += key
    row_labels = [*sorted(rows, key=str), TOTAL]  # the order of records never shows
    col_labels = [*sorted(cols, key=str), TOTAL]
    perturbed = {
        (r, c): ptable.perturb(counts.get((r, c), 0),
                               (keys.get((r, c), 0) % KEY_RANGE) / KEY_RANGE)
        for r in row_labels for c in col_labels
    }
    return PerturbedTable(perturbed, row_labels, col_labels)

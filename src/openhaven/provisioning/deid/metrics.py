"""Information-loss metrics, defined as the reference tool (ARX) defines them so scores compare.

* ``loss`` — ARX's *Loss* metric with its defaults (generalisation and suppression weighted
  equally, geometric mean over attributes). Per attribute, a generalised cell costs the share of
  the hierarchy's original values its generalisation covers, a suppressed cell costs 1; the sum
  over records is normalised to [0, 1] by ``(sum - n/|domain|) / (n - n/|domain|)``, where
  ``|domain|`` is the number of rows of the hierarchy. The attributes are combined as
  ``prod(v_i + 1) ** (1/d) - 1``. Lower is better.
* ``entropy`` — ARX's precomputed, monotonic *non-uniform entropy*: per attribute,
  ``-sum_v a_v log2(a_v / b_v)`` over the original values ``v``, where ``a_v`` counts the records
  holding ``v`` and ``b_v`` the records sharing ``v``'s generalisation; summed over attributes.
  It depends on the levels alone (suppression does not change it).
* ``discernibility`` — ARX's discernibility metric: each record in a class of size ``s``
  costs ``s``, each suppressed record costs the number of records.

Per-attribute values are truncated to 10 decimal places as the reference tool does before
combining them, so equal transformations compare equal.

Each metric also gives a *lower bound* that can only grow as a node is generalised further:
the search skips every node whose bound is already worse than the best score found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from openhaven.provisioning.deid.evaluation import NodeEvaluation, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_DIGITS = 1e10


def truncate(value: float) -> float:
    """Cut to 10 decimal places (towards minus infinity), as the reference tool compares."""
    return math.floor(value * _DIGITS) / _DIGITS


class QualityMetric(Protocol):
    name: str

    def level_bound(self, levels: tuple[int, ...]) -> float | None:
        """A lower bound from the levels alone (None when there is none); monotonic upward."""

    def needs_classes(self) -> bool:
        """False when the score follows from the levels alone and no grouping is needed."""

    def level_bounds(self, nodes: IntArray) -> FloatArray:
        """Lower bounds for many nodes (one row of levels each), computed at once."""

    def score(self, evaluation: NodeEvaluation) -> float: ...

    def class_bound(self, evaluation: NodeEvaluation) -> float:
        """A lower bound for this node and every node above it, from its classes."""


@dataclass
class LossMetric:
    """ARX's Loss metric (default weighting ``gs_factor = 0.5``, geometric mean)."""

    problem: Problem
    gs_factor: float = 0.5
    name: str = "loss"
    _leaves: list[list[IntArray]] = field(default_factory=list, repr=False)
    _totals: list[list[int]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.gs_factor <= 1.0:
            raise ValueError("gs_factor must be in [0, 1]")
        self.s_factor = 2 * self.gs_factor if self.gs_factor < 0.5 else 1.0
        self.g_factor = 1.0 if self.gs_factor <= 0.5 else 1.0 - 2 * (self.gs_factor - 0.5)
        for position, hierarchy in enumerate(self.problem.hierarchies):
            per_leaf = [hierarchy.leaves_under(level) for level in range(hierarchy.height)]
            counts = np.bincount(self.problem.leaf_codes[:, position],
                                 minlength=hierarchy.domain_size)
            self._leaves.append(per_leaf)
            self._totals.append([int(np.dot(counts, leaves)) for leaves in per_leaf])

    def needs_classes(self) -> bool:
        return self.problem.max_outliers > 0

    def _normalise(self, aggregate: float, position: int) -> float:
        records = self.problem.records
        low = self.g_factor * records / self.problem.hierarchies[position].domain_size
        value = (aggregate - low) / (records - low) if records > low else 0.0
        return truncate(max(value, 0.0))

    @staticmethod
    def _combine(values: list[float]) -> float:
        result = 1.0
        for value in values:
            result *= math.pow(value + 1.0, 1.0 / len(values))
        return result - 1.0

    def per_attribute(self, levels: tuple[int, ...],
                      evaluation: NodeEvaluation | None = None) -> list[float]:
        """Normalised loss per attribute; with an evaluation, its outliers count as suppressed.

        Every record of a class shares its generalisation, so the suppressed records' shares
        are summed class by class (size x share of the class's generalised value).
        """
        values = []
        dropped = None
        outliers = 0
        if evaluation is not None and evaluation.outliers:
            dropped = ~evaluation.class_ok
            outliers = evaluation.outliers
        for position, level in enumerate(levels):
            domain = self.problem.hierarchies[position].domain_size
            kept_leaves = self._totals[position][level]
            suppressed_leaves = 0
            if evaluation is not None and dropped is not None:
                leaves = self._leaves[position][level]
                suppressed_leaves = int(np.dot(
                    evaluation.class_sizes[dropped],
                    leaves[evaluation.representatives[dropped, position]]))
                kept_leaves -= suppressed_leaves
            aggregate = self.g_factor * kept_leaves / domain
            if outliers:
                if self.s_factor == 1.0:
                    aggregate += outliers
                else:
                    share = suppressed_leaves / domain
                    aggregate += share + self.s_factor * (outliers - share)
            values.append(self._normalise(aggregate, position))
        return values

    def level_bound(self, levels: tuple[int, ...]) -> float:
        return self._combine(self.per_attribute(levels))

    def level_bounds(self, nodes: IntArray) -> FloatArray:
        """``level_bound`` for many nodes at once (same arithmetic, same order)."""
        tables = [np.array([self.per_attribute_at(position, level)
                            for level in range(hierarchy.height)])
                  for position, hierarchy in enumerate(self.problem.hierarchies)]
        result = np.ones(nodes.shape[0], dtype=np.float64)
        exponent = 1.0 / nodes.shape[1]
        for position, table in enumerate(tables):
            result *= np.power(table[nodes[:, position]] + 1.0, exponent)
        bounds: FloatArray = result - 1.0
        return bounds

    def per_attribute_at(self, position: int, level: int) -> float:
        domain = self.problem.hierarchies[position].domain_size
        aggregate = self.g_factor * self._totals[position][level] / domain
        return self._normalise(aggregate, position)

    def score(self, evaluation: NodeEvaluation) -> float:
        return self._combine(self.per_attribute(evaluation.levels, evaluation))

    def class_bound(self, evaluation: NodeEvaluation) -> float:
        return self.level_bound(evaluation.levels)


@dataclass
class NonUniformEntropyMetric:
    """ARX's precomputed, monotonic non-uniform entropy (sum over attributes)."""

    problem: Problem
    name: str = "entropy"
    _cache: list[list[float]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        log2 = math.log(2)
        for position, hierarchy in enumerate(self.problem.hierarchies):
            column = self.problem.leaf_codes[:, position]
            leaf_counts = np.bincount(column, minlength=hierarchy.domain_size)
            # Sum in order of first appearance in the data, as the reference tool's dictionary
            # does, so that the float sums agree to the last digit.
            present, first_seen = np.unique(column, return_index=True)
            in_order = present[np.argsort(first_seen, kind="stable")]
            per_level = []
            for level in range(hierarchy.height):
                codes = hierarchy.codes_at(level)
                generalised_counts = np.bincount(codes, weights=leaf_counts,
                                                 minlength=len(hierarchy.labels_at(level)))
                value = 0.0
                for leaf in in_order:
                    a = float(leaf_counts[leaf])
                    b = float(generalised_counts[codes[leaf]])
                    value += a * (math.log(a / b) / log2)
                per_level.append(truncate(-value) if value != 0.0 else 0.0)
            self._cache.append(per_level)

    def needs_classes(self) -> bool:
        return False

    def per_attribute(self, levels: tuple[int, ...]) -> list[float]:
        return [self._cache[position][level] for position, level in enumerate(levels)]

    def level_bound(self, levels: tuple[int, ...]) -> float:
        total = 0.0
        for value in self.per_attribute(levels):
            total += value
        return total

    def level_bounds(self, nodes: IntArray) -> FloatArray:
        result = np.zeros(nodes.shape[0], dtype=np.float64)
        for position, per_level in enumerate(self._cache):
            result += np.asarray(per_level)[nodes[:, position]]
        return result

    def score(self, evaluation: NodeEvaluation) -> float:
        return self.level_bound(evaluation.levels)

    def class_bound(self, evaluation: NodeEvaluation) -> float:
        return self.level_bound(evaluation.levels)


@dataclass
class DiscernibilityMetric:
    """ARX's discernibility: class size per record, the record count per suppressed record."""

    problem: Problem
    name: str = "discernibility"

    def needs_classes(self) -> bool:
        return True

    def level_bound(self, levels: tuple[int, ...]) -> float | None:
        return None

    def level_bounds(self, nodes: IntArray) -> FloatArray:
        return np.zeros(nodes.shape[0], dtype=np.float64)

    def score(self, evaluation: NodeEvaluation) -> float:
        kept = evaluation.class_sizes[evaluation.class_ok].astype(np.float64)
        return float(np.dot(kept, kept)) + float(self.problem.records) * evaluation.outliers

    def class_bound(self, evaluation: NodeEvaluation) -> float:
        sizes = evaluation.class_sizes.astype(np.float64)
        return float(np.dot(sizes, sizes))


METRICS = ("loss", "entropy", "discernibility")


def make_metric(name: str, problem: Problem) -> QualityMetric:
    if name == "loss":
        return LossMetric(problem)
    if name == "entropy":
        return NonUniformEntropyMetric(problem)
    if name == "discernibility":
        return DiscernibilityMetric(problem)
    raise ValueError(f"unknown metric {name!r}; choose one of {', '.join(METRICS)}")

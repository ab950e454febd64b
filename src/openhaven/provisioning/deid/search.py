"""Optimal search over the generalisation lattice, with pruning by predictive tagging.

The search follows the two phases of the Flash algorithm:

1. **Binary phase** (when the privacy model is monotonic — always without suppression, and with
   suppression for k-anonymity and distinct-l-diversity): walk the lattice bottom-up, one level
   at a time; from each node whose anonymity is still unknown build a path upwards through
   unknown nodes and binary-search it for its lowest anonymous node. Every check tags more than
   the node checked: an anonymous node makes every node above it anonymous, a non-anonymous node
   makes every node below it non-anonymous. A node whose lower bound is already worse than the
   best score found is not started from (with suppression, not climbed through either): neither
   it nor anything above it can be optimal. Few nodes are ever grouped.
2. **Optimisation phase**: visit the anonymous nodes in order of their metric's lower bound and
   keep the best score; stop as soon as the bound of the next node is worse than the best score
   found, since bounds only grow upwards. For metrics that follow from the levels alone (the
   loss metric without suppression, non-uniform entropy) the bound *is* the score, so no more
   grouping is needed; with suppression the loss depends on which records are suppressed, and
   anonymous nodes are grouped until the bound rules the rest out. When the privacy model is not
   monotonic, unknown nodes are checked on the way in the same order.

Ties between equal scores go to the node with the lowest sum of levels, then to the first in
lattice order, so the result is deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from openhaven.core.errors import SafeguardRefused
from openhaven.provisioning.deid.evaluation import (
    NodeEvaluation,
    Problem,
    Snapshot,
    evaluate_from,
    evaluate_node,
    evaluate_records,
)
from openhaven.provisioning.deid.lattice import Lattice
from openhaven.provisioning.deid.metrics import QualityMetric

UNKNOWN, ANONYMOUS, NOT_ANONYMOUS = 0, 1, -1
#: how many evaluated nodes' classes are kept to group the nodes above them from
SNAPSHOTS_KEPT = 64
#: bounds computed for many nodes at once may differ from a node's own in the last bit
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class SearchResult:
    """The optimal transformation and what it cost to find it."""

    levels: tuple[int, ...]
    evaluation: NodeEvaluation
    score: float
    evaluated: int
    lattice_size: int
    seconds: float


class _Search:
    def __init__(self, problem: Problem, metric: QualityMetric) -> None:
        self.problem = problem
        self.metric = metric
        self.lattice = Lattice([hierarchy.max_level for hierarchy in problem.hierarchies])
        self.status = np.zeros(self.lattice.size, dtype=np.int8)
        self.evaluated = 0
        self.scores: dict[int, float] = {}
        self.pruned = np.zeros(self.lattice.size, dtype=np.bool_)
        self.best: float | None = None
        bottom = evaluate_records(problem, self.lattice.bottom)
        self.bottom = bottom.snapshot()
        self.snapshots: list[Snapshot] = []
        self.monotonic = problem.monotonic()
        self.bounds = metric.level_bounds(self.lattice.nodes)
        # With suppression the anonymous region is large and paths through nodes that cannot
        # be optimal mostly end in anonymous nodes that teach little; without it, those long
        # paths are what finds the (few) anonymous nodes, so they are kept.
        self.prune_paths = problem.max_outliers > 0
        self.rank = self.lattice.flash_order(
            [[len(h.labels_at(level)) for level in range(h.height)] for h in problem.hierarchies])

    def _base_for(self, levels: tuple[int, ...]) -> Snapshot:
        """The kept snapshot below ``levels`` with the fewest classes (the bottom at worst)."""
        if not self.snapshots:
            return self.bottom
        kept = np.array([snapshot.levels for snapshot in self.snapshots], dtype=np.int64)
        below = np.flatnonzero(np.all(kept <= np.asarray(levels, dtype=np.int64), axis=1))
        if len(below) == 0:
            return self.bottom
        sizes = np.array([len(self.snapshots[index].sizes) for index in below])
        return self.snapshots[int(below[np.argmin(sizes)])]

    def check(self, index: int) -> NodeEvaluation:
        """Group one node, tag what its verdict implies, and remember its score if anonymous."""
        levels = self.lattice.levels(index)
        evaluation = evaluate_from(self.problem, self._base_for(levels), levels)
        self.evaluated += 1
        self.snapshots.append(evaluation.snapshot())
        if len(self.snapshots) > SNAPSHOTS_KEPT:
            self.snapshots.pop(0)
        if evaluation.anonymous:
            if self.monotonic:
                self.status[self.lattice.above(index) & (self.status == UNKNOWN)] = ANONYMOUS
            self.status[index] = ANONYMOUS
            score = self.metric.score(evaluation)
            self.scores[index] = score
            if self.best is None or score < self.best:
                self.best = score
            if self.metric.class_bound(evaluation) > self.best:
                self.pruned |= self.lattice.above(index)
        else:
            if self.monotonic:
                self.status[self.lattice.below(index) & (self.status == UNKNOWN)] = NOT_ANONYMOUS
            self.status[index] = NOT_ANONYMOUS
        return evaluation

    def hopeless(self, index: int) -> bool:
        """Whether the node's lower bound is already worse than the best score found: then
        neither it nor any node above it can be the optimum, anonymous or not, and its
        anonymity need not be known (Flash's pruning by information loss)."""
        if self.best is None:
            return False
        return bool(self.bounds[index] > self.best + _TOLERANCE * abs(self.best))

    def binary_phase(self) -> None:
        for start in np.argsort(self.rank):
            if self.status[start] != UNKNOWN or self.hopeless(int(start)):
                continue
            path = self._path_from(int(start))
            low, high = 0, len(path) - 1
            while low <= high:
                middle = (low + high) // 2
                node = path[middle]
                if self.status[node] == UNKNOWN:
                    self.check(node)
                if self.status[node] == ANONYMOUS:
                    high = middle - 1
                else:
                    low = middle + 1

    def _path_from(self, start: int) -> list[int]:
        """Climb from ``start`` through nodes of unknown anonymity, one level at a time."""
        path = [start]
        current = start
        while True:
            step = min((s for s in self.lattice.successors(current)
                        if self.status[s] == UNKNOWN
                        and not (self.prune_paths and self.hopeless(s))),
                       key=lambda s: self.rank[s], default=None)
            if step is None:
                return path
            path.append(step)
            current = step

    def optimisation_phase(self) -> int:
        lattice = self.lattice
        bounds = self.metric.level_bounds(lattice.nodes)
        candidates = np.flatnonzero(self.status != NOT_ANONYMOUS)
        order = candidates[np.lexsort((candidates, lattice.heights[candidates],
                                       bounds[candidates]))]
        best: tuple[float, int, int] | None = None
        for raw in order:
            index = int(raw)
            if best is not None and bounds[index] > best[0]:
                break
            if self.pruned[index] or self.status[index] == NOT_ANONYMOUS:
                continue
            if index not in self.scores:
                if self.status[index] == ANONYMOUS and not self.metric.needs_classes():
                    self.scores[index] = self.metric.level_bound(lattice.levels(index)) or 0.0
                else:
                    self.check(index)
                    if self.status[index] != ANONYMOUS:
                        continue
            ranked = (self.scores[index], int(lattice.heights[index]), index)
            if best is None or ranked < best:
                best = ranked
        if best is None:
            raise SafeguardRefused(
                "No transformation satisfies the privacy model within the suppression limit; "
                "allow more suppression or give hierarchies with more levels."
            )
        return best[2]


def optimal_transformation(problem: Problem, metric: QualityMetric) -> SearchResult:
    """Find the transformation with the least information loss that satisfies the models."""
    started = time.perf_counter()
    search = _Search(problem, metric)
    if problem.monotonic():
        search.binary_phase()
    chosen = search.optimisation_phase()
    levels = search.lattice.levels(chosen)
    evaluation = evaluate_node(problem, levels)
    return SearchResult(
        levels=levels,
        evaluation=evaluation,
        score=metric.score(evaluation),
        evaluated=search.evaluated,
        lattice_size=search.lattice.size,
        seconds=time.perf_counter() - started,
    )


def exhaustive_transformation(problem: Problem, metric: QualityMetric) -> tuple[
        tuple[int, ...], float]:
    """Check every node with no pruning: the reference the pruned search is tested against."""
    lattice = Lattice([hierarchy.max_level for hierarchy in problem.hierarchies])
    best: tuple[float, int, int] | None = None
    for index in range(lattice.size):
        evaluation = evaluate_node(problem, lattice.levels(index))
        if evaluation.anonymous:
            ranked = (metric.score(evaluation), int(lattice.heights[index]), index)
            if best is None or ranked < best:
                best = ranked
    if best is None:
        raise SafeguardRefused("No transformation satisfies the privacy model.")
    return lattice.levels(best[2]), best[0]



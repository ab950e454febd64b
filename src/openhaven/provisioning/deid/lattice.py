"""The generalisation lattice: every combination of one level per quasi-identifier.

A node is a vector of levels; its successors raise one attribute by one level, its
predecessors lower one. Node ``a`` is *above* ``b`` when every level of ``a`` is at least that of
``b``. The whole lattice is held as one integer matrix (one row per node, in mixed-radix order)
so that "all nodes above this one" is a single vectorised comparison — which is what predictive
tagging needs: when a node is anonymous every node above it is, when it is not, no node below
it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
IntMatrix = npt.NDArray[np.int64]


class Lattice:
    """All transformations for attributes with the given number of levels (top level included)."""

    def __init__(self, max_levels: Sequence[int]) -> None:
        if not max_levels:
            raise ValueError("a lattice needs at least one attribute")
        self.max_levels = tuple(int(level) for level in max_levels)
        self.dimensions = len(self.max_levels)
        radices = [level + 1 for level in self.max_levels]
        # Strides of the mixed-radix numbering: the last attribute varies fastest.
        strides = np.ones(self.dimensions, dtype=np.int64)
        for position in range(self.dimensions - 2, -1, -1):
            strides[position] = strides[position + 1] * radices[position + 1]
        self.strides = strides
        self.size = int(np.prod(radices, dtype=np.int64))
        grids = np.indices(radices, dtype=np.int64).reshape(self.dimensions, -1).T
        self.nodes: IntMatrix = np.ascontiguousarray(grids)
        self.heights = self.nodes.sum(axis=1)
        # One mask per attribute and level: nodes at or above / at or below that level.
        self._at_least = [[self.nodes[:, position] >= level for level in range(radix)]
                          for position, radix in enumerate(radices)]
        self._at_most = [[self.nodes[:, position] <= level for level in range(radix)]
                         for position, radix in enumerate(radices)]

    @property
    def bottom(self) -> tuple[int, ...]:
        return (0,) * self.dimensions

    @property
    def top(self) -> tuple[int, ...]:
        return self.max_levels

    def index(self, levels: Sequence[int]) -> int:
        return int(np.dot(np.asarray(levels, dtype=np.int64), self.strides))

    def levels(self, index: int) -> tuple[int, ...]:
        return tuple(int(level) for level in self.nodes[index])

    def above(self, index: int) -> BoolArray:
        """Mask of the node and every node that generalises it further (its successors' closure)."""
        levels = self.nodes[index]
        mask: BoolArray = self._at_least[0][levels[0]].copy()
        for position in range(1, self.dimensions):
            mask &= self._at_least[position][levels[position]]
        return mask

    def below(self, index: int) -> BoolArray:
        """Mask of the node and every node it generalises (its predecessors' closure)."""
        levels = self.nodes[index]
        mask: BoolArray = self._at_most[0][levels[0]].copy()
        for position in range(1, self.dimensions):
            mask &= self._at_most[position][levels[position]]
        return mask

    def flash_order(self, distinct: Sequence[Sequence[int]]) -> IntMatrix:
        """Rank of every node in the order the search visits them: by height, then by mean
        relative level, then by the mean share of distinct values lost (Flash's strategy);
        ``distinct[i][level]`` counts attribute ``i``'s distinct values at ``level``."""
        relative = np.zeros(self.size, dtype=np.float64)
        kept = np.zeros(self.size, dtype=np.float64)
        for position, top in enumerate(self.max_levels):
            levels = self.nodes[:, position]
            if top:
                relative += levels / top
            counts = np.asarray(distinct[position], dtype=np.float64)
            kept += counts[levels] / counts[0]
        relative /= self.dimensions
        lost = 1.0 - kept / self.dimensions
        order = np.lexsort((np.arange(self.size), lost, relative, self.heights))
        rank = np.empty(self.size, dtype=np.int64)
        rank[order] = np.arange(self.size)
        return rank

    def successors(self, index: int) -> Iterator[int]:
        levels = self.nodes[index]
        for position in range(self.dimensions):
            if levels[position] < self.max_levels[position]:
                yield index + int(self.strides[position])

    def predecessors(self, index: int) -> Iterator[int]:
        levels = self.nodes[index]
        for position in range(self.dimensions):
            if levels[position] > 0:
                yield index - int(self.strides[position])

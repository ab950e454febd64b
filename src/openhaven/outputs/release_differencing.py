"""Differencing at release time: new tables against everything the project released.

``differencing.find_differencing_risks`` relates tables through the records behind them.
The airlock has no records at hand — only what was published — so here each cell is read as
a set of facts about grouping variables: the table's subgroup condition (see
``where_conditions``) and the cell's own grouping values; a margin leaves its variable open
(any non-missing value, or any value at all when the table left no record out). Cell B lies
inside cell A when every fact of A holds for B. The levels of every variable (those seen in
any table, plus "another value" and "missing") span a space of *atoms*; each published cell
is the sum of the atoms it covers. Two attacks, as in ``differencing``:

* **difference** — a published cell of a new table and one of another table (released, or
  new in the same request) where one strictly contains the other and their difference is
  above zero and below the threshold: subtracting isolates fewer than the threshold;
* **linked-tables** — every sensitive hidden cell of every table is attacked by linear
  programming (HiGHS) over the atoms, with every published figure as a constraint (within
  its tolerance when rounded or perturbed). Without the true value, the cell counts as
  exposed when its feasible range is narrower than the protection (``absolute``, default the
  threshold) — a range that narrow cannot hold value ± protection for any value. A cell
  already exposed by the released tables alone is not blamed on the new ones.

Only tables with the same ``universe`` are related. Findings name tables and cell positions;
they never state a count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog

from openhaven.outputs.comparable_tables import ComparableTable, TableCell
from openhaven.outputs.where_conditions import parse_where

OTHER = "\x00other"
MISSING = "\x00missing"
MAX_ATOMS = 20_000
MAX_MATRIX = 5_000_000
MAX_PAIRS = 5_000_000


@dataclass(frozen=True)
class ReleaseRisk:
    kind: str  # difference, linked-tables, not-checked
    cells: tuple[dict[str, Any], ...]
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def tables(self) -> set[str]:
        return {str(c["table"]) for c in self.cells}

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cells": list(self.cells), "reason": self.reason,
                **self.details}


@dataclass(frozen=True)
class _Cell:
    table: int
    cell: TableCell
    facts: dict[str, frozenset[str]]  # variable → allowed levels (absent: any level)

    @property
    def value(self) -> float | None:
        return self.cell.value


def find_release_risks(new: Sequence[ComparableTable], released: Sequence[ComparableTable],
                       *, threshold: int, protection: float | None = None) -> list[ReleaseRisk]:
    """Every differencing risk the ``new`` tables bring, alone or beside ``released`` ones."""
    risks: list[ReleaseRisk] = []
    for universe in sorted({t.universe for t in new}):
        mine = [t for t in new if t.universe == universe]
        before = [t for t in released if t.universe == universe]
        risks += _risks_in_universe(mine, before, threshold,
                                    float(threshold if protection is None else protection))
    return risks


def exposed_hidden_cells(table: ComparableTable, *, protection: float) -> list[ReleaseRisk]:
    """The attack on one table alone: sensitive hidden cells its own figures narrow."""
    cells, levels = _facts([table])
    return _linked(cells, [table], levels, 0, protection, alone=True)


def _risks_in_universe(new: list[ComparableTable], released: list[ComparableTable],
                       threshold: int, protection: float) -> list[ReleaseRisk]:
    tables = [*released, *new]
    first_new = len(released)
    cells, levels = _facts(tables)
    risks = _nested(cells, tables, first_new, threshold)
    risks += _linked(cells, tables, levels, first_new, protection)
    return risks


def _facts(tables: list[ComparableTable]) -> tuple[list[_Cell], dict[str, list[str]]]:
    """Each cell's facts, and every variable's levels (seen values, other, missing)."""
    seen: dict[str, set[str]] = {}
    parsed = [parse_where(t.where) for t in tables]
    for table, condition in zip(tables, parsed, strict=True):
        for variable in table.variables:
            seen.setdefault(variable, set())
        for cell in table.cells:
            for variable, value in cell.fixed:
                seen.setdefault(variable, set()).add(value)
        for constraint in condition.constraints:
            seen.setdefault(constraint.variable, set()).update(constraint.values)
        for text in condition.opaque:
            seen.setdefault(_opaque(text), set()).add("true")
    levels = {v: [*sorted(values), OTHER, MISSING] for v, values in seen.items()}
    cells: list[_Cell] = []
    for index, (table, condition) in enumerate(zip(tables, parsed, strict=True)):
        base: dict[str, frozenset[str]] = {}
        for constraint in condition.constraints:
            everything = frozenset(levels[constraint.variable])
            allowed = (everything - constraint.values - {MISSING} if constraint.negated
                       else constraint.values)
            base[constraint.variable] = base.get(constraint.variable, everything) & allowed
        for text in condition.opaque:
            base[_opaque(text)] = frozenset({"true"})
        for cell in table.cells:
            facts = dict(base)
            fixed = dict(cell.fixed)
            for variable in table.variables:
                everything = frozenset(levels[variable])
                if variable in fixed:
                    allowed = frozenset({fixed[variable]})
                elif table.complete:
                    continue  # nobody in this table lacks the variable: the margin is all
                else:
                    allowed = everything - {MISSING}
                facts[variable] = facts.get(variable, everything) & allowed
            facts = {v: a for v, a in facts.items() if len(a) < len(levels[v])}
            cells.append(_Cell(index, cell, facts))
    return cells, levels


def _opaque(text: str) -> str:
    return f"where: {text}"


def _inside(inner: _Cell, outer: _Cell) -> bool:
    """Every fact of ``outer`` holds for ``inner`` (inner's population within outer's)."""
    return all(variable in inner.facts and inner.facts[variable] <= allowed
               for variable, allowed in outer.facts.items())


def _nested(cells: list[_Cell], tables: list[ComparableTable], first_new: int,
            threshold: int) -> list[ReleaseRisk]:
    exact = [c for c in cells if c.value is not None and tables[c.table].tolerance == 0]
    fresh = [c for c in exact if c.table >= first_new]
    if 2 * len(fresh) * len(exact) > MAX_PAIRS:
        return [ReleaseRisk("not-checked", (), "too many published cells to compare pairwise;"
                            " review for differencing by hand")]
    risks = []
    seen: set[tuple[int, int]] = set()
    pairs = ((a, b) for new in fresh for other in exact if other.table != new.table
             for a, b in ((new, other), (other, new)))
    for outer, inner in pairs:
        if (id(outer), id(inner)) in seen:  # two new tables meet twice
            continue
        seen.add((id(outer), id(inner)))
        if outer.facts == inner.facts or not _inside(inner, outer):
            continue
        assert outer.value is not None and inner.value is not None
        if 0 < outer.value - inner.value < threshold:
            risks.append(ReleaseRisk(
                "difference", (outer.cell.describe(tables[outer.table].label),
                               inner.cell.describe(tables[inner.table].label)),
                f"the second cell's population lies within the first's; subtracting it "
                f"isolates fewer than {threshold} records"))
    return risks


def _linked(cells: list[_Cell], tables: list[ComparableTable], levels: dict[str, list[str]],
            first_new: int, protection: float, *, alone: bool = False) -> list[ReleaseRisk]:
    targets = [c for c in cells if c.value is None and c.cell.sensitive]
    if not targets or (len(tables) < 2 and not alone):
        return []
    space = _AtomSpace(cells, levels)
    if space.size > MAX_ATOMS or space.size * len(cells) > MAX_MATRIX:
        return [ReleaseRisk("not-checked", (), "the tables together span too many "
                            "combinations to attack by linear programming; review the hidden "
                            "cells against the other tables by hand")]
    everything = _Program(space, [c for c in cells if c.value is not None], tables)
    only_released = _Program(space, [c for c in cells if c.value is not None
                                     and c.table < first_new], tables)
    risks = []
    for cell in targets:
        interval = everything.interval(cell)
        if interval is None or interval[1] - interval[0] >= protection:
            continue
        if cell.table < first_new:
            before = only_released.interval(cell)
            if before is not None and before[1] - before[0] < protection:
                continue  # exposed already by what was released; not this request's doing
        risks.append(ReleaseRisk(
            "linked-tables", (cell.cell.describe(tables[cell.table].label),),
            f"this hidden cell can be narrowed below its protection range ({protection:g}) "
            "from the published figures",
            {"exact": math.isclose(interval[0], interval[1], abs_tol=1e-6)}))
    return risks


class _AtomSpace:
    """Levels merged where no cell tells them apart, and their product: the atoms."""

    def __init__(self, cells: Iterable[_Cell], levels: dict[str, list[str]]) -> None:
        cells = list(cells)
        self.variables = sorted(levels)
        self.classes: dict[str, list[frozenset[str]]] = {}
        for variable in self.variables:
            sets = {c.facts[variable] for c in cells if variable in c.facts}
            groups: dict[tuple[bool, ...], set[str]] = {}
            ordered = sorted(sets, key=sorted)
            for level in levels[variable]:
                groups.setdefault(tuple(level in s for s in ordered), set()).add(level)
            self.classes[variable] = [frozenset(g) for g in groups.values()]
        self.size = math.prod(len(self.classes[v]) for v in self.variables)

    def vector(self, cell: _Cell) -> np.ndarray:
        result = np.ones(1)
        for variable in self.variables:
            allowed = cell.facts.get(variable)
            part = np.array([1.0 if allowed is None or group <= allowed else 0.0
                             for group in self.classes[variable]])
            result = np.kron(result, part)
        return result


class _Program:
    def __init__(self, space: _AtomSpace, published: list[_Cell],
                 tables: list[ComparableTable]) -> None:
        self.space = space
        exact = [c for c in published if tables[c.table].tolerance == 0]
        loose = [c for c in published if tables[c.table].tolerance > 0]
        self.a_eq = np.array([space.vector(c) for c in exact]) if exact else None
        self.b_eq = np.array([c.value for c in exact], dtype=float) if exact else None
        self.a_ub = None
        self.b_ub = None
        if loose:
            vectors = np.array([space.vector(c) for c in loose])
            slack = np.array([tables[c.table].tolerance for c in loose])
            values = np.array([c.value for c in loose], dtype=float)
            self.a_ub = np.vstack([vectors, -vectors])
            self.b_ub = np.concatenate([values + slack, -(values - slack)])

    def interval(self, cell: _Cell) -> tuple[float, float] | None:
        """The cell's feasible range, or None when the figures contradict each other."""
        objective = self.space.vector(cell)
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * objective, A_ub=self.a_ub, b_ub=self.b_ub, A_eq=self.a_eq,
                             b_eq=self.b_eq, bounds=(0, None), method="highs")
            if result.status == 2:  # infeasible: tables from different data; nothing proven
                return None
            ends.append(sign * float(result.fun) if result.status == 0 else sign * math.inf)
        return ends[0], ends[1]

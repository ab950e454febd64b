"""Declarative aggregate queries: parse and validate a query file before anything runs.

A query names a population (optionally people with any of a list of condition codes), one
measure, and the dimensions to group by. This first form supports counting patients; later
work adds event counts, sums, means, quantiles and rates without changing the shape.

    name: hypertension-by-sex-and-age
    population:
      conditions: {code_system: snomed, codes: ["38341003"]}
    measure: count_patients
    group_by: [sex, age_band]
    reference_date: 2026-01-01
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openhaven.core.errors import InvalidInput, Location

MEASURES = ("count_patients",)
DIMENSIONS = ("sex", "ethnicity", "age_band", "postcode_district")
AGE_BANDS = ((0, 17), (18, 39), (40, 59), (60, 79), (80, None))


@dataclass(frozen=True)
class ConditionFilter:
    code_system: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class AggregateQuery:
    name: str
    measure: str
    group_by: tuple[str, ...]
    reference_date: dt.date
    conditions: ConditionFilter | None = None
    source: str = field(default="", compare=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "query") -> AggregateQuery:
        def fail(message: str, where: str) -> InvalidInput:
            return InvalidInput(message, Location(file=source, field=where))

        if not isinstance(raw, Mapping):
            raise fail("A query must be a mapping of keys to values", "(top level)")
        unknown = set(raw) - {"name", "population", "measure", "group_by", "reference_date"}
        if unknown:
            raise fail(f"Unknown key(s): {', '.join(sorted(unknown))}", sorted(unknown)[0])
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise fail("A query needs a name", "name")
        measure = raw.get("measure", "count_patients")
        if measure not in MEASURES:
            raise fail(f"Unknown measure {measure!r}; measures: {', '.join(MEASURES)}", "measure")
        group_by = raw.get("group_by", [])
        if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
            raise fail("group_by must be a list of dimension names", "group_by")
        for index, dimension in enumerate(group_by):
            if dimension not in DIMENSIONS:
                raise fail(
                    f"Unknown dimension {dimension!r}; dimensions: {', '.join(DIMENSIONS)}",
                    f"group_by[{index}]",
                )
        if len(set(group_by)) != len(group_by):
            raise fail("A dimension is named twice", "group_by")
        reference = raw.get("reference_date", dt.date(2026, 1, 1))
        if isinstance(reference, str):
            try:
                reference = dt.date.fromisoformat(reference)
            except ValueError:
                raise fail("reference_date must be a date (YYYY-MM-DD)", "reference_date") from None
        if not isinstance(reference, dt.date):
            raise fail("reference_date must be a date (YYYY-MM-DD)", "reference_date")
        return cls(
            name=name.strip(),
            measure=str(measure),
            group_by=tuple(group_by),
            reference_date=reference,
            conditions=_parse_population(raw.get("population"), fail),
            source=source,
        )

    def as_dict(self) -> dict[str, Any]:
        population: dict[str, Any] = {}
        if self.conditions is not None:
            population["conditions"] = {
                "code_system": self.conditions.code_system,
                "codes": list(self.conditions.codes),
            }
        return {
            "name": self.name,
            "population": population,
            "measure": self.measure,
            "group_by": list(self.group_by),
            "reference_date": self.reference_date.isoformat(),
        }


def _parse_population(raw: Any, fail: Any) -> ConditionFilter | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise fail("population must be a mapping", "population")
    unknown = set(raw) - {"conditions"}
    if unknown:
        raise fail(f"Unknown population key(s): {', '.join(sorted(unknown))}", "population")
    conditions = raw.get("conditions")
    if conditions is None:
        return None
    if not isinstance(conditions, Mapping):
        raise fail("population.conditions must be a mapping", "population.conditions")
    codes = conditions.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str | int) for c in codes):
        raise fail("A non-empty list of codes is needed", "population.conditions.codes")
    system = conditions.get("code_system", "snomed")
    if system not in ("snomed", "icd10"):
        raise fail("code_system must be snomed or icd10", "population.conditions.code_system")
    return ConditionFilter(code_system=str(system), codes=tuple(str(c) for c in codes))

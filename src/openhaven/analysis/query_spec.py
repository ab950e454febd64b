"""Declarative aggregate queries: parse and validate a query file before anything runs.

A query names a population, one measure and the dimensions to group by::

    name: hypertension-by-sex-and-age
    population:
      conditions: {code_system: snomed, codes: ["38341003"], between: [2015-01-01, 2025-12-31]}
      medications: {code_system: dmd, codes: ["..."]}      # optional, also "any of"
      age: {min: 40, max: 79}                               # at the reference date
      sex: [female, male]
    measure: count_patients           # or a mapping, e.g. {kind: mean, of: age}
    group_by: [sex, age_band]
    reference_date: 2026-01-01

Measures: ``count_patients``, ``count_events`` (rows of the population's code lists, within
the window), ``sum``/``mean``/``median`` of a numeric quantity (``age``, or ``TABLE.COLUMN``
of a numeric extract column), ``quantiles`` (each a row, labelled by the ``quantile``
dimension) and ``rate_per_1000`` (population patients per 1,000 patients in the same group).
The query is validated here for its own shape; the compiler then checks it against the
extract's schema, so a query that needs a column the project was not given fails precisely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openhaven.core.errors import InvalidInput, Location

MEASURES = ("count_patients", "count_events", "sum", "mean", "median", "quantiles",
            "rate_per_1000")
#: Measures whose value is a magnitude rather than a count of people.
MAGNITUDE_MEASURES = ("sum", "mean", "median", "quantiles")
DIMENSIONS = ("sex", "ethnicity", "age_band", "postcode_district")
AGE_BANDS = ((0, 17), (18, 39), (40, 59), (60, 79), (80, None))
CODE_SYSTEMS = ("snomed", "icd10", "dmd", "loinc", "rxnorm", "other")
#: Event tables a population may select on, with their date column.
EVENT_TABLES = {"conditions": "onset_date", "medications": "start_date",
                "procedures": "procedure_date", "observations": "observation_date"}
SEXES = ("female", "male", "other", "unknown")


@dataclass(frozen=True)
class CodeFilter:
    """Patients with any of ``codes`` in ``table``, optionally dated within a window."""

    table: str
    code_system: str
    codes: tuple[str, ...]
    start: dt.date | None = None
    end: dt.date | None = None


#: The name kept for the first form of the query language.
ConditionFilter = CodeFilter


@dataclass(frozen=True)
class Measure:
    kind: str
    of: str | None = None
    quantiles: tuple[float, ...] = ()


@dataclass(frozen=True)
class AggregateQuery:
    name: str
    measure: str
    group_by: tuple[str, ...]
    reference_date: dt.date
    conditions: CodeFilter | None = None
    source: str = field(default="", compare=False)
    filters: tuple[CodeFilter, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    sexes: tuple[str, ...] = ()
    measure_detail: Measure | None = None

    @property
    def code_filters(self) -> tuple[CodeFilter, ...]:
        return ((self.conditions,) if self.conditions is not None else ()) + self.filters

    @property
    def measure_spec(self) -> Measure:
        return self.measure_detail or Measure(self.measure)

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
        measure = _parse_measure(raw.get("measure", "count_patients"), fail)
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
        reference = _date(raw.get("reference_date", dt.date(2026, 1, 1)), "reference_date", fail)
        assert reference is not None
        population = _Population.parse(raw.get("population"), fail)
        if measure.kind == "count_events" and not population.filters:
            raise fail("count_events needs a population with codes to count", "measure")
        first = population.filters[0] if population.filters else None
        legacy = first if first is not None and first.table == "conditions" else None
        return cls(
            name=name.strip(),
            measure=measure.kind,
            group_by=tuple(group_by),
            reference_date=reference,
            conditions=legacy,
            source=source,
            filters=tuple(f for f in population.filters if f is not legacy),
            min_age=population.min_age,
            max_age=population.max_age,
            sexes=population.sexes,
            measure_detail=None if measure == Measure(measure.kind) else measure,
        )

    def as_dict(self) -> dict[str, Any]:
        population: dict[str, Any] = {}
        for code_filter in self.code_filters:
            entry: dict[str, Any] = {"code_system": code_filter.code_system,
                                     "codes": list(code_filter.codes)}
            if code_filter.start or code_filter.end:
                entry["between"] = [_iso(code_filter.start), _iso(code_filter.end)]
            population[code_filter.table] = entry
        if self.min_age is not None or self.max_age is not None:
            population["age"] = {k: v for k, v in (("min", self.min_age),
                                                   ("max", self.max_age)) if v is not None}
        if self.sexes:
            population["sex"] = list(self.sexes)
        spec = self.measure_spec
        measure: Any = spec.kind
        if self.measure_detail is not None:
            measure = {"kind": spec.kind}
            if spec.of is not None:
                measure["of"] = spec.of
            if spec.quantiles:
                measure["quantiles"] = list(spec.quantiles)
        return {
            "name": self.name,
            "population": population,
            "measure": measure,
            "group_by": list(self.group_by),
            "reference_date": self.reference_date.isoformat(),
        }


@dataclass(frozen=True)
class _Population:
    filters: tuple[CodeFilter, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    sexes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Any, fail: Any) -> _Population:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise fail("population must be a mapping", "population")
        unknown = set(raw) - {*EVENT_TABLES, "age", "sex"}
        if unknown:
            raise fail(f"Unknown population key(s): {', '.join(sorted(unknown))}", "population")
        filters = []
        for table in EVENT_TABLES:
            if raw.get(table) is not None:
                filters.append(_parse_codes(table, raw[table], fail))
        min_age = max_age = None
        if raw.get("age") is not None:
            age = raw["age"]
            if not isinstance(age, Mapping) or set(age) - {"min", "max"}:
                raise fail("age must be a mapping with min and/or max", "population.age")
            for key in ("min", "max"):
                value = age.get(key)
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                          or not 0 <= value <= 130):
                    raise fail("An age must be a whole number of years, 0 to 130",
                               f"population.age.{key}")
            min_age, max_age = age.get("min"), age.get("max")
            if min_age is not None and max_age is not None and min_age > max_age:
                raise fail("age.min is above age.max", "population.age")
        sexes: tuple[str, ...] = ()
        if raw.get("sex") is not None:
            values = raw["sex"]
            if not isinstance(values, list) or not values or any(v not in SEXES for v in values):
                raise fail(f"sex must be a list drawn from {', '.join(SEXES)}", "population.sex")
            sexes = tuple(values)
        return cls(tuple(filters), min_age, max_age, sexes)


def _parse_codes(table: str, raw: Any, fail: Any) -> CodeFilter:
    where = f"population.{table}"
    if not isinstance(raw, Mapping):
        raise fail(f"{where} must be a mapping", where)
    unknown = set(raw) - {"code_system", "codes", "between"}
    if unknown:
        raise fail(f"Unknown key(s): {', '.join(sorted(unknown))}", where)
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str | int) for c in codes):
        raise fail("A non-empty list of codes is needed", f"{where}.codes")
    system = raw.get("code_system", "snomed")
    if system not in CODE_SYSTEMS:
        raise fail(f"code_system must be one of {', '.join(CODE_SYSTEMS)}",
                   f"{where}.code_system")
    start = end = None
    if raw.get("between") is not None:
        window = raw["between"]
        if not isinstance(window, list) or len(window) != 2:
            raise fail("between must be [start, end] (dates, either may be null)",
                       f"{where}.between")
        start = _date(window[0], f"{where}.between[0]", fail)
        end = _date(window[1], f"{where}.between[1]", fail)
        if start is not None and end is not None and start > end:
            raise fail("The window ends before it starts", f"{where}.between")
    return CodeFilter(table, str(system), tuple(str(c) for c in codes), start, end)


def _parse_measure(raw: Any, fail: Any) -> Measure:
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, Mapping):
        raise fail("measure must be a name or a mapping with a kind", "measure")
    unknown = set(raw) - {"kind", "of", "quantiles"}
    if unknown:
        raise fail(f"Unknown measure key(s): {', '.join(sorted(unknown))}", "measure")
    kind = raw.get("kind")
    if kind not in MEASURES:
        raise fail(f"Unknown measure {kind!r}; measures: {', '.join(MEASURES)}", "measure")
    of = raw.get("of")
    if kind in MAGNITUDE_MEASURES:
        if not isinstance(of, str) or not (of == "age" or of.count(".") == 1):
            raise fail(f"{kind} needs 'of': age or TABLE.COLUMN of a numeric column",
                       "measure.of")
    elif of is not None:
        raise fail(f"{kind} takes no 'of'", "measure.of")
    quantiles: tuple[float, ...] = ()
    if kind == "quantiles":
        given = raw.get("quantiles", [0.25, 0.5, 0.75])
        if (not isinstance(given, list) or not given
                or not all(isinstance(q, int | float) and 0 < q < 1 for q in given)):
            raise fail("quantiles must be a list of fractions between 0 and 1",
                       "measure.quantiles")
        quantiles = tuple(float(q) for q in given)
    elif raw.get("quantiles") is not None:
        raise fail(f"{kind} takes no 'quantiles'", "measure.quantiles")
    return Measure(str(kind), of, quantiles)


def _date(value: Any, where: str, fail: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise fail(f"{where} must be a date (YYYY-MM-DD)", where) from None
    if not isinstance(value, dt.date):
        raise fail(f"{where} must be a date (YYYY-MM-DD)", where)
    return value


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()

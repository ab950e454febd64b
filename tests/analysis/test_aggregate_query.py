"""Spec tests for aggregate queries: a tiny extract in, the expected table out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import run_query_unsafe
from openhaven.core.errors import InvalidInput
from openhaven.engine import open_session


def _extract(tmp_path: Path, *, with_conditions: bool = True) -> Path:
    path = tmp_path / "extract.duckdb"
    with open_session(path) as s:
        s.execute(
            "CREATE TABLE patients AS SELECT * FROM (VALUES "
            "('a', 1950, 'female', 'A'), ('b', 1990, 'male', 'B'), ('c', 2010, 'female', NULL), "
            "('d', 1945, 'female', 'A')) t(pseudonym, date_of_birth_year, sex, ethnicity)"
        )
        if with_conditions:
            s.execute(
                "CREATE TABLE conditions AS SELECT * FROM (VALUES "
                "('a', 'snomed', '38341003'), ('a', 'snomed', '38341003'), "
                "('b', 'snomed', '44054006'), ('d', 'snomed', '38341003')) "
                "t(pseudonym, code_system, code)"
            )
    return path


def _query(**overrides: object) -> AggregateQuery:
    raw: dict[str, object] = {"name": "q", "group_by": ["sex"], "reference_date": "2026-01-01"}
    raw.update(overrides)
    return AggregateQuery.from_dict(raw)


def test_counts_patients_by_group(tmp_path: Path) -> None:
    result = run_query_unsafe(_extract(tmp_path), _query())
    assert result.rows == (("female", 3), ("male", 1))


def test_population_by_condition_counts_each_patient_once(tmp_path: Path) -> None:
    query = _query(
        population={"conditions": {"codes": ["38341003"]}}, group_by=["sex", "age_band"]
    )
    result = run_query_unsafe(_extract(tmp_path), query)
    assert result.rows == (("female", "60-79", 1), ("female", "80+", 1))


def test_unknown_values_are_labelled(tmp_path: Path) -> None:
    result = run_query_unsafe(_extract(tmp_path), _query(group_by=["ethnicity"]))
    assert result.rows == (("A", 2), ("B", 1), ("unknown", 1))


def test_no_grouping_gives_one_total(tmp_path: Path) -> None:
    assert run_query_unsafe(_extract(tmp_path), _query(group_by=[])).rows == ((4,),)


def test_query_needing_missing_table_names_it(tmp_path: Path) -> None:
    query = _query(population={"conditions": {"codes": ["1"]}})
    with pytest.raises(InvalidInput) as caught:
        run_query_unsafe(_extract(tmp_path, with_conditions=False), query)
    assert "conditions" in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.field == "population.conditions"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"group_by": ["sex"]}, "name"),
        ({"name": "q", "measure": "max_value"}, "measure"),
        ({"name": "q", "group_by": ["sex", "shoe_size"]}, "group_by[1]"),
        ({"name": "q", "reference_date": "yesterday"}, "reference_date"),
        ({"name": "q", "population": {"conditions": {"codes": []}}}, "population.conditions.codes"),
        ({"name": "q", "colour": "blue"}, "colour"),
    ],
)
def test_invalid_queries_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        AggregateQuery.from_dict(raw, source="q.yaml")
    assert caught.value.location is not None
    assert caught.value.location.field == field
    assert caught.value.location.file == "q.yaml"


def test_round_trip_through_dict() -> None:
    query = _query(population={"conditions": {"codes": ["1", "2"], "code_system": "icd10"}})
    assert AggregateQuery.from_dict(query.as_dict()) == query
    assert query.reference_date == dt.date(2026, 1, 1)

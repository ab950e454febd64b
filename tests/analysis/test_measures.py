"""Spec tests for the measures, populations and windows: tiny extract in, expected table out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from openhaven.analysis.measure_checks import check_measure_table
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import run_query_unsafe
from openhaven.core.errors import InvalidInput
from openhaven.engine import open_session


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    path = tmp_path / "extract.duckdb"
    with open_session(path) as s:
        s.execute(
            "CREATE TABLE patients AS SELECT * FROM (VALUES "
            "('a', 1950, 'female'), ('b', 1990, 'male'), ('c', 2010, 'female'), "
            "('d', 1946, 'female'), ('e', 1980, 'male')) t(pseudonym, date_of_birth_year, sex)"
        )
        s.execute(
            "CREATE TABLE conditions AS SELECT * FROM (VALUES "
            "('a', 'snomed', '38341003', DATE '2010-03-01'), "
            "('a', 'snomed', '38341003', DATE '2021-05-01'), "
            "('b', 'snomed', '38341003', DATE '2022-01-01'), "
            "('d', 'snomed', '38341003', DATE '1999-01-01'), "
            "('e', 'snomed', '44054006', DATE '2020-01-01')) "
            "t(pseudonym, code_system, code, onset_date)"
        )
        s.execute(
            "CREATE TABLE observations AS SELECT * FROM (VALUES "
            "('a', 120.0, 'x'), ('a', 140.0, 'x'), ('b', 130.0, 'y'), ('d', 150.0, 'z')) "
            "t(pseudonym, value_numeric, value_text)"
        )
    return path


def _query(**overrides: object) -> AggregateQuery:
    raw: dict[str, object] = {"name": "q", "group_by": ["sex"], "reference_date": "2026-01-01",
                              "population": {"conditions": {"codes": ["38341003"]}}}
    raw.update(overrides)
    return AggregateQuery.from_dict(raw, source="q.yaml")


def test_count_events_counts_every_coded_row(extract: Path) -> None:
    result = run_query_unsafe(extract, _query(measure="count_events"))
    assert result.rows == (("female", 3), ("male", 1))
    assert [e.patients for e in result.evidence] == [2, 1]


def test_a_date_window_limits_the_events(extract: Path) -> None:
    windowed = {"conditions": {"codes": ["38341003"], "between": ["2020-01-01", None]}}
    result = run_query_unsafe(extract, _query(population=windowed, measure="count_events"))
    assert result.rows == (("female", 1), ("male", 1))


def test_mean_sum_and_median_of_age(extract: Path) -> None:
    assert run_query_unsafe(extract, _query(measure={"kind": "mean", "of": "age"})).rows == (
        ("female", 78.0), ("male", 36.0))
    assert run_query_unsafe(extract, _query(measure={"kind": "sum", "of": "age"})).rows == (
        ("female", 156.0), ("male", 36.0))
    assert run_query_unsafe(
        extract, _query(measure={"kind": "median", "of": "age"}, group_by=[])
    ).rows == ((76.0,),)


def test_mean_of_a_numeric_column_and_dominance_evidence(extract: Path) -> None:
    result = run_query_unsafe(
        extract, _query(measure={"kind": "mean", "of": "observations.value_numeric"})
    )
    assert result.rows == (("female", 136.6667), ("male", 130.0))
    assert result.evidence[0].largest == (260.0, 150.0)


def test_quantiles_are_rows_labelled_by_quantile(extract: Path) -> None:
    query = _query(measure={"kind": "quantiles", "of": "age", "quantiles": [0.5]}, group_by=[])
    result = run_query_unsafe(extract, query)
    assert result.dimensions == ("quantile",)
    assert result.rows == (("p50", 76.0),)


def test_rate_per_1000_of_everyone_in_the_group(extract: Path) -> None:
    result = run_query_unsafe(extract, _query(measure="rate_per_1000"))
    assert result.rows == (("female", 666.67), ("male", 500.0))


def test_age_and_sex_narrow_the_population(extract: Path) -> None:
    population = {"conditions": {"codes": ["38341003"]}, "age": {"min": 30, "max": 76},
                  "sex": ["female"]}
    result = run_query_unsafe(extract, _query(population=population, group_by=[]))
    assert result.rows == ((1,),)


def test_small_and_dominated_cells_are_suppressed_with_reasons(extract: Path) -> None:
    result = run_query_unsafe(extract, _query(measure={"kind": "sum", "of": "age"}))
    checked = check_measure_table(result, threshold=2)
    assert checked.rows == (("female", None), ("male", None))
    female, male = checked.checks["minimum_cell_count"]["suppressed_cells"]
    assert female["reasons"] == ["nk-rule: the 2 largest contributions make up at least 90%"]
    assert male["group"] == ["male"] and male["reasons"][0].startswith("threshold")
    counted = check_measure_table(run_query_unsafe(extract, _query(measure="count_events")), 2)
    assert counted.rows[0] == ("female", None) and counted.rows[1] == ("male", None)
    rates = check_measure_table(run_query_unsafe(extract, _query(measure="rate_per_1000")), 2)
    assert rates.rows == (("female", 666.67), ("male", None))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"measure": {"kind": "mean"}}, "measure.of"),
        ({"measure": {"kind": "count_patients", "of": "age"}}, "measure.of"),
        ({"measure": {"kind": "quantiles", "of": "age", "quantiles": [1.5]}},
         "measure.quantiles"),
        ({"population": {"conditions": {"codes": ["1"], "between": ["2020-01-01"]}}},
         "population.conditions.between"),
        ({"population": {"conditions": {"codes": ["1"], "between": ["2021-01-01",
                                                                     "2020-01-01"]}}},
         "population.conditions.between"),
        ({"population": {"age": {"min": 80, "max": 20}}}, "population.age"),
        ({"population": {"age": {"min": "old"}}}, "population.age.min"),
        ({"population": {"sex": ["f"]}}, "population.sex"),
        ({"population": {"age": {"min": 1}}, "measure": "count_events"}, "measure"),
    ],
)
def test_invalid_queries_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        AggregateQuery.from_dict({"name": "q", **raw}, source="q.yaml")
    assert caught.value.location is not None
    assert caught.value.location.field == field


def test_a_text_column_cannot_be_averaged(extract: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_query_unsafe(extract, _query(measure={"kind": "mean",
                                                  "of": "observations.value_text"}))
    assert "not numeric" in caught.value.message
    assert caught.value.location is not None and caught.value.location.field == "measure.of"


def test_a_missing_measure_column_is_named(extract: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_query_unsafe(extract, _query(measure={"kind": "sum", "of": "observations.dose"}))
    assert "observations.dose" in caught.value.message


def test_round_trip_of_the_full_form() -> None:
    query = _query(
        population={"conditions": {"codes": ["1"], "between": ["2020-01-01", None]},
                    "medications": {"code_system": "dmd", "codes": ["2"]},
                    "age": {"min": 18}, "sex": ["male"]},
        measure={"kind": "quantiles", "of": "age", "quantiles": [0.1, 0.9]},
    )
    again = AggregateQuery.from_dict(query.as_dict())
    assert again == query
    assert again.code_filters[0].start == dt.date(2020, 1, 1)

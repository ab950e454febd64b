"""Each transformation, table-driven: a source value in, the extract value out (run in DuckDB)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from openhaven.core.errors import InvalidInput
from openhaven.engine import open_session
from openhaven.provisioning.reference.tables import install_reference_tables
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.provisioning.transformations import (
    PSEUDONYM_COLUMN,
    SHIFT_COLUMN,
    render_column,
    transformation_names,
)
from openhaven.records.schema import TABLES_BY_NAME

CUT_OFF = dt.date(2026, 6, 30)
D = dt.date

# (table, column, operator, source value, expected output column, expected value)
CASES: list[tuple[str, str, str, Any, str, Any]] = [
    ("patients", "sex", "keep", "female", "sex", "female"),
    ("patients", "date_of_birth", "year", D(1950, 3, 4), "date_of_birth_year", 1950),
    ("patients", "date_of_death", "month", D(2020, 5, 17), "date_of_death", D(2020, 5, 1)),
    ("patients", "date_of_birth", "age_band", D(1980, 7, 1), "age_band", "40-49"),
    ("patients", "date_of_birth", "age_band:5", D(1980, 6, 30), "age_band", "45-49"),
    ("patients", "date_of_birth", "age_band:5", D(1981, 7, 1), "age_band", "40-44"),
    ("patients", "date_of_birth", "age_band", None, "age_band", None),
    ("patients", "postcode", "postcode_district", " ls1 4ap", "postcode_district", "LS1"),
    ("patients", "postcode", "postcode_district", "SW1A 1AA", "postcode_district", "SW1A"),
    ("patients", "postcode", "postcode_area", "SW1A 1AA", "postcode_area", "SW"),
    ("patients", "postcode", "postcode_area", "ls1 4ap", "postcode_area", "LS"),
    ("patients", "postcode", "postcode_area", None, "postcode_area", None),
    ("patients", "postcode", "postcode_region", " ls1 4ap", "postcode_region",
     "Yorkshire and The Humber"),
    ("patients", "postcode", "postcode_region:code", "CF10 1AA", "postcode_region", "W92000004"),
    ("patients", "postcode", "postcode_region", "LS1", "postcode_region", None),
    ("conditions", "code", "code_parent", ("icd10", "E11.9"), "code", "E11"),
    ("conditions", "code", "code_parent", ("icd10", "I10.X"), "code", "I10"),
    ("conditions", "code", "code_parent", ("icd10", "I10"), "code", "I10-I15"),
    ("conditions", "code", "code_parent:2", ("icd10", "E11.9"), "code", "E10-E14"),
    ("conditions", "code", "code_parent", ("snomed", "44054006"), "code", "73211009"),
    ("conditions", "code", "code_parent", ("snomed", "123"), "code", None),
    ("observations", "value_numeric", "top_code:100", 250.0, "value_numeric", 100.0),
    ("observations", "value_numeric", "top_code:100", 99.5, "value_numeric", 99.5),
    ("observations", "value_numeric", "bottom_code:0", -3.0, "value_numeric", 0.0),
    ("observations", "value_numeric", "bottom_code:0", 7.0, "value_numeric", 7.0),
    ("patients", "patient_id", "pseudonymise", "p1", PSEUDONYM_COLUMN, "abc"),
    # the shift seed 10 under ':3' is 10 % 7 - 3 = 0 days; 12 % 7 - 3 = +2 is below
    ("patients", "date_of_death", "date_shift:3", D(2020, 1, 1), "date_of_death", D(2020, 1, 1)),
]


def _run(table: str, column: str, operator: str, value: Any, seed: int = 10) -> tuple[str, Any]:
    source_column = TABLES_BY_NAME[table].column(column)
    rendered = render_column(operator, f"t.{column}", source_column, CUT_OFF)
    assert rendered is not None
    name, expression = rendered
    data: dict[str, Any] = {"patient_id": ["p1"]}
    if isinstance(value, tuple):
        data["code_system"], value = [value[0]], value[1]
    data[column] = pa.array([value], source_column.type.arrow)
    with open_session(None) as session:
        install_reference_tables(session)
        session.register("t", pa.table(data))
        session.register("_pseudonyms", pa.table({
            "patient_id": ["p1"], PSEUDONYM_COLUMN: ["abc"],
            SHIFT_COLUMN: pa.array([seed], pa.uint64()),
        }))
        out = session.query(
            f"SELECT {expression} AS v FROM t JOIN _pseudonyms USING (patient_id)"
        ).column("v").to_pylist()
    return name, out[0]


@pytest.mark.parametrize(("table", "column", "operator", "value", "out_name", "expected"), CASES)
def test_each_transformation(table: str, column: str, operator: str, value: Any,
                             out_name: str, expected: Any) -> None:
    assert _run(table, column, operator, value) == (out_name, expected)


def test_date_shift_moves_by_the_seeded_offset_within_its_bound() -> None:
    assert _run("patients", "date_of_death", "date_shift:3", D(2020, 1, 1), seed=12) == (
        "date_of_death", D(2020, 1, 3))
    shifts = {
        (_run("patients", "date_of_death", "date_shift:3", D(2020, 1, 1), seed=s)[1]
         - D(2020, 1, 1)).days
        for s in range(40)
    }
    assert shifts == set(range(-3, 4))


def test_drop_leaves_the_column_out() -> None:
    column = TABLES_BY_NAME["patients"].column("given_name")
    assert render_column("drop", "t.given_name", column, CUT_OFF) is None


def test_every_registered_transformation_is_covered_here() -> None:
    # deidentify_text needs the text de-identifier's engine function: test_text_operator.py
    covered = {case[2].partition(":")[0] for case in CASES} | {"drop", "deidentify_text"}
    assert set(transformation_names()) == covered


@pytest.mark.parametrize(("columns", "field_name", "message"), [
    ({"sex": "age_band"}, "tables.patients.sex", "does not apply"),
    ({"date_of_birth": "age_band:0"}, "tables.patients.date_of_birth", "whole number"),
    ({"date_of_birth": "date_shift:9999"}, "tables.patients.date_of_birth", "whole number"),
    ({"sex": "keep:1"}, "tables.patients.sex", "takes no argument"),
    ({"postcode": "shout"}, "tables.patients.postcode", "unknown transformation"),
])
def test_bad_operators_are_refused_naming_the_field(
    columns: dict[str, str], field_name: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        DatasetSpecification.from_dict(
            {"tables": {"patients": {"patient_id": "pseudonymise", **columns}}}
        )
    assert caught.value.location is not None
    assert caught.value.location.field == field_name
    assert message in str(caught.value)


def test_top_code_needs_a_number() -> None:
    with pytest.raises(InvalidInput, match="needs a number"):
        DatasetSpecification.from_dict({"tables": {"observations": {
            "patient_id": "pseudonymise", "value_numeric": "top_code:lots"}}})

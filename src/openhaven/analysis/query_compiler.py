"""Compile an aggregate query to SQL over an extract's tables.

The compiler checks the query against the extract's actual columns first, so a query that
asks for a dimension the project was not given fails with a precise error, not an engine
error.
"""

from __future__ import annotations

from collections.abc import Iterable

from openhaven.analysis.query_spec import AGE_BANDS, AggregateQuery
from openhaven.core.errors import InvalidInput, Location

#: The extract columns each dimension needs.
DIMENSION_COLUMNS = {
    "sex": ("patients", "sex"),
    "ethnicity": ("patients", "ethnicity"),
    "age_band": ("patients", "date_of_birth_year"),
    "postcode_district": ("patients", "postcode_district"),
}


def age_band_sql(year_column: str, reference_year: int) -> str:
    """Age in whole years at the reference year, banded; 'unknown' where the year is missing."""
    age = f"({reference_year} - {year_column})"
    cases = []
    for low, high in AGE_BANDS:
        label = f"{low}+" if high is None else f"{low}-{high}"
        condition = f"{age} >= {low}" + ("" if high is None else f" AND {age} <= {high}")
        cases.append(f"WHEN {condition} THEN '{label}'")
    return f"CASE {' '.join(cases)} ELSE 'unknown' END"


def compile_query(query: AggregateQuery, available: dict[str, set[str]]) -> tuple[str, list[str]]:
    """SQL for ``query`` and its parameters, given the extract's tables and their columns."""
    _require(query, available)
    selected = []
    for dimension in query.group_by:
        if dimension == "age_band":
            selected.append(
                f"{age_band_sql('p.date_of_birth_year', query.reference_date.year)} AS age_band"
            )
        else:
            column = DIMENSION_COLUMNS[dimension][1]
            selected.append(f"coalesce(p.{column}, 'unknown') AS {dimension}")
    parameters: list[str] = []
    where = ""
    if query.conditions is not None:
        placeholders = ", ".join("?" for _ in query.conditions.codes)
        where = (
            "WHERE p.pseudonym IN (SELECT pseudonym FROM conditions "
            f"WHERE code_system = ? AND code IN ({placeholders}))"
        )
        parameters = [query.conditions.code_system, *query.conditions.codes]
    groups = ", ".join(query.group_by)
    columns = ", ".join([*selected, "count(DISTINCT p.pseudonym) AS value"])
    sql = f"SELECT {columns} FROM patients p {where}"
    if groups:
        sql += f" GROUP BY {groups} ORDER BY {groups}"
    return sql, parameters


def _require(query: AggregateQuery, available: dict[str, set[str]]) -> None:
    needs: list[tuple[str, str, str]] = [("patients", "pseudonym", "population")]
    for index, dimension in enumerate(query.group_by):
        table, column = DIMENSION_COLUMNS[dimension]
        needs.append((table, column, f"group_by[{index}]"))
    if query.conditions is not None:
        needs.extend(
            ("conditions", column, "population.conditions")
            for column in ("pseudonym", "code_system", "code")
        )
    for table, column, where in needs:
        if column not in available.get(table, set()):
            raise InvalidInput(
                f"The project's extract has no {table}.{column}, which this query needs",
                Location(file=query.source, field=where),
            )


def describe_columns(rows: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables

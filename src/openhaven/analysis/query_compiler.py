"""Compile an aggregate query to SQL over an extract's tables.

The compiler checks the query against the extract's actual columns (and, for magnitudes,
their types) first, so a query that asks for something the project was not given fails with
a precise error, not an engine error. Every compiled query returns, per group, the
dimension columns, ``value``, and the evidence output checking needs: ``patients`` (people
behind the cell), ``n_values`` (contributions), ``total`` and ``largest`` (the two largest
per-patient contributions, for dominance). The evidence never leaves ``openhaven.outputs``.
"""

from __future__ import annotations

from collections.abc import Iterable

from openhaven.analysis.query_spec import (
    AGE_BANDS,
    EVENT_TABLES,
    MAGNITUDE_MEASURES,
    AggregateQuery,
    CodeFilter,
)
from openhaven.core.errors import InvalidInput, Location

#: The extract columns each dimension needs.
DIMENSION_COLUMNS = {
    "sex": ("patients", "sex"),
    "ethnicity": ("patients", "ethnicity"),
    "age_band": ("patients", "date_of_birth_year"),
    "postcode_district": ("patients", "postcode_district"),
}
NUMERIC_TYPES = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "DECIMAL", "HUGEINT", "SMALLINT",
                 "REAL", "TINYINT")
EVIDENCE_COLUMNS = ("patients", "n_values", "total", "largest")


def age_band_sql(year_column: str, reference_year: int) -> str:
    """Age in whole years at the reference year, banded; 'unknown' where the year is missing."""
    age = f"({reference_year} - {year_column})"
    cases = []
    for low, high in AGE_BANDS:
        label = f"{low}+" if high is None else f"{low}-{high}"
        condition = f"{age} >= {low}" + ("" if high is None else f" AND {age} <= {high}")
        cases.append(f"WHEN {condition} THEN '{label}'")
    return f"CASE {' '.join(cases)} ELSE 'unknown' END"


def compile_query(
    query: AggregateQuery,
    available: dict[str, set[str]],
    types: dict[tuple[str, str], str] | None = None,
) -> tuple[str, list[object]]:
    """SQL for ``query`` and its parameters, given the extract's tables and their columns."""
    _require(query, available, types or {})
    year = query.reference_date.year
    dims = []
    for dimension in query.group_by:
        if dimension == "age_band":
            dims.append(f"{age_band_sql('p.date_of_birth_year', year)} AS age_band")
        else:
            dims.append(f"coalesce(p.{DIMENSION_COLUMNS[dimension][1]}, 'unknown') AS {dimension}")
    base_where, parameters = _demographic_filters(query)
    code_where = []
    for code_filter in query.code_filters:
        sql, params = _events_sql(code_filter, "pseudonym")
        code_where.append(f"p.pseudonym IN ({sql})")
        parameters += params
    select_dims = ", ".join([*dims, "p.pseudonym"])
    base = f"SELECT {select_dims} FROM patients p"
    everyone = base + (f" WHERE {' AND '.join(base_where)}" if base_where else "")
    population = everyone + (" AND " if base_where else " WHERE ") + " AND ".join(code_where) \
        if code_where else everyone
    groups = list(query.group_by)
    group_sql = ", ".join(groups)
    measure = query.measure_spec
    if measure.kind == "count_patients":
        body = (f"SELECT {_cols(groups)}count(DISTINCT pseudonym) AS value, "
                "count(DISTINCT pseudonym) AS patients, count(DISTINCT pseudonym) AS n_values, "
                "NULL::DOUBLE AS total, []::DOUBLE[] AS largest FROM pop")
    elif measure.kind == "rate_per_1000":
        denominator_parameters = list(parameters[: len(parameters) - _code_parameter_count(query)])
        parameters = denominator_parameters + parameters
        joined = " AND ".join(f"d.{g} IS NOT DISTINCT FROM pop.{g}" for g in groups) or "TRUE"
        body = (f"SELECT {_cols(groups, 'd.')}round(1000.0 * count(DISTINCT pop.pseudonym) "
                "/ count(DISTINCT d.pseudonym), 2) AS value, count(DISTINCT pop.pseudonym) AS "
                "patients, count(DISTINCT d.pseudonym) AS n_values, NULL::DOUBLE AS total, "
                "[]::DOUBLE[] AS largest FROM denominator d LEFT JOIN pop ON "
                f"{joined} AND d.pseudonym = pop.pseudonym")
        return (f"WITH denominator AS ({everyone}), pop AS ({population}) {body}"
                + (f" GROUP BY {', '.join('d.' + g for g in groups)} ORDER BY "
                   f"{', '.join('d.' + g for g in groups)}" if groups else ""), parameters)
    elif measure.kind == "count_events":
        events = []
        for code_filter in query.code_filters:
            sql, params = _events_sql(code_filter, "pseudonym, 1 AS v")
            events.append(sql)
            parameters += params
        return (f"WITH pop AS ({population}), ev AS ({' UNION ALL '.join(events)}), "
                f"vals AS (SELECT {_cols(groups, 'pop.')}pop.pseudonym, ev.v FROM pop "
                f"JOIN ev USING (pseudonym)) " + _magnitude("count(v)", groups), parameters)
    else:
        value_sql, extra = _values_source(query)
        parameters += extra
        aggregate = {"sum": "sum(v)", "mean": "avg(v)", "median": "median(v)"}
        if measure.kind == "quantiles":
            parts = [
                _magnitude(f"quantile_cont(v, {q!r})", groups, label=f"p{round(q * 100):g}")
                for q in measure.quantiles
            ]
            order = ", ".join([*groups, "quantile"])
            return (f"WITH pop AS ({population}), vals AS ({value_sql}) SELECT * FROM ("
                    + " UNION ALL ".join(f"({p})" for p in parts) + f") ORDER BY {order}",
                    parameters * 1)
        return (f"WITH pop AS ({population}), vals AS ({value_sql}) "
                + _magnitude(aggregate[measure.kind], groups), parameters)
    sql = f"WITH pop AS ({population}) {body}"
    if groups:
        sql += f" GROUP BY {group_sql} ORDER BY {group_sql}"
    return sql, parameters


def result_dimensions(query: AggregateQuery) -> tuple[str, ...]:
    """The dimension columns of the result: quantiles add a ``quantile`` label."""
    extra = ("quantile",) if query.measure == "quantiles" else ()
    return (*query.group_by, *extra)


def _magnitude(aggregate: str, groups: list[str], *, label: str | None = None) -> str:
    quantile = f"'{label}' AS quantile, " if label is not None else ""
    group_by = f" GROUP BY {', '.join(groups)}" if groups else ""
    per_patient = (f"SELECT {_cols(groups)}pseudonym, sum(v) AS c FROM vals "
                   f"GROUP BY {_cols(groups)}pseudonym")
    joined = " AND ".join(f"a.{g} IS NOT DISTINCT FROM b.{g}" for g in groups) or "TRUE"
    return (f"SELECT {_cols(groups, 'a.')}{quantile}a.value, a.patients, a.n_values, a.total, "
            "b.largest FROM (SELECT " + _cols(groups) + f"{aggregate} AS value, "
            "count(DISTINCT pseudonym) AS patients, count(v) AS n_values, "
            f"sum(v)::DOUBLE AS total FROM vals{group_by}) a JOIN (SELECT {_cols(groups)}"
            f"list_slice(list(c::DOUBLE ORDER BY c DESC), 1, 2) AS largest FROM ({per_patient})"
            f"{group_by}) b ON {joined}" + (f" ORDER BY {', '.join('a.' + g for g in groups)}"
                                            if groups and label is None else ""))


def _cols(groups: list[str], prefix: str = "") -> str:
    return "".join(f"{prefix}{g}, " for g in groups)


def _values_source(query: AggregateQuery) -> tuple[str, list[object]]:
    target = query.measure_spec.of or "age"
    groups = _cols(list(query.group_by), "pop.")
    if target == "age":
        return (f"SELECT {groups}pop.pseudonym, ({query.reference_date.year} - "
                "p.date_of_birth_year)::DOUBLE AS v FROM pop JOIN patients p USING (pseudonym) "
                "WHERE p.date_of_birth_year IS NOT NULL", [])
    table, column = target.split(".")
    return (f"SELECT {groups}pop.pseudonym, t.{column}::DOUBLE AS v FROM pop JOIN {table} t "
            f"USING (pseudonym) WHERE t.{column} IS NOT NULL", [])


def _events_sql(code_filter: CodeFilter, select: str) -> tuple[str, list[object]]:
    placeholders = ", ".join("?" for _ in code_filter.codes)
    sql = (f"SELECT {select} FROM {code_filter.table} WHERE code_system = ? "
           f"AND code IN ({placeholders})")
    parameters: list[object] = [code_filter.code_system, *code_filter.codes]
    date_column = EVENT_TABLES[code_filter.table]
    if code_filter.start is not None:
        sql += f" AND {date_column} >= ?"
        parameters.append(code_filter.start)
    if code_filter.end is not None:
        sql += f" AND {date_column} <= ?"
        parameters.append(code_filter.end)
    return sql, parameters


def _code_parameter_count(query: AggregateQuery) -> int:
    return sum(1 + len(f.codes) + (f.start is not None) + (f.end is not None)
               for f in query.code_filters)


def _demographic_filters(query: AggregateQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    parameters: list[object] = []
    age = f"({query.reference_date.year} - p.date_of_birth_year)"
    if query.min_age is not None:
        where.append(f"{age} >= ?")
        parameters.append(query.min_age)
    if query.max_age is not None:
        where.append(f"{age} <= ?")
        parameters.append(query.max_age)
    if query.sexes:
        where.append(f"p.sex IN ({', '.join('?' for _ in query.sexes)})")
        parameters.extend(query.sexes)
    return where, parameters


def _require(
    query: AggregateQuery, available: dict[str, set[str]], types: dict[tuple[str, str], str]
) -> None:
    needs: list[tuple[str, str, str]] = [("patients", "pseudonym", "population")]
    for index, dimension in enumerate(query.group_by):
        table, column = DIMENSION_COLUMNS[dimension]
        needs.append((table, column, f"group_by[{index}]"))
    if query.min_age is not None or query.max_age is not None:
        needs.append(("patients", "date_of_birth_year", "population.age"))
    if query.sexes:
        needs.append(("patients", "sex", "population.sex"))
    for code_filter in query.code_filters:
        where = f"population.{code_filter.table}"
        columns = ["pseudonym", "code_system", "code"]
        if code_filter.start is not None or code_filter.end is not None:
            columns.append(EVENT_TABLES[code_filter.table])
        needs.extend((code_filter.table, column, where) for column in columns)
    measure = query.measure_spec
    if measure.kind in MAGNITUDE_MEASURES:
        target = measure.of or "age"
        if target == "age":
            needs.append(("patients", "date_of_birth_year", "measure.of"))
        else:
            table, column = target.split(".")
            needs.extend([(table, "pseudonym", "measure.of"), (table, column, "measure.of")])
    for table, column, where in needs:
        if column not in available.get(table, set()):
            raise InvalidInput(
                f"The project's extract has no {table}.{column}, which this query needs",
                Location(file=query.source, field=where),
            )
    if measure.kind in MAGNITUDE_MEASURES and measure.of not in (None, "age"):
        table, column = str(measure.of).split(".")
        kind = types.get((table, column))
        if kind is not None and not kind.upper().startswith(NUMERIC_TYPES):
            raise InvalidInput(
                f"{table}.{column} is not numeric ({kind}), so it cannot be summed or averaged",
                Location(file=query.source, field="measure.of"),
            )


def describe_columns(rows: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables

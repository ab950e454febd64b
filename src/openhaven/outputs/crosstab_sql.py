"""The SQL behind a crosstab: one statement that yields body cells and margins with evidence.

Two plans. When every requested statistic can be rebuilt from per-cell partial results
(count, sum, mean, min, max, and the largest contributions), the records are grouped once by
every grouping variable and the margins are rolled up from those few thousand partial rows —
a single pass over the data. A median or a standard deviation needs the records themselves
for every margin, so those requests group the records by GROUPING SETS directly.
"""

from __future__ import annotations

DECOMPOSABLE = frozenset({"count", "sum", "mean", "min", "max"})


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def crosstab_sql(relation: str, rows: list[str], cols: list[str], values: str | None,
                 aggs: tuple[str, ...], top_n: int) -> str:
    if set(aggs) <= DECOMPOSABLE:
        return _rollup_sql(relation, rows, cols, values, aggs, top_n)
    return _grouping_sets_sql(relation, rows, cols, values, aggs, top_n)


def _grouping(rows: list[str], cols: list[str]) -> str:
    sets = [[*rows, *cols], rows, cols, []]
    inner = ", ".join("(" + ", ".join(ident(d) for d in s) + ")" for s in sets)
    return f"GROUPING SETS ({inner})"


def _not_null(dims: list[str]) -> str:
    return " AND ".join(f"{ident(d)} IS NOT NULL" for d in dims)


def _wants_largest(aggs: tuple[str, ...]) -> bool:
    return any(a in aggs for a in ("mean", "sum"))


def _grouping_sets_sql(relation: str, rows: list[str], cols: list[str], values: str | None,
                       aggs: tuple[str, ...], top_n: int) -> str:
    dims = [*rows, *cols]
    select = [ident(d) for d in dims]
    select += [f"grouping({ident(rows[0])}) AS _g_row", f"grouping({ident(cols[0])}) AS _g_col",
               "count(*) AS _count"]
    if values is not None:
        v = f"CAST({ident(values)} AS DOUBLE)"
        select += [f"count({v}) AS _values", f"count(*) - count({v}) AS _missing",
                   f"count(*) FILTER (WHERE {v} < 0) AS _negatives", f"sum({v}) AS _total",
                   f"min({v}) AS _minimum", f"max({v}) AS _maximum"]
        if "mean" in aggs:
            select.append(f"avg({v}) AS _mean")
        if "median" in aggs:
            select.append(f"quantile_cont({v}, 0.5) AS _median")
        if "std" in aggs:
            select.append(f"stddev_samp({v}) AS _std")
        if _wants_largest(aggs):
            select.append(f"max({v}, {int(top_n)}) AS _largest")
    return (f"SELECT {', '.join(select)} FROM {relation} WHERE {_not_null(dims)} "
            f"GROUP BY {_grouping(rows, cols)}")


def _rollup_sql(relation: str, rows: list[str], cols: list[str], values: str | None,
                aggs: tuple[str, ...], top_n: int) -> str:
    dims = [*rows, *cols]
    keys = ", ".join(ident(d) for d in dims)
    body = [keys, "count(*) AS _count"]
    outer = [keys, f"grouping({ident(rows[0])}) AS _g_row",
             f"grouping({ident(cols[0])}) AS _g_col", "CAST(sum(_count) AS BIGINT) AS _count"]
    if values is not None:
        v = f"CAST({ident(values)} AS DOUBLE)"
        body += [f"count({v}) AS _values", f"count(*) FILTER (WHERE {v} < 0) AS _negatives",
                 f"sum({v}) AS _total", f"min({v}) AS _minimum", f"max({v}) AS _maximum"]
        outer += ["CAST(sum(_values) AS BIGINT) AS _values",
                  "CAST(sum(_count) - sum(_values) AS BIGINT) AS _missing",
                  "CAST(sum(_negatives) AS BIGINT) AS _negatives", "sum(_total) AS _total",
                  "min(_minimum) AS _minimum", "max(_maximum) AS _maximum",
                  "sum(_total) / nullif(sum(_values), 0) AS _mean"]
        if _wants_largest(aggs):
            body.append(f"max({v}, {int(top_n)}) AS _largest")
            outer.append(
                "list_slice(list_reverse_sort(flatten(list(_largest) FILTER "
                f"(WHERE _largest IS NOT NULL))), 1, {int(top_n)}) AS _largest")
    return (f"WITH _body AS (SELECT {', '.join(body)} FROM {relation} "
            f"WHERE {_not_null(dims)} GROUP BY {keys}) "
            f"SELECT {', '.join(outer)} FROM _body GROUP BY {_grouping(rows, cols)}")

"""De-identification operators, one per field transformation, in a registry.

Each operator turns a source column into zero or one extract column, as a SQL expression the
engine runs over the whole table at once (no Python loop over records). The built-ins register
exactly as a third party's operator would (``register_transformation``).

A specification names an operator, optionally with one argument after a colon:
``"age_band:10"``, ``"top_code:90"``, ``"date_shift:180"``. The argument is validated when
the specification is read, so a bad one is refused before any data moves.

Operators that generalise through reference data (``postcode_region``, ``code_parent``)
render a look-up in a small table the engine session holds
(``openhaven.provisioning.reference``); the extract builder evaluates it once per distinct
source value and joins the result to the rows.

Per-patient values an operator needs (the pseudonym, the keyed date offset) come from the
cohort table ``_pseudonyms`` joined to every source row; the reference date for ages is the
extract's cut-off, so a refresh at the same cut-off gives the same ages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from openhaven.provisioning.reference import ANCESTOR_TABLE, MAX_LEVELS, POSTCODE_TABLE
from openhaven.records.schema import Column, ColumnType

PSEUDONYM_COLUMN = "pseudonym"
SHIFT_COLUMN = "_date_shift_days"
#: the largest per-patient date offset (days, either way) a specification may ask for
MAX_SHIFT_DAYS = 366


@dataclass(frozen=True)
class RenderContext:
    """What an operator may use besides its column: its argument and the extract's cut-off."""

    argument: str | None = None
    reference_date: dt.date = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Transformation:
    name: str
    description: str
    applies_to: frozenset[ColumnType]
    #: (source SQL expression, source column, context) -> (output column, SQL expression);
    #: None means the column is left out of the extract.
    render: Callable[[str, Column, RenderContext], tuple[str, str] | None]
    #: checks the argument and returns an error text, or None when it is acceptable
    check_argument: Callable[[str | None], str | None] = lambda argument: (
        None if argument is None else "takes no argument"
    )


_REGISTRY: dict[str, Transformation] = {}
ALL_TYPES = frozenset(ColumnType)
NUMBERS = frozenset({ColumnType.INTEGER, ColumnType.DOUBLE})
DATES = frozenset({ColumnType.DATE})
STRINGS = frozenset({ColumnType.STRING})


def register_transformation(transformation: Transformation) -> None:
    if transformation.name in _REGISTRY:
        raise ValueError(f"transformation {transformation.name!r} is already registered")
    _REGISTRY[transformation.name] = transformation


def split_operator(operator: str) -> tuple[str, str | None]:
    """``"age_band:10"`` -> ``("age_band", "10")``; ``"keep"`` -> ``("keep", None)``."""
    name, separator, argument = operator.partition(":")
    return name.strip(), (argument.strip() if separator else None)


def get_transformation(operator: str) -> Transformation:
    """The registered operator named by ``operator`` (any ``:argument`` is ignored here)."""
    name, _ = split_operator(operator)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown transformation {name!r}; known: {known}") from None


def transformation_names() -> list[str]:
    return sorted(_REGISTRY)


def render_column(
    operator: str, expression: str, column: Column, reference_date: dt.date
) -> tuple[str, str] | None:
    """The extract column ``operator`` makes of ``column``, or None when it is dropped."""
    name, argument = split_operator(operator)
    return _REGISTRY[name].render(expression, column, RenderContext(argument, reference_date))


def _positive_integer(limit: int) -> Callable[[str | None], str | None]:
    def check(argument: str | None) -> str | None:
        if argument is None or not argument.isdigit() or not 0 < int(argument) <= limit:
            return f"needs a whole number from 1 to {limit}, e.g. ':{min(limit, 10)}'"
        return None

    return check


def _number(argument: str | None) -> str | None:
    try:
        float(argument or "")
    except ValueError:
        return "needs a number, e.g. ':90'"
    return None


def _register(name: str, description: str, applies_to: frozenset[ColumnType],
              render: Callable[[str, Column, RenderContext], tuple[str, str] | None],
              check_argument: Callable[[str | None], str | None] | None = None) -> None:
    if check_argument is None:
        register_transformation(Transformation(name, description, applies_to, render))
    else:
        register_transformation(
            Transformation(name, description, applies_to, render, check_argument)
        )


def _age_band(e: str, c: Column, ctx: RenderContext) -> tuple[str, str]:
    width = int(ctx.argument or "10")
    age = f"date_sub('year', {e}, DATE '{ctx.reference_date.isoformat()}')"
    lower = f"(({age}) // {width}) * {width}"
    return "age_band", (
        f"CASE WHEN {e} IS NULL THEN NULL ELSE "
        f"CAST({lower} AS VARCHAR) || '-' || CAST({lower} + {width - 1} AS VARCHAR) END"
    )


#: a UK postcode, spaces trimmed and upper-cased: (district)(sector digit)(unit letters)
_POSTCODE = "^(([A-Z]{1,2})[0-9][A-Z0-9]?) ?[0-9][A-Z]{2}$"
#: code systems and the hierarchy their codes are looked up in (dm+d identifiers are
#: SNOMED CT identifiers of the UK Drug Extension)
HIERARCHY_OF_SYSTEM = {"icd10": "icd10", "snomed": "snomed", "dmd": "snomed"}
#: operators that turn a value their reference table does not know into NULL, never
#: passing it through; the extract builder counts those values for the provisioning report
LOOKUP_OPERATORS = frozenset({"postcode_region", "code_parent"})


def _postcode_region(e: str, _c: Column, ctx: RenderContext) -> tuple[str, str]:
    value = "region_code" if ctx.argument == "code" else "region_name"
    postcode = f"upper(trim({e}))"

    def lookup(group: int) -> str:
        key = f"NULLIF(regexp_extract({postcode}, '{_POSTCODE}', {group}), '')"
        return f"(SELECT r.{value} FROM {POSTCODE_TABLE} r WHERE r.key = {key})"

    # the district's own region when the haven gave a district-level table, else the area's
    return "postcode_region", f"COALESCE({lookup(1)}, {lookup(2)})"


def _code_parent(e: str, _c: Column, ctx: RenderContext) -> tuple[str, str]:
    levels = int(ctx.argument or "1")
    table_alias = e.rpartition(".")[0]
    system = f"lower(trim({table_alias + '.' if table_alias else ''}code_system))"
    hierarchy = "CASE " + " ".join(
        f"WHEN {system} = '{name}' THEN '{tree}'" for name, tree in HIERARCHY_OF_SYSTEM.items()
    ) + " END"
    # ICD-10 is looked up without its dot (E11.9 -> E119); SNOMED CT ids as they are
    key = (f"CASE WHEN {system} = 'icd10' THEN upper(replace(replace(trim({e}), '.', ''), "
           f"' ', '')) ELSE trim({e}) END")
    return "code", (
        f"(SELECT a.ancestor FROM {ANCESTOR_TABLE} a WHERE a.code_system = {hierarchy} "
        f"AND a.code = {key} AND a.levels = {levels})"
    )


def _region_argument(argument: str | None) -> str | None:
    if argument is None or argument in ("name", "code"):
        return None
    return "takes ':name' (the default, e.g. 'North East') or ':code' (e.g. 'E12000001')"


_register("drop", "Left out of the extract.", ALL_TYPES, lambda _e, _c, _x: None)
_register("keep", "Copied unchanged.", ALL_TYPES, lambda e, c, _x: (c.name, e))
_register(
    "pseudonymise", "Replaced by the project's keyed pseudonym of the patient.", STRINGS,
    lambda _e, _c, _x: (PSEUDONYM_COLUMN, f"_pseudonyms.{PSEUDONYM_COLUMN}"),
)
_register(
    "year", "A date generalised to its year (column renamed <name>_year).", DATES,
    lambda e, c, _x: (f"{c.name.removesuffix('_date')}_year", f"CAST(year({e}) AS INTEGER)"),
)
_register(
    "month", "A date generalised to the first day of its month.", DATES,
    lambda e, c, _x: (c.name, f"CAST(date_trunc('month', {e}) AS DATE)"),
)
_register(
    "age_band",
    "A date of birth replaced by the age band at the cut-off, ':N' years wide (default 10), "
    "e.g. '40-49' (column age_band).",
    DATES, _age_band, lambda a: None if a is None else _positive_integer(50)(a),
)
_register(
    "date_shift",
    "A date moved by the patient's own keyed offset of up to ':N' days either way (default "
    "182): the same for every date of one patient, so intervals survive; different between "
    "patients and projects.",
    DATES,
    lambda e, c, ctx: (
        c.name,
        f"CAST({e} + CAST(CAST(_pseudonyms.{SHIFT_COLUMN} AS BIGINT) "
        f"% {2 * int(ctx.argument or '182') + 1} - {int(ctx.argument or '182')} AS INTEGER)"
        " AS DATE)",
    ),
    lambda a: None if a is None else _positive_integer(MAX_SHIFT_DAYS)(a),
)
_register(
    "postcode_district",
    "A UK postcode generalised to its outward code (district), e.g. 'LS1 4AP' to 'LS1'.",
    STRINGS,
    lambda e, _c, _x: ("postcode_district", f"upper(split_part(trim({e}), ' ', 1))"),
)
_register(
    "postcode_area",
    "A UK postcode generalised to its area (the leading letters), e.g. 'LS1 4AP' to 'LS'.",
    STRINGS,
    lambda e, _c, _x: (
        "postcode_area", f"NULLIF(regexp_extract(upper(trim({e})), '^[A-Z]+'), '')"
    ),
)
_register(
    "postcode_region",
    "A UK postcode generalised to its ONS region, or nation outside England, e.g. 'LS1 4AP' "
    "to 'Yorkshire and The Humber' (':code' gives 'E12000003'; column postcode_region). "
    "Unknown or malformed postcodes become NULL.",
    STRINGS, _postcode_region, _region_argument,
)
_register(
    "code_parent",
    f"A clinical code generalised ':N' levels up its hierarchy (default 1, at most "
    f"{MAX_LEVELS}): ICD-10 by its structure (E11.9 to E11 to block E10-E14 to chapter IV), "
    "SNOMED CT (and dm+d) by its 'is a' hierarchy. A code with no known ancestor becomes "
    "NULL.",
    STRINGS, _code_parent, lambda a: None if a is None else _positive_integer(MAX_LEVELS)(a),
)
_register(
    "top_code",
    "Values above ':N' recorded as N (top-coding), e.g. 'top_code:100'.",
    NUMBERS,
    lambda e, c, ctx: (c.name, f"CASE WHEN {e} > {float(ctx.argument or 0)!r} "
                               f"THEN {float(ctx.argument or 0)!r} ELSE {e} END"),
    _number,
)
_register(
    "bottom_code",
    "Values below ':N' recorded as N (bottom-coding), e.g. 'bottom_code:0'.",
    NUMBERS,
    lambda e, c, ctx: (c.name, f"CASE WHEN {e} < {float(ctx.argument or 0)!r} "
                               f"THEN {float(ctx.argument or 0)!r} ELSE {e} END"),
    _number,
)

"""De-identification operators, one per field transformation, in a registry.

Each operator turns a source column into zero or one extract column, as a SQL expression the
engine runs over the whole table at once. The built-ins register exactly as a third party's
operator would (``register_transformation``). Later work adds hierarchies, date shifting and
top/bottom coding here; the pipeline does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openhaven.records.schema import Column, ColumnType

PSEUDONYM_COLUMN = "pseudonym"


@dataclass(frozen=True)
class Transformation:
    name: str
    description: str
    applies_to: frozenset[ColumnType]
    #: (source SQL expression, source column) -> (output column name, output SQL expression);
    #: None means the column is left out of the extract.
    render: Callable[[str, Column], tuple[str, str] | None]


_REGISTRY: dict[str, Transformation] = {}
ALL_TYPES = frozenset(ColumnType)


def register_transformation(transformation: Transformation) -> None:
    if transformation.name in _REGISTRY:
        raise ValueError(f"transformation {transformation.name!r} is already registered")
    _REGISTRY[transformation.name] = transformation


def get_transformation(name: str) -> Transformation:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown transformation {name!r}; known: {known}") from None


def transformation_names() -> list[str]:
    return sorted(_REGISTRY)


register_transformation(
    Transformation("drop", "Left out of the extract.", ALL_TYPES, lambda _e, _c: None)
)
register_transformation(
    Transformation("keep", "Copied unchanged.", ALL_TYPES, lambda e, c: (c.name, e))
)
register_transformation(
    Transformation(
        "pseudonymise",
        "Replaced by the project's keyed pseudonym of the patient.",
        frozenset({ColumnType.STRING}),
        lambda _e, _c: (PSEUDONYM_COLUMN, f"_pseudonyms.{PSEUDONYM_COLUMN}"),
    )
)
register_transformation(
    Transformation(
        "year",
        "A date generalised to its year (column renamed <name>_year).",
        frozenset({ColumnType.DATE}),
        lambda e, c: (f"{c.name.removesuffix('_date')}_year", f"CAST(year({e}) AS INTEGER)"),
    )
)
register_transformation(
    Transformation(
        "month",
        "A date generalised to the first day of its month.",
        frozenset({ColumnType.DATE}),
        lambda e, c: (c.name, f"CAST(date_trunc('month', {e}) AS DATE)"),
    )
)
register_transformation(
    Transformation(
        "postcode_district",
        "A UK postcode generalised to its outward code (district), e.g. 'LS1 4AP' to 'LS1'.",
        frozenset({ColumnType.STRING}),
        lambda e, _c: ("postcode_district", f"upper(split_part(trim({e}), ' ', 1))"),
    )
)

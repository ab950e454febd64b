"""The dataset specification: what an approved project may receive, field by field.

A specification maps each table to the transformation applied to each of its columns;
columns it does not name are dropped (minimum necessary by default). It may also declare the
cohort (``cohort``: condition codes, an age range at the cut-off, an onset date range) and the
privacy model the extract must meet (``privacy``: quasi-identifiers, k, and optionally l or t
for a sensitive attribute, and how outliers may be suppressed). It is validated against the
record model before anything runs, and direct identifiers or free text may only be kept when
the project is approved for identifiable data. Free text may be de-identified
(``deidentify_text``) only when the specification says ``free_text: deidentified`` — an
allowance the committee approves with the request; by default notes are dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openhaven.core.errors import InvalidInput, Location, SafeguardRefused
from openhaven.provisioning import text_operator
from openhaven.provisioning.transformations import (
    get_transformation,
    render_column,
    split_operator,
)
from openhaven.records.schema import TABLES_BY_NAME, Identifiability

IDENTIFIABLE_LEVEL = "identifiable"
SUPPRESSION_KINDS = ("none", "record", "cell")
#: what free text the approval allows: none (dropped) or de-identified by deidentify_text
FREE_TEXT_ALLOWANCES = ("none", "deidentified")


@dataclass(frozen=True)
class CohortCriteria:
    """Who is in: every field optional; an empty criteria set means the whole store."""

    #: code prefixes (any code system); a patient needs at least one matching condition
    condition_codes: tuple[str, ...] = ()
    #: inclusive ages at the cut-off
    min_age: int | None = None
    max_age: int | None = None
    #: a matching condition must start inside this inclusive range
    onset_from: dt.date | None = None
    onset_to: dt.date | None = None

    @property
    def is_everyone(self) -> bool:
        return self == CohortCriteria()


@dataclass(frozen=True)
class PrivacyRequirement:
    """The approved privacy model for the patients table of the extract."""

    quasi_identifiers: tuple[str, ...]
    k: int
    sensitive: str | None = None
    l: int | None = None  # noqa: E741 - the model's own name
    t: float | None = None
    #: how records in classes that fail the model may be treated
    suppression: str = "none"
    #: the largest share of patients that may be suppressed before the run is refused
    suppression_limit: float = 0.0
    #: the prosecutor-risk threshold the risk report counts records above
    risk_threshold: float = 0.2


@dataclass(frozen=True)
class DatasetSpecification:
    tables: Mapping[str, Mapping[str, str]]
    cohort: CohortCriteria = field(default_factory=CohortCriteria)
    privacy: PrivacyRequirement | None = None
    #: free text allowed in the extract: "none" or "deidentified" (see FREE_TEXT_ALLOWANCES)
    free_text: str = "none"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DatasetSpecification:
        tables = raw.get("tables")
        if not isinstance(tables, Mapping) or not tables:
            raise InvalidInput(
                "A dataset specification needs a non-empty 'tables' mapping",
                Location(field="tables"),
            )
        parsed: dict[str, dict[str, str]] = {}
        for table_name, columns in tables.items():
            parsed[str(table_name)] = _parse_table(str(table_name), columns)
        free_text = raw.get("free_text")
        if free_text is None:
            free_text = "none"
        if free_text not in FREE_TEXT_ALLOWANCES:
            raise InvalidInput(
                f"free_text must be one of: {', '.join(FREE_TEXT_ALLOWANCES)}",
                Location(field="free_text"),
            )
        specification = cls(
            parsed,
            _parse_cohort(raw.get("cohort")),
            _parse_privacy(raw.get("privacy")),
            str(free_text),
        )
        if specification.privacy is not None:
            _check_privacy_columns(specification)
        _check_text_date_shift(parsed)
        return specification

    def as_dict(self) -> dict[str, Any]:
        """The specification as ``from_dict`` reads it (cohort and privacy only when set)."""
        out: dict[str, Any] = {"tables": {t: dict(c) for t, c in self.tables.items()}}
        if self.free_text != "none":
            out["free_text"] = self.free_text
        cohort = self.cohort
        if not cohort.is_everyone:
            out["cohort"] = {
                key: value for key, value in {
                    "conditions": list(cohort.condition_codes) or None,
                    "age": _pair_out(cohort.min_age, cohort.max_age),
                    "onset": _pair_out(cohort.onset_from, cohort.onset_to),
                }.items() if value is not None
            }
        if self.privacy is not None:
            privacy = self.privacy
            out["privacy"] = {
                key: value for key, value in {
                    "quasi_identifiers": list(privacy.quasi_identifiers), "k": privacy.k,
                    "sensitive": privacy.sensitive, "l": privacy.l, "t": privacy.t,
                    "suppression": privacy.suppression,
                    "suppression_limit": privacy.suppression_limit,
                    "risk_threshold": privacy.risk_threshold,
                }.items() if value is not None
            }
        return out

    def output_columns(self, table_name: str) -> list[str]:
        """The extract column names ``table_name`` will have, in record-model order."""
        spec = TABLES_BY_NAME[table_name]
        columns = self.tables.get(table_name, {})
        names = []
        for column in spec.columns:
            rendered = render_column(columns.get(column.name, "drop"), "x", column, dt.date.min)
            if rendered is not None:
                names.append(rendered[0])
        return names

    def check_identifiability(self, approved_level: str) -> None:
        """Refuse direct identifiers or free text kept for a project not approved for them,
        and de-identified free text unless the approval allows it (``free_text``)."""
        for table_name, columns in self.tables.items():
            spec = TABLES_BY_NAME[table_name]
            for column_name, operator in columns.items():
                marked = spec.column(column_name).identifiability
                if (split_operator(operator)[0] == text_operator.OPERATOR
                        and self.free_text != "deidentified"):
                    raise SafeguardRefused(
                        f"{table_name}.{column_name}: de-identified free text needs an "
                        "approval that allows it (free_text: deidentified)",
                        Location(field=f"tables.{table_name}.{column_name}"),
                    )
                if approved_level == IDENTIFIABLE_LEVEL:
                    continue
                if split_operator(operator)[0] == "keep" and marked in (
                    Identifiability.DIRECT,
                    Identifiability.FREE_TEXT,
                ):
                    raise SafeguardRefused(
                        f"{table_name}.{column_name} is a {marked.value.replace('_', ' ')} field "
                        "and the project is not approved for identifiable data",
                        Location(field=f"tables.{table_name}.{column_name}"),
                    )


def _parse_table(table_name: str, columns: Any) -> dict[str, str]:
    where = f"tables.{table_name}"
    if table_name not in TABLES_BY_NAME:
        raise InvalidInput(f"Unknown table {table_name!r}", Location(field=where))
    if not isinstance(columns, Mapping):
        raise InvalidInput("Expected column: transformation pairs", Location(field=where))
    spec = TABLES_BY_NAME[table_name]
    if "patient_id" not in columns or columns["patient_id"] != "pseudonymise":
        raise InvalidInput(
            "patient_id must be pseudonymised in every table",
            Location(field=f"{where}.patient_id"),
        )
    for column_name, operator in columns.items():
        where_column = f"{where}.{column_name}"
        if column_name not in spec.column_names:
            raise InvalidInput(f"Unknown column {column_name!r}", Location(field=where_column))
        try:
            transformation = get_transformation(str(operator))
        except KeyError as exc:
            raise InvalidInput(str(exc.args[0]), Location(field=where_column)) from None
        column_type = spec.column(column_name).type
        if column_type not in transformation.applies_to:
            raise InvalidInput(
                f"{transformation.name!r} does not apply to a {column_type} column",
                Location(field=where_column),
            )
        problem = transformation.check_argument(split_operator(str(operator))[1])
        if problem is not None:
            raise InvalidInput(f"{transformation.name!r} {problem}", Location(field=where_column))
        if transformation.name == "code_parent" and "code_system" not in spec.column_names:
            raise InvalidInput(
                "'code_parent' needs a table with a code_system column",
                Location(field=where_column),
            )
    return {str(k): str(v) for k, v in columns.items()}


def _check_text_date_shift(tables: Mapping[str, Mapping[str, str]]) -> None:
    """Dates shifted in text must move by the same window as the shifted date columns."""
    shifts: set[str] = set()
    texts: list[tuple[str, str]] = []
    for table_name, columns in tables.items():
        for column_name, operator in columns.items():
            name, argument = split_operator(operator)
            if name == "date_shift":
                shifts.add(argument or "182")
            elif name == text_operator.OPERATOR and argument is not None:
                texts.append((f"tables.{table_name}.{column_name}", argument))
    for where, argument in texts:
        if shifts and shifts != {argument}:
            raise InvalidInput(
                f"dates in text would move by a different window ({argument} days) from the "
                f"date columns (date_shift:{'/'.join(sorted(shifts))})",
                Location(field=where),
            )


def _parse_cohort(raw: Any) -> CohortCriteria:
    if raw is None:
        return CohortCriteria()
    if not isinstance(raw, Mapping):
        raise InvalidInput("cohort must be a mapping", Location(field="cohort"))
    unknown = set(raw) - {"conditions", "age", "onset"}
    if unknown:
        raise InvalidInput(f"Unknown cohort criteria: {', '.join(sorted(unknown))}",
                           Location(field="cohort"))
    codes = raw.get("conditions", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        raise InvalidInput("cohort.conditions must be a list of codes",
                           Location(field="cohort.conditions"))
    min_age, max_age = _pair(raw.get("age"), "cohort.age", int)
    onset_from, onset_to = _pair(raw.get("onset"), "cohort.onset", dt.date.fromisoformat)
    return CohortCriteria(tuple(codes), min_age, max_age, onset_from, onset_to)


def _pair(raw: Any, where: str, convert: Any) -> tuple[Any, Any]:
    if raw is None:
        return None, None
    if not isinstance(raw, list) or len(raw) != 2:
        raise InvalidInput(f"{where} must be [from, to] (either may be null)",
                           Location(field=where))
    try:
        low, high = (None if v is None else convert(v) for v in raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where} holds a value of the wrong kind",
                           Location(field=where)) from None
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"{where} starts after it ends", Location(field=where))
    return low, high


def _pair_out(low: Any, high: Any) -> list[Any] | None:
    if low is None and high is None:
        return None
    return [v.isoformat() if isinstance(v, dt.date) else v for v in (low, high)]


def _parse_privacy(raw: Any) -> PrivacyRequirement | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput("privacy must be a mapping", Location(field="privacy"))
    quasi = raw.get("quasi_identifiers")
    if not isinstance(quasi, list) or not quasi or not all(isinstance(q, str) for q in quasi):
        raise InvalidInput("privacy.quasi_identifiers must be a non-empty list of columns",
                           Location(field="privacy.quasi_identifiers"))
    k = raw.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InvalidInput("privacy.k must be a whole number of at least 1",
                           Location(field="privacy.k"))
    sensitive = raw.get("sensitive")
    l_value, t_value = raw.get("l"), raw.get("t")
    if (l_value is not None or t_value is not None) and not isinstance(sensitive, str):
        raise InvalidInput("l-diversity and t-closeness need privacy.sensitive (a column)",
                           Location(field="privacy.sensitive"))
    if l_value is not None and (not isinstance(l_value, int) or l_value < 1):
        raise InvalidInput("privacy.l must be a whole number of at least 1",
                           Location(field="privacy.l"))
    if t_value is not None and (not isinstance(t_value, int | float) or not 0 <= t_value <= 1):
        raise InvalidInput("privacy.t must be between 0 and 1", Location(field="privacy.t"))
    suppression = raw.get("suppression", "none")
    if suppression not in SUPPRESSION_KINDS:
        raise InvalidInput(f"privacy.suppression must be one of: {', '.join(SUPPRESSION_KINDS)}",
                           Location(field="privacy.suppression"))
    limit = raw.get("suppression_limit", 0.0)
    if not isinstance(limit, int | float) or not 0 <= limit <= 1:
        raise InvalidInput("privacy.suppression_limit must be a share between 0 and 1",
                           Location(field="privacy.suppression_limit"))
    threshold = raw.get("risk_threshold", 0.2)
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise InvalidInput("privacy.risk_threshold must be between 0 and 1",
                           Location(field="privacy.risk_threshold"))
    return PrivacyRequirement(
        tuple(quasi), k, sensitive if isinstance(sensitive, str) else None,
        l_value, None if t_value is None else float(t_value), str(suppression),
        float(limit), float(threshold),
    )


def _check_privacy_columns(specification: DatasetSpecification) -> None:
    """Quasi-identifiers and the sensitive attribute are columns of the extract's patients."""
    assert specification.privacy is not None
    if "patients" not in specification.tables:
        raise InvalidInput("A privacy model needs the patients table in the extract",
                           Location(field="privacy"))
    available = set(specification.output_columns("patients"))
    wanted = list(specification.privacy.quasi_identifiers)
    if specification.privacy.sensitive is not None:
        wanted.append(specification.privacy.sensitive)
    for name in wanted:
        if name not in available:
            raise InvalidInput(
                f"{name!r} is not a column of the extract's patients table "
                f"(it has: {', '.join(sorted(available))})",
                Location(field="privacy"),
            )


#: What the demo project asks for: pseudonymised, generalised, no free text.
DEMO_SPECIFICATION: dict[str, Any] = {
    "tables": {
        "patients": {
            "patient_id": "pseudonymise",
            "date_of_birth": "year",
            "sex": "keep",
            "ethnicity": "keep",
            "postcode": "postcode_district",
            "date_of_death": "month",
        },
        "conditions": {
            "patient_id": "pseudonymise",
            "code_system": "keep",
            "code": "keep",
            "onset_date": "month",
        },
        "medications": {
            "patient_id": "pseudonymise",
            "code_system": "keep",
            "code": "keep",
            "start_date": "month",
        },
    }
}

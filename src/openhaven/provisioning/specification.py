"""The dataset specification: what an approved project may receive, field by field.

A specification maps each table to the transformation applied to each of its columns;
columns it does not name are dropped (minimum necessary by default). It is validated
against the record model before anything runs, and direct identifiers or free text may only
be kept when the project is approved for identifiable data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openhaven.core.errors import InvalidInput, Location, SafeguardRefused
from openhaven.provisioning.transformations import get_transformation
from openhaven.records.schema import TABLES_BY_NAME, Identifiability

IDENTIFIABLE_LEVEL = "identifiable"


@dataclass(frozen=True)
class DatasetSpecification:
    tables: Mapping[str, Mapping[str, str]]

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
                field = f"{where}.{column_name}"
                if column_name not in spec.column_names:
                    raise InvalidInput(f"Unknown column {column_name!r}", Location(field=field))
                try:
                    transformation = get_transformation(str(operator))
                except KeyError as exc:
                    raise InvalidInput(str(exc.args[0]), Location(field=field)) from None
                if spec.column(column_name).type not in transformation.applies_to:
                    raise InvalidInput(
                        f"{operator!r} does not apply to a {spec.column(column_name).type} column",
                        Location(field=field),
                    )
            parsed[table_name] = {str(k): str(v) for k, v in columns.items()}
        return cls(parsed)

    def as_dict(self) -> dict[str, Any]:
        return {"tables": {t: dict(c) for t, c in self.tables.items()}}

    def check_identifiability(self, approved_level: str) -> None:
        """Refuse direct identifiers or free text kept for a project not approved for them."""
        if approved_level == IDENTIFIABLE_LEVEL:
            return
        for table_name, columns in self.tables.items():
            spec = TABLES_BY_NAME[table_name]
            for column_name, operator in columns.items():
                marked = spec.column(column_name).identifiability
                if operator == "keep" and marked in (
                    Identifiability.DIRECT,
                    Identifiability.FREE_TEXT,
                ):
                    raise SafeguardRefused(
                        f"{table_name}.{column_name} is a {marked.value.replace('_', ' ')} field "
                        "and the project is not approved for identifiable data",
                        Location(field=f"tables.{table_name}.{column_name}"),
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

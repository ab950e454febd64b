"""The register as downloads: one JSON document and one CSV table, with their schema.

Both are made from ``register_entries`` and nothing else, and both are checked against the
published schema (``register.schema.json``, served at ``/register.schema.json``) before they
leave, so a download that does not match the schema is an error here, not a surprise for
whoever reads it. In the CSV every column is text; a list-valued column holds JSON text,
so the CSV decodes back to exactly the JSON rows (``rows_from_csv``).
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import OpenHavenError
from openhaven.core.haven import Haven
from openhaven.transparency.register import register_entries

REGISTER_VERSION = 1
FORMATS = ("json", "csv")
_TEXT_FIELDS = (
    "reference", "title", "status", "organisation", "organisation_kind", "lay_summary",
    "purpose", "legal_basis", "identifiability", "opt_outs",
)
_NULLABLE_TEXT = ("approved_at", "expires_at")


class RegisterSchemaMismatch(OpenHavenError):
    """The register does not match its published schema: a bug, never the reader's fault."""

    code = "register_schema_mismatch"
    http_status = 500


@cache
def register_schema() -> dict[str, Any]:
    """The published JSON Schema (package data)."""
    text = resources.files("openhaven.transparency").joinpath("register.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def columns() -> list[str]:
    """The CSV columns, in the order of the schema's required project properties."""
    return list(register_schema()["$defs"]["project"]["required"])


def register_document(session: Session, haven: Haven) -> dict[str, Any]:
    """The JSON download, validated."""
    document = {
        "register_version": REGISTER_VERSION,
        "generated_at": utc_now().isoformat(),
        "projects": register_entries(session, haven),
    }
    validate_document(document)
    return document


def register_csv(session: Session, haven: Haven) -> str:
    """The CSV download, each row validated."""
    return rows_to_csv(register_entries(session, haven))


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        line = {name: _cell(row[name]) for name in columns()}
        _validate(line, "csv_row")
        writer.writerow(line)
    return out.getvalue()


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """Decode a CSV download back into JSON rows (used by tests and by readers)."""
    rows = []
    for line in csv.DictReader(io.StringIO(text)):
        _validate(dict(line), "csv_row")
        row: dict[str, Any] = {}
        for name, value in line.items():
            if name in _TEXT_FIELDS:
                row[name] = value
            elif name in _NULLABLE_TEXT:
                row[name] = value or None
            else:
                row[name] = json.loads(value)
        rows.append(row)
    return rows


def validate_document(document: dict[str, Any]) -> None:
    try:
        jsonschema.validate(document, register_schema())
    except jsonschema.ValidationError as error:
        raise RegisterSchemaMismatch(
            f"The register does not match its schema at {'/'.join(map(str, error.absolute_path))}"
        ) from None


def _validate(instance: dict[str, Any], definition: str) -> None:
    schema = register_schema()
    wrapper = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    try:
        jsonschema.validate(instance, wrapper)
    except jsonschema.ValidationError as error:
        raise RegisterSchemaMismatch(
            f"A register row does not match the {definition} schema at "
            f"{'/'.join(map(str, error.absolute_path)) or 'top level'}"
        ) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

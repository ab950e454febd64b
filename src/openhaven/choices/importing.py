"""Import and export of choices: FHIR Consent (a resource, a Bundle, NDJSON) and GP CSV.

Import is all or nothing. The whole file is read and every entry checked — by the format
(FHIR paths, CSV columns) and then by the same validation every recorded choice passes —
before anything is written; any problem fails the import with every problem listed by
line or bundle entry and field, and the registry is exactly as it was. The formats are
registered by name in ``IMPORT_FORMATS`` and chosen from the file's name and first bytes.

Export writes every event, in the order recorded, so importing the export into a fresh
haven gives the same current state and the same history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import fhir_consent, gp_csv, service
from openhaven.choices.policy import GP_INGEST, ChoicePolicy, load_policy
from openhaven.choices.staleness import flag_stale_extracts
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven

Parsed = tuple[list[dict[str, Any]], list[Location], list[dict[str, Any]]]
EXPORT_FORMATS = ("bundle", "ndjson", "csv")


def import_choices_file(
    session: Session, haven: Haven, path: Path, *, imported_by: str
) -> dict[str, Any]:
    """Import the choices in ``path``; returns the count and the format read."""
    if not path.is_file():
        raise InvalidInput("No such file", Location(file=path.name))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text", Location(file=path.name)) from None
    policy = load_policy(haven)
    name, reader = _detect(path, text)
    entries, locations, problems = reader(text, policy, path.name)
    if problems and not entries:
        first = problems[0]
        raise InvalidInput(
            f"{len(problems)} problem(s) found in {path.name}; nothing was imported",
            Location(file=path.name, line=first.get("line"), entry=first.get("entry"),
                     field=first.get("field")),
            details=problems,
        )
    count = service.record_imported_choices(
        session, haven, entries, imported_by=imported_by, source=path.name,
        locations=locations, prior_problems=problems,
        field_names=gp_csv.FIELD_NAMES if name == "gp-csv" else fhir_consent.FIELD_NAMES,
    )
    stale = flag_stale_extracts(session, haven, actor=imported_by)
    return {"imported": count, "format": name, "stale_extracts": len(stale)}


def export_choices(session: Session, haven: Haven, *, export_format: str) -> str:
    """Every event as a FHIR Bundle (JSON), FHIR NDJSON, or GP CSV (Type 1 events only)."""
    policy = load_policy(haven)
    events = service.all_events(session)
    if export_format == "csv":
        gp_choices = {c.name for c in policy.applied_at(GP_INGEST)}
        return gp_csv.write_rows(e for e in events if e.choice in gp_choices)
    resources = [fhir_consent.to_consent(event, policy) for event in events]
    if export_format == "ndjson":
        return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in resources)
    if export_format == "bundle":
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
        }
        return json.dumps(bundle, indent=1) + "\n"
    raise InvalidInput(f"format must be one of: {', '.join(EXPORT_FORMATS)}",
                       Location(field="format"))


def _read_csv(text: str, policy: ChoicePolicy, file_name: str) -> Parsed:
    gp_choices = policy.applied_at(GP_INGEST)
    if not gp_choices:
        raise InvalidInput("This haven's policy has no GP-ingest (Type 1) choice for a CSV",
                           Location(file=file_name))
    return gp_csv.read_rows(text, choice=gp_choices[0].name, file_name=file_name)


def _read_ndjson(text: str, policy: ChoicePolicy, file_name: str) -> Parsed:
    entries: list[dict[str, Any]] = []
    locations: list[Location] = []
    problems: list[dict[str, Any]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            resource = json.loads(raw)
        except ValueError:
            problems.append({"file": file_name, "line": line, "field": "line",
                             "problem": "is not a JSON object"})
            continue
        _add(resource, Location(file=file_name, line=line), policy, entries, locations,
             problems)
    return entries, locations, problems


def _read_json(text: str, policy: ChoicePolicy, file_name: str) -> Parsed:
    try:
        document = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        return [], [], [{"file": file_name, "line": line, "field": "file",
                         "problem": "is not valid JSON"}]
    entries: list[dict[str, Any]] = []
    locations: list[Location] = []
    problems: list[dict[str, Any]] = []
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        for number, item in enumerate(document.get("entry") or [], start=1):
            resource = item.get("resource") if isinstance(item, dict) else None
            _add(resource, Location(file=file_name, entry=number), policy, entries, locations,
                 problems)
    else:
        _add(document, Location(file=file_name), policy, entries, locations, problems)
    return entries, locations, problems


def _add(
    resource: Any, where: Location, policy: ChoicePolicy, entries: list[dict[str, Any]],
    locations: list[Location], problems: list[dict[str, Any]],
) -> None:
    entry, found = fhir_consent.from_consent(resource, policy)
    for field, problem in found:
        problems.append({**where.as_dict(), "field": field, "problem": problem})
    entries.append(entry)
    locations.append(where)


READERS: dict[str, Callable[[str, ChoicePolicy, str], Parsed]] = {
    "gp-csv": _read_csv,
    "fhir-ndjson": _read_ndjson,
    "fhir-json": _read_json,
}


def _detect(path: Path, text: str) -> tuple[str, Callable[[str, ChoicePolicy, str], Parsed]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "gp-csv", READERS["gp-csv"]
    if suffix in (".ndjson", ".jsonl"):
        return "fhir-ndjson", READERS["fhir-ndjson"]
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return "gp-csv", READERS["gp-csv"]
    try:
        json.loads(stripped)
    except ValueError:
        first_line = stripped.splitlines()[0] if stripped else ""
        try:
            json.loads(first_line)
        except ValueError:
            return "fhir-json", READERS["fhir-json"]  # reports it as invalid JSON
        return "fhir-ndjson", READERS["fhir-ndjson"]
    return "fhir-json", READERS["fhir-json"]

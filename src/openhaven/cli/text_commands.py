"""``openhaven text deidentify``: the free-text de-identifier as a tool in its own right.

A plain text file is printed with its identifiers replaced; an NDJSON file (``.ndjson`` or
``.jsonl``) holds one note per line as an object with ``text`` and, optionally, ``patient``
(``given_name``, ``family_name``, ``nhs_number``, ``date_of_birth``, ``address_line``,
``postcode``, ``phone``) for record-aware recognition; every other key is passed through.
``--json`` prints one JSON object with each finding and why it was found (never the text
found).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from openhaven.cli.context import JsonOption
from openhaven.cli.rendering import emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location

text_app = typer.Typer(help="Free-text de-identification of clinical notes.",
                       no_args_is_help=True)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")


@text_app.command("deidentify")
def deidentify_command(
    file: Annotated[Path, typer.Argument(help="A text file, or NDJSON of notes (.ndjson).",
                                         show_default=False)],
    shift_days: Annotated[int | None, typer.Option(
        "--shift-days", help="Move dates by this many days instead of replacing them.")
    ] = None,
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Lowest recognizer score that counts (0 to 1).")] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Replace names, NHS numbers, dates, addresses, postcodes, phone numbers and other
    identifiers with typed placeholders ([NAME], [NHS_NUMBER], [DATE]...)."""
    with reporting_errors(as_json=as_json):
        from openhaven.textdeid import deidentify

        if not 0 <= threshold <= 1:
            raise InvalidInput("--threshold must be between 0 and 1",
                               Location(field="--threshold"))
        if not file.is_file():
            raise InvalidInput("No such file", Location(file=str(file)))
        if file.suffix.lower() not in NDJSON_SUFFIXES:
            text = _read(file)
            result = deidentify(text, shift_days=shift_days, threshold=threshold)
            if as_json:
                emit_json({"text": result.text, "findings": _findings(result.findings),
                           "counts": _counts(result.findings)})
            else:
                sys.stdout.write(result.text if result.text.endswith("\n")
                                 else result.text + "\n")
            return
        notes = _read_notes(file)
        out: list[dict[str, Any]] = []
        totals: Counter[str] = Counter()
        for note, patient in notes:
            result = deidentify(note["text"], patient, shift_days=shift_days,
                                threshold=threshold)
            row = {**note, "text": result.text}
            row.pop("patient", None)
            totals.update(f.entity for f in result.findings)
            if as_json:
                row["findings"] = _findings(result.findings)
            out.append(row)
        if as_json:
            emit_json({"notes": out, "counts": dict(sorted(totals.items()))})
        else:
            for row in out:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text", Location(file=str(file))) from None


def _read_notes(file: Path) -> list[tuple[dict[str, Any], Any]]:
    """Every note, checked before any is de-identified: a bad line is named, not echoed."""
    from openhaven.textdeid import PatientIdentifiers

    notes: list[tuple[dict[str, Any], Any]] = []
    for number, line in enumerate(_read(file).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            note = json.loads(line)
        except json.JSONDecodeError:
            raise InvalidInput("Not a JSON object", Location(file=str(file), line=number)) \
                from None
        if not isinstance(note, dict) or not isinstance(note.get("text"), str):
            raise InvalidInput("Each line needs a 'text' string",
                               Location(file=str(file), line=number, field="text"))
        patient = note.get("patient")
        if patient is not None and not isinstance(patient, Mapping):
            raise InvalidInput("'patient' must be an object",
                               Location(file=str(file), line=number, field="patient"))
        try:
            identifiers = None if patient is None else PatientIdentifiers.from_mapping(
                dict(patient))
        except ValueError:
            raise InvalidInput("patient.date_of_birth must be a date (YYYY-MM-DD)",
                               Location(file=str(file), line=number,
                                        field="patient.date_of_birth")) from None
        notes.append((note, identifiers))
    return notes


def _findings(findings: list[Any]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in findings]


def _counts(findings: list[Any]) -> dict[str, int]:
    return dict(sorted(Counter(f.entity for f in findings).items()))


__all__ = ["deidentify_command", "text_app"]

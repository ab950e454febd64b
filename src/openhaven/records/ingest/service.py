"""Ingest: files in, records into the store in one transaction, a report and a ledger entry.

The order is what keeps the store safe:

1. every file is read into a staging area (nothing touches the store);
2. any invalid input fails the whole call with ``InvalidInput`` listing every problem
   found (file, entry or line, field), so the store is exactly as it was;
3. the haven's rules decide which valid records go to quarantine;
4. everything else goes into the store in one transaction (``upsert_all``): all tables or
   none, and keyed by source id, so loading the same file again changes nothing;
5. the quarantine report is written and ``records.ingested`` (counts only) is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from openhaven.core.clock import today, utc_now
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.records.ingest.formats import FormatReader, InputFormat, format_for
from openhaven.records.ingest.report import (
    absent_fields,
    count_items,
    quarantine_entries,
    write_report,
)
from openhaven.records.ingest.rules import apply_rules
from openhaven.records.ingest.staging import Staging
from openhaven.records.store import open_store, upsert_all

MAX_REPORTED_PROBLEMS = 500


@dataclass
class IngestResult:
    ingested: dict[str, int]
    quarantined: dict[str, int]
    report: Path
    not_modelled: dict[str, int] = field(default_factory=dict)
    absent_fields: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    skipped_files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ingested": dict(self.ingested),
            "quarantined": dict(self.quarantined),
            "report": str(self.report),
            "not_modelled": dict(self.not_modelled),
            "absent_fields": {k: list(v) for k, v in self.absent_fields.items()},
            "rows": dict(self.rows),
            "skipped_files": self.skipped_files,
        }


#: A filter over the staged tables, run before the haven's rules: it returns the tables with
#: rows taken out (patients' Type 1 objections at GP ingest, see ``openhaven.choices.type1``).
StagedFilter = Callable[[dict[str, pa.Table]], dict[str, pa.Table]]


def ingest_paths(
    haven: Haven, paths: Sequence[Path], *, actor: str = "custodian",
    withhold: StagedFilter | None = None,
) -> IngestResult:
    """Load files and folders (walked) of any registered format into the record store.

    ``withhold``, when given, removes staged rows before anything else sees them (the rows
    never reach the store, the rules or the quarantine report).
    """
    chosen, skipped = _files_to_read(paths)
    staging = Staging()
    readers: dict[str, FormatReader] = {}
    for path, found in chosen:
        reader = readers.get(found.reader_group)
        if reader is None:
            reader = readers[found.reader_group] = found.open_reader(staging)
        reader.read(path, str(path))
    for reader in readers.values():
        reader.finish()
    if staging.has_problems():
        raise _invalid(staging)

    tables = staging.tables()
    if withhold is not None:
        tables = withhold(tables)
    with open_store(haven.paths.record_store) as session:
        stored = session.query("SELECT patient_id, date_of_birth FROM patients")
        verdict = apply_rules(tables, staging.parse_quarantine, stored, today())
        rows = upsert_all(session, verdict.accepted)

    ingested, quarantined = count_items(staging, verdict.reasons)
    not_modelled = dict(sorted(staging.not_modelled.items()))
    absent = absent_fields(staging)
    report = write_report(
        haven.paths.quarantine,
        {
            "created": utc_now().isoformat(),
            "files": staging.files,
            "ingested": ingested,
            "quarantined": quarantined,
            "not_modelled": not_modelled,
            "rows": rows,
            "absent_fields": absent,
            "quarantine": quarantine_entries(staging, verdict.reasons),
        },
    )
    record_event(
        haven,
        "records.ingested",
        actor=actor,
        details={
            "files": len(staging.files),
            "ingested": ingested,
            "quarantined": quarantined,
            "not_modelled": not_modelled,
            "rows": rows,
        },
    )
    return IngestResult(
        ingested=ingested,
        quarantined=quarantined,
        report=report,
        not_modelled=not_modelled,
        absent_fields=absent,
        rows=rows,
        skipped_files=skipped,
    )


def _files_to_read(paths: Sequence[Path]) -> tuple[list[tuple[Path, InputFormat]], int]:
    """Each file with its format; folders are walked, and files no format claims skipped."""
    if not paths:
        raise InvalidInput("Nothing to ingest: give at least one file or folder.")
    chosen: list[tuple[Path, InputFormat]] = []
    skipped = 0
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file() or any(
                    p.startswith(".") for p in child.relative_to(path).parts
                ):
                    continue
                found = format_for(child)
                if found is None:
                    skipped += 1
                else:
                    chosen.append((child, found))
        elif path.is_file():
            found = format_for(path)
            if found is None:
                raise InvalidInput(
                    "No input format reads this file (expected .json, .ndjson, or "
                    "<table>.parquet / <table>.csv).",
                    location=Location(file=str(path)),
                )
            chosen.append((path, found))
        else:
            raise InvalidInput("No such file or folder.", location=Location(file=str(path)))
    if not chosen:
        raise InvalidInput("No file that OpenHaven can read was found in the input.")
    return chosen, skipped


def _invalid(staging: Staging) -> InvalidInput:
    order = {name: index for index, name in enumerate(staging.files)}
    problems = sorted(
        staging.problems,
        key=lambda p: (order[p.file], -1 if p.position is None else p.position),
    )
    counts = staging.problem_counts()
    total = sum(counts.values())
    first = problems[0]
    message = (
        f"The input is not valid: {total} problem(s) in {len(counts)} file(s); "
        f"nothing was loaded. First problem: {first.field or 'the file'} {first.problem}"
    )
    details = [p.as_dict() for p in problems[:MAX_REPORTED_PROBLEMS]]
    return InvalidInput(message, location=first.location(), details=details)

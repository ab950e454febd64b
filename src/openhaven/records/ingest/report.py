"""The quarantine report: what one ingest call loaded, set aside, and could not map.

Written for every call, as JSON under ``<home>/quarantine/``. It names each quarantined
record by file and position (bundle entry, NDJSON or CSV line, Parquet row) with its
reason; it never repeats a value from the record. The folder is custodian-only, like the
store; the report still names input files, as the custodian gave them.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from openhaven.core.clock import utc_now
from openhaven.records.ingest.staging import Staging


def count_items(staging: Staging, reasons: dict[int, str]) -> tuple[dict[str, int], dict[str, int]]:
    """(ingested, quarantined) item counts by unit (FHIR resource type or table name)."""
    _, _, units = staging.item_arrays()
    totals = np.bincount(units, minlength=len(staging.units)) if len(units) else np.zeros(0)
    bad_units = Counter(staging.units[int(units[item])] for item in reasons)
    ingested = {
        unit: int(totals[index]) - bad_units.get(unit, 0)
        for index, unit in enumerate(staging.units)
        if int(totals[index]) - bad_units.get(unit, 0) > 0
    }
    return ingested, dict(sorted(bad_units.items()))


def absent_fields(staging: Staging) -> dict[str, list[str]]:
    """Per file, each absent model field as "<Type>: <note> on <n> of <total>"."""
    files, _, units = staging.item_arrays()
    per_file_unit: Counter[tuple[int, int]] = Counter(
        zip(files.tolist(), units.tolist(), strict=True)
    )
    file_index = {name: index for index, name in enumerate(staging.files)}
    rendered: dict[str, list[str]] = {}
    for file_name, notes in staging.absent.items():
        lines = []
        for note, count in sorted(notes.items()):
            unit = note.split(":", 1)[0]
            unit_id = staging.units.index(unit) if unit in staging.units else -1
            total = per_file_unit.get((file_index[file_name], unit_id), 0)
            lines.append(f"{note} on {count} of {total}")
        rendered[file_name] = lines
    return rendered


def quarantine_entries(staging: Staging, reasons: dict[int, str]) -> list[dict[str, Any]]:
    files, positions, units = staging.item_arrays()
    entries = []
    for item in sorted(reasons):
        file_index = int(files[item])
        entry: dict[str, Any] = {"file": staging.files[file_index]}
        kind = staging.file_position_kind.get(file_index)
        if kind is not None and positions[item] >= 0:
            entry[kind] = int(positions[item])
        entry["type"] = staging.units[int(units[item])]
        entry["reason"] = reasons[item]
        entries.append(entry)
    return entries


def write_report(folder: Path, body: dict[str, Any]) -> Path:
    """Write the report atomically (temporary file, then rename) with owner-only access."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"ingest-{stamp}-{secrets.token_hex(3)}.json"
    temporary = path.with_suffix(".json.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(orjson.dumps(body, option=orjson.OPT_INDENT_2))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path

"""Write a population as FHIR R4: one Bundle per patient, or bulk-data NDJSON.

Bundles look like those of common synthetic-record generators: a transaction bundle per
patient, every entry with a ``urn:uuid:`` fullUrl and a ``request``, references between
entries by those fullUrls. Because our ids are kept as the resources' ids, requests are
``PUT <Type>/<id>`` (an update with a client-chosen id), so loading the bundle twice into a
server changes nothing, like ingesting it twice here. Files are named by the patient's
fullUrl uuid, never by a name. NDJSON has one file per resource type, references as
``Patient/<id>``.

Rows are turned into Python tuples a chunk of patients at a time and serialised with
orjson, so 50,000 patients stay within memory and take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from openhaven.core.errors import InvalidInput
from openhaven.records.fhir.resources_out import BUILDERS, Referencer, full_url_uuid
from openhaven.records.schema import TABLES_BY_NAME, ColumnType
from openhaven.records.store import conform

BUNDLE_TYPES = ("transaction", "batch", "collection")
PATIENTS_PER_CHUNK = 2_000
ROWS_PER_CHUNK = 50_000


def write_bundles(
    population: Mapping[str, pa.Table], out_dir: Path, *, bundle_type: str = "transaction"
) -> int:
    """One Bundle JSON file per patient under ``out_dir``; returns the number of files.

    Rows of a patient who is not in ``patients`` cannot belong to any bundle and are not
    written (NDJSON output keeps them).
    """
    if bundle_type not in BUNDLE_TYPES:
        raise InvalidInput(f"bundle_type must be one of {', '.join(BUNDLE_TYPES)}")
    if "patients" not in population:
        raise InvalidInput("the population has no patients table")
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = Referencer(bundle=True)
    patients = _prepared("patients", population["patients"]).sort_by("patient_id")
    events = {
        name: _prepared(name, data).sort_by("patient_id")
        for name, data in population.items()
        if name != "patients" and name in BUILDERS
    }
    event_keys = {name: _patient_keys(data) for name, data in events.items()}
    written = 0
    for start in range(0, patients.num_rows, PATIENTS_PER_CHUNK):
        chunk = patients.slice(start, PATIENTS_PER_CHUNK)
        first, last = chunk["patient_id"][0].as_py(), chunk["patient_id"][-1].as_py()
        grouped: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for name, data in events.items():
            keys = event_keys[name]
            low = int(np.searchsorted(keys, first, side="left"))
            high = int(np.searchsorted(keys, last, side="right"))
            for row in _rows(data.slice(low, high - low)):
                grouped.setdefault(row[1], {}).setdefault(name, []).append(row)
        for patient_row in _rows(chunk):
            entries = [_entry("patients", patient_row, ref, bundle_type)]
            own = grouped.get(patient_row[0], {})
            for name in BUILDERS:
                for row in own.get(name, ()):
                    entries.append(_entry(name, row, ref, bundle_type))
            bundle = {"resourceType": "Bundle", "type": bundle_type, "entry": entries}
            file_name = f"{full_url_uuid('Patient', patient_row[0])}.json"
            (out_dir / file_name).write_bytes(orjson.dumps(bundle))
            written += 1
        ref.forget()
    return written


def write_ndjson(population: Mapping[str, pa.Table], out_dir: Path) -> dict[str, int]:
    """Bulk-data NDJSON, one ``<ResourceType>.ndjson`` per table; returns lines per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = Referencer(bundle=False)
    counts: dict[str, int] = {}
    for name, (resource_type, build) in BUILDERS.items():
        if name not in population:
            continue
        data = _prepared(name, population[name])
        with (out_dir / f"{resource_type}.ndjson").open("wb") as handle:
            for offset in range(0, data.num_rows, ROWS_PER_CHUNK):
                lines = [
                    orjson.dumps(build(row, ref))
                    for row in _rows(data.slice(offset, ROWS_PER_CHUNK))
                ]
                if lines:
                    handle.write(b"\n".join(lines) + b"\n")
        counts[f"{resource_type}.ndjson"] = data.num_rows
    return counts


def _entry(name: str, row: tuple[Any, ...], ref: Referencer, bundle_type: str) -> dict[str, Any]:
    resource_type, build = BUILDERS[name]
    resource = build(row, ref)
    entry: dict[str, Any] = {
        "fullUrl": ref.full_url(resource_type, row[0]),
        "resource": resource,
    }
    if bundle_type != "collection":
        entry["request"] = {"method": "PUT", "url": f"{resource_type}/{row[0]}"}
    return entry


def _prepared(name: str, data: pa.Table) -> pa.Table:
    """The table in schema column order with its dates as ISO strings."""
    spec = TABLES_BY_NAME[name]
    typed = conform(spec, data)
    columns = [
        pc.cast(typed[c.name], pa.string()) if c.type is ColumnType.DATE else typed[c.name]
        for c in spec.columns
    ]
    return pa.Table.from_arrays(columns, names=spec.column_names)


def _patient_keys(data: pa.Table) -> np.ndarray:
    return np.asarray(data["patient_id"].to_pylist(), dtype=object)


def _rows(data: pa.Table) -> Iterator[tuple[Any, ...]]:
    return zip(*(column.to_pylist() for column in data.columns), strict=True)

"""Read FHIR R4 JSON (Bundles or single resources) and bulk NDJSON into staged rows.

One ``FhirReader`` reads every FHIR file of an ingest call into a ``Staging`` area, so
references can cross files (an NDJSON MedicationRequest naming a Medication in another
file). Each resource is one staged *item*. Resource types the model holds are mapped by
one function each (``MAPPERS``); every other type is counted in ``not_modelled``, never
silently dropped.

Invalid input is recorded as a ``Problem`` naming the file, the bundle entry (``entry``,
0-based as in ``entry[3]``) or NDJSON line (1-based), and the element path; reading goes on
to the next resource so that a file's problems are reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from openhaven.records.fhir.context import MedicationIndex, ResourceContext, Unresolvable
from openhaven.records.fhir.elements import ElementError, resource_id
from openhaven.records.fhir.map_clinical import map_condition, map_encounter, map_procedure
from openhaven.records.fhir.map_document import map_document_reference
from openhaven.records.fhir.map_medication import (
    finish_medications,
    map_medication,
    map_medication_request,
    map_medication_statement,
)
from openhaven.records.fhir.map_observation import map_observation
from openhaven.records.fhir.map_patient import map_patient
from openhaven.records.ingest.staging import Staging

Mapper = Callable[[dict[str, Any], ResourceContext], None]

MAPPERS: dict[str, Mapper] = {
    "Patient": map_patient,
    "Encounter": map_encounter,
    "Condition": map_condition,
    "Observation": map_observation,
    "Medication": map_medication,
    "MedicationRequest": map_medication_request,
    "MedicationStatement": map_medication_statement,
    "Procedure": map_procedure,
    "DocumentReference": map_document_reference,
}
BUNDLE_TYPES = frozenset({"transaction", "batch", "collection", "searchset", "document"})
_URN_UUID = "urn:uuid:"


class FhirReader:
    """Reads FHIR files into one staging area; call ``finish`` after the last file."""

    def __init__(self, staging: Staging) -> None:
        self.staging = staging
        self.medications = MedicationIndex.empty()

    def read_json(self, path: Path, name: str) -> None:
        """A Bundle (transaction, batch, collection, searchset, document) or one resource."""
        data = path.read_bytes()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            file_index = self.staging.add_file(name, None)
            self.staging.problem(file_index, None, None, _json_problem(exc))
            return
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            self._read_bundle(document, self.staging.add_file(name, "entry"))
            return
        file_index = self.staging.add_file(name, None)
        if not isinstance(document, dict):
            self.staging.problem(file_index, None, None, "must be a JSON object: a FHIR resource")
            return
        if not isinstance(document.get("resourceType"), str):
            self.staging.problem(
                file_index, None, "resourceType", "is missing: not a FHIR Bundle or resource"
            )
            return
        self._read_resource(document, file_index, -1, "", {}, None)

    def read_ndjson(self, path: Path, name: str) -> None:
        """Bulk-data NDJSON: one resource per line, any resource types mixed."""
        file_index = self.staging.add_file(name, "line")
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    self.staging.problem(file_index, number, None, _json_problem(exc, line=False))
                    continue
                if not isinstance(resource, dict):
                    self.staging.problem(file_index, number, None, "must be a JSON object")
                    continue
                if not isinstance(resource.get("resourceType"), str):
                    self.staging.problem(file_index, number, "resourceType", "is missing")
                    continue
                self._read_resource(resource, file_index, number, "", {}, None)

    def finish(self) -> None:
        """Resolve what waited for every file to be read (medicationReference)."""
        finish_medications(self.staging, self.medications)

    def _read_bundle(self, bundle: dict[str, Any], file_index: int) -> None:
        problem = self.staging.problem
        kind = bundle.get("type")
        if kind not in BUNDLE_TYPES:
            problem(file_index, None, "type", f"must be one of {', '.join(sorted(BUNDLE_TYPES))}")
            return
        entries = bundle.get("entry", [])
        if not isinstance(entries, list):
            problem(file_index, None, "entry", "must be a JSON array")
            return
        valid: list[tuple[int, dict[str, Any], str | None]] = []
        full_urls: dict[str, tuple[str, str]] = {}
        for index, entry in enumerate(entries):
            where = f"entry[{index}]"
            if not isinstance(entry, dict):
                problem(file_index, index, where, "must be a JSON object")
                continue
            resource = entry.get("resource")
            if resource is None:
                problem(
                    file_index,
                    index,
                    f"{where}.resource",
                    "is missing: every entry must carry a resource",
                )
                continue
            if not isinstance(resource, dict):
                problem(file_index, index, f"{where}.resource", "must be a JSON object")
                continue
            resource_type = resource.get("resourceType")
            if not isinstance(resource_type, str):
                problem(file_index, index, f"{where}.resource.resourceType", "is missing")
                continue
            full_url = entry.get("fullUrl")
            if full_url is not None and not isinstance(full_url, str):
                problem(file_index, index, f"{where}.fullUrl", "must be a string")
                continue
            if full_url is not None:
                own = resource.get("id")
                if not isinstance(own, str):
                    own = full_url[len(_URN_UUID) :] if full_url.startswith(_URN_UUID) else None
                if own is not None:
                    full_urls[full_url] = (resource_type, own)
            valid.append((index, resource, full_url))
        for index, resource, full_url in valid:
            self._read_resource(
                resource, file_index, index, f"entry[{index}].resource", full_urls, full_url
            )

    def _read_resource(
        self,
        resource: dict[str, Any],
        file_index: int,
        position: int,
        path: str,
        full_urls: dict[str, tuple[str, str]],
        full_url: str | None,
    ) -> None:
        resource_type: str = resource["resourceType"]
        mapper = MAPPERS.get(resource_type)
        if mapper is None:
            self.staging.not_modelled[resource_type] += 1
            return
        where = None if position < 0 else position
        try:
            own_id = resource_id(resource, path)
        except ElementError as exc:
            self.staging.problem(file_index, where, exc.path, exc.problem)
            return
        if own_id is None and full_url is not None and full_url.startswith(_URN_UUID):
            own_id = full_url[len(_URN_UUID) :]
        if own_id is None:
            field = f"{path}.id" if path else "id"
            self.staging.problem(file_index, where, field, "is missing (and no urn:uuid fullUrl)")
            return
        item = self.staging.new_item(file_index, position, resource_type)
        context = ResourceContext(
            staging=self.staging,
            file_index=file_index,
            position=position,
            path=path,
            item=item,
            own_id=own_id,
            resource_type=resource_type,
            resource=resource,
            full_urls=full_urls,
            medications=self.medications,
        )
        try:
            mapper(resource, context)
        except ElementError as exc:
            self.staging.problem(file_index, where, exc.path, exc.problem)
        except Unresolvable as exc:
            self.staging.quarantine_item(item, exc.reason)


def _json_problem(exc: orjson.JSONDecodeError, *, line: bool = True) -> str:
    """Where the JSON broke, without quoting the text around it (it may hold values)."""
    if line:
        return f"is not valid JSON (line {exc.lineno}, column {exc.colno})"
    return f"is not valid JSON (column {exc.colno})"

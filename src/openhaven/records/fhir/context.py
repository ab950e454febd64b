"""What a mapper knows about the resource it is mapping: where it is, and how to resolve.

Each resource is read with one ``ResourceContext``: its item number in the staging area,
the path prefix for error messages (``entry[3].resource``), and the bundle's fullUrl map
so that ``urn:uuid:`` references resolve to the target resource's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openhaven.records.fhir.elements import ElementError, join, reference_string
from openhaven.records.ingest.staging import Staging

# Only a name shaped like a resource type is repeated in a reason; anything else could be
# a value someone typed into the wrong place.
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


class Unresolvable(Exception):
    """A reference that cannot name a record: the item is quarantined with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ResourceContext:
    staging: Staging
    file_index: int
    position: int
    path: str
    item: int
    own_id: str
    resource_type: str
    resource: dict[str, Any]
    full_urls: dict[str, tuple[str, str]]
    medications: MedicationIndex

    def field(self, key: str) -> str:
        return join(self.path, key)

    def note_absent(self, note: str) -> None:
        self.staging.note_absent(self.file_index, f"{self.resource_type}: {note}")

    def resolve(self, reference: str | None, expected: str, path: str) -> str:
        """The id of the ``expected`` resource type that ``reference`` points to.

        Handles ``urn:uuid:`` (through the bundle's fullUrls; an unknown uuid is taken as
        the id, since ids default to fullUrl uuids), ``Type/id`` and absolute URLs ending
        in ``Type/id`` (with or without ``/_history/n``).
        """
        if reference is None or not reference:
            raise ElementError(path, f"must reference a {expected}")
        if reference.startswith("urn:uuid:"):
            target = self.full_urls.get(reference)
            if target is None:
                return reference[len("urn:uuid:") :]
            target_type, target_id = target
        else:
            if "?" in reference:
                raise Unresolvable(f"{path} is a conditional reference, which is not resolved")
            if reference.startswith("#"):
                raise Unresolvable(f"{path} points to a contained resource")
            parts = reference.rstrip("/").split("/")
            if len(parts) >= 4 and parts[-2] == "_history":
                parts = parts[:-2]
            if len(parts) < 2:
                raise ElementError(path, "must be a reference of the form Type/id")
            target_type, target_id = parts[-2], parts[-1]
        if target_type != expected:
            named = target_type if _RESOURCE_TYPE.fullmatch(target_type) else "another type"
            raise Unresolvable(f"{path} points to {named}, not a {expected}")
        return target_id

    def subject(self, key: str = "subject") -> str:
        """The patient id named by ``key`` (required by the haven on every record)."""
        reference = reference_string(self.resource, key, self.path)
        return self.resolve(reference, "Patient", join(self.field(key), "reference"))

    def encounter(self, resource: dict[str, Any], key: str = "encounter") -> str | None:
        reference = reference_string(resource, key, self.path)
        if reference is None:
            return None
        return self.resolve(reference, "Encounter", join(self.field(key), "reference"))


@dataclass
class MedicationIndex:
    """Medication resources seen so far, and requests waiting for theirs.

    A ``medicationReference`` may point to a Medication later in the bundle or in another
    NDJSON file, so requests that use one are finished after every file has been read.
    """

    known: dict[str, tuple[str, str, str | None] | None]
    pending: list[tuple[int, int, str, str, tuple[Any, ...]]]

    @classmethod
    def empty(cls) -> MedicationIndex:
        return cls({}, [])

"""Append-only, hash-chained audit log under ``<home>/ledger/``.

Each line of ``entries.jsonl`` is one entry; its ``hash`` covers its content and the previous
entry's hash, so altering, removing or reordering any entry breaks every hash after it.
Appends take an exclusive file lock and are fsynced before ``record_event`` returns: an
acknowledged entry survives a crash. A torn final line (a crash mid-write) was never
acknowledged: ``verify`` reports it, and the next append cuts it off before writing.

Events never carry identifiable data in clear: ``record_event`` refuses details that hold
an NHS number or use an identifier's field name.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.core.clock import utc_now
from openhaven.core.errors import OpenHavenError
from openhaven.core.haven import Haven

ENTRIES_FILE = "entries.jsonl"
GENESIS = "0" * 64
FORBIDDEN_KEYS = frozenset(
    {"nhs_number", "given_name", "family_name", "name", "date_of_birth", "postcode",
     "address", "address_line", "phone", "email"}
)
_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")


class IdentifiableEventError(OpenHavenError):
    """A caller tried to write identifiable data into the ledger (a programming error)."""

    code = "identifiable_event"
    http_status = 500


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    time: str
    action: str
    actor: str
    subject: str | None
    details: dict[str, Any]
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def record_event(
    haven: Haven,
    action: str,
    *,
    actor: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> LedgerEntry:
    """Append one event and return it once it is durable.

    ``action`` is a dotted verb such as ``project.approved``; ``actor`` is who did it (a person
    reference or ``system``); ``subject`` what it was done to (a project reference, an extract
    id) — never a patient identifier.
    """
    body = dict(details or {})
    _refuse_identifiable(body)
    path = _entries_path(haven)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            seq, prev = _tail(handle)
            content: dict[str, Any] = {
                "seq": seq,
                "time": utc_now().isoformat(),
                "action": action,
                "actor": actor,
                "subject": subject,
                "details": body,
                "prev": prev,
            }
            entry = LedgerEntry(
                seq=seq, time=content["time"], action=action, actor=actor, subject=subject,
                details=body, prev=prev, hash=_hash(content),
            )
            handle.seek(0, os.SEEK_END)
            handle.write(_encode(entry.as_dict()) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def read_entries(haven: Haven, *, action_prefix: str | None = None) -> Iterator[LedgerEntry]:
    """Entries in order; with ``action_prefix``, only actions starting with it."""
    path = _entries_path(haven)
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            entry = LedgerEntry(**json.loads(raw))
            if action_prefix is None or entry.action.startswith(action_prefix):
                yield entry


def verify(haven: Haven) -> VerifyResult:
    """Recompute the chain; report the first entry that was altered, removed or reordered."""
    path = _entries_path(haven)
    if not path.exists():
        return VerifyResult(True, 0, None, "the ledger is empty")
    prev = GENESIS
    count = 0
    with path.open("rb") as handle:
        for index, raw in enumerate(handle):
            if not raw.endswith(b"\n"):
                return VerifyResult(False, count, index, "the last entry is incomplete")
            try:
                record = json.loads(raw)
                stored_hash = record.pop("hash")
            except (ValueError, KeyError):
                return VerifyResult(False, count, index, "entry is not valid JSON")
            if record.get("seq") != index:
                return VerifyResult(False, count, index, "entry is out of sequence")
            if record.get("prev") != prev:
                return VerifyResult(False, count, index, "entry does not follow its predecessor")
            if _hash(record) != stored_hash:
                return VerifyResult(False, count, index, "entry content does not match its hash")
            prev = stored_hash
            count += 1
    return VerifyResult(True, count, None, "every entry verified")


def _entries_path(haven: Haven) -> Path:
    return haven.paths.ledger / ENTRIES_FILE


def _tail(handle: Any) -> tuple[int, str]:
    """The next sequence number and the hash of the last complete entry."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return 0, GENESIS
    handle.seek(size - 1)
    if handle.read(1) != b"\n":
        size = _cut_torn_tail(handle, size)
        if size == 0:
            return 0, GENESIS
    chunk = min(size, 65536)
    while True:
        handle.seek(size - chunk)
        data = handle.read(chunk)
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or chunk == size:
            last = json.loads(lines[-1])
            return int(last["seq"]) + 1, str(last["hash"])
        chunk = min(size, chunk * 2)


def _cut_torn_tail(handle: Any, size: int) -> int:
    """Drop an unacknowledged, half-written last line; return the new size."""
    handle.seek(0)
    data = handle.read(size)
    keep: int = data.rfind(b"\n") + 1
    handle.truncate(keep)
    os.fsync(handle.fileno())
    return keep


def _hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(_encode(content)).hexdigest()


def _encode(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _refuse_identifiable(details: Mapping[str, Any]) -> None:
    for key, value in _walk(details):
        if key.lower() in FORBIDDEN_KEYS:
            raise IdentifiableEventError(f"ledger details may not carry the field {key!r}")
        if isinstance(value, str) and _TEN_DIGITS.search(value):
            raise IdentifiableEventError(
                f"ledger detail {key!r} looks like it holds an NHS number"
            )


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k), v
            yield from _walk(v, str(k))
    elif isinstance(value, list | tuple):
        for item in value:
            yield key, item
            yield from _walk(item, key)

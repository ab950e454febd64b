"""The ledger's writer: append an event durably, extend the Merkle tree, sign tree heads.

Each line of ``<home>/ledger/entries.jsonl`` is one entry in canonical JSON (sorted keys,
no spaces). Its ``hash`` covers its content and the previous entry's hash, so altering,
removing or reordering an entry breaks the chain at that entry. The line's exact bytes are
also the entry's leaf in an RFC 6962 Merkle tree, whose root the haven signs (a signed tree
head) every ``SIGN_EVERY`` entries and on demand: an attacker who rewrites the whole chain
consistently still cannot forge the signed roots.

Appends take the ledger's exclusive lock and are fsynced (entry, then tree head) before
``record_event`` returns: an acknowledged entry survives a crash. A torn final line (a crash
mid-write) was never acknowledged; the next append cuts it off before writing.

Events never carry identifiable data in clear: see ``event_privacy``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.ledger.event_privacy import (
    FORBIDDEN_KEYS,
    IdentifiableEventError,
    refuse_identifiable,
)
from openhaven.ledger.log_file import NEWLINE, append_line, locked_for_append
from openhaven.ledger.signing_key import signing_key
from openhaven.ledger.tree_heads import SignedTreeHead, append_head, sign_head
from openhaven.ledger.tree_state import (
    CHECKPOINT_EVERY,
    GENESIS,
    TreeState,
    current_state,
    remember,
    save_checkpoint,
)

ENTRIES_FILE = "entries.jsonl"
SIGN_EVERY = 1
"""Sign a tree head after every this many entries. With 1, every acknowledged entry is
covered by a signature, so even removing the newest entries is detected; a larger value
trades that for fewer signatures (entries after the last head are then protected by the
hash chain only)."""

__all__ = [
    "ENTRIES_FILE",
    "FORBIDDEN_KEYS",
    "GENESIS",
    "IdentifiableEventError",
    "LedgerEntry",
    "entries_path",
    "read_entries",
    "record_event",
    "sign_tree_head",
]


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


def record_event(
    haven: Haven,
    action: str,
    *,
    actor: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> LedgerEntry:
    """Append one event and return it once it is durable (and, by default, signed).

    ``action`` is a dotted verb such as ``project.approved``; ``actor`` is who did it (a person
    reference or ``system``); ``subject`` what it was done to (a project reference, an extract
    id, a ``patient_reference``) — never a patient identifier.
    """
    body = dict(details or {})
    refuse_identifiable(body, subject=subject)
    with locked_for_append(entries_path(haven)) as descriptor:
        entry, _ = append_locked(haven, descriptor, action, actor=actor, subject=subject,
                                 details=body)
    return entry


def append_locked(
    haven: Haven,
    descriptor: int,
    action: str,
    *,
    actor: str,
    subject: str | None,
    details: dict[str, Any],
    key: Ed25519PrivateKey | None = None,
) -> tuple[LedgerEntry, SignedTreeHead | None]:
    """Append one checked event while holding the writer lock; sign a head as due.

    With ``key``, a head is always signed, with that key (a key rotation's hand-over).
    """
    state = current_state(haven, descriptor)
    # Load the key before writing: a key problem must stop the event, not follow it.
    if key is None and (state.size + 1) % SIGN_EVERY == 0:
        key = signing_key(haven)
    content: dict[str, Any] = {
        "seq": state.size,
        "time": utc_now().isoformat(),
        "action": action,
        "actor": actor,
        "subject": subject,
        "details": details,
        "prev": state.last_hash,
    }
    entry = LedgerEntry(
        seq=state.size, time=content["time"], action=action, actor=actor, subject=subject,
        details=details, prev=state.last_hash, hash=entry_hash(content),
    )
    line = encode(entry.as_dict())
    state = state.appended(line, entry.hash, append_line(descriptor, line))
    remember(descriptor, state)
    head = _sign(haven, state, key) if key is not None else None
    if state.size % CHECKPOINT_EVERY == 0:
        save_checkpoint(haven, state)
    return entry, head


def sign_tree_head(haven: Haven) -> SignedTreeHead:
    """Sign and append a tree head for the ledger as it stands now.

    Also the way to tidy up after a crash: it cuts any half-written line from both files.
    """
    with locked_for_append(entries_path(haven)) as descriptor:
        state = current_state(haven, descriptor)
        head = _sign(haven, state)
        save_checkpoint(haven, state)
    return head


def read_entries(haven: Haven, *, action_prefix: str | None = None) -> Iterator[LedgerEntry]:
    """Entries in order; with ``action_prefix``, only actions starting with it."""
    path = entries_path(haven)
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(NEWLINE):
                break
            entry = LedgerEntry(**json.loads(raw))
            if action_prefix is None or entry.action.startswith(action_prefix):
                yield entry


def entries_path(haven: Haven) -> Path:
    return haven.paths.ledger / ENTRIES_FILE


def entry_hash(content: Mapping[str, Any]) -> str:
    """The chain hash: SHA-256 of the entry's canonical JSON without its own ``hash``."""
    return hashlib.sha256(encode(content)).hexdigest()


def encode(content: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, ASCII only; the bytes that are hashed."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _sign(haven: Haven, state: TreeState, key: Ed25519PrivateKey | None = None) -> SignedTreeHead:
    head = sign_head(key or signing_key(haven), state.size, state.root())
    append_head(haven, head)
    return head


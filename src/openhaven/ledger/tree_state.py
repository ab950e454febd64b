"""Where the ledger's tree stands, found in O(log n) rather than by rereading every entry.

A writer needs three things before it appends: how many entries there are (the next
``seq``), the last entry's hash (the next ``prev``) and the compact range of the tree (to
extend the root). It keeps them in memory between appends and, every
``CHECKPOINT_EVERY`` entries, saves them to ``<home>/ledger/tree-state.json``. Either is
trusted only after checking it against the file: the byte offset it records must end with
a complete line whose ``seq`` and ``hash`` it names. Entries written after the checkpoint
(by this or another process) are replayed; anything that does not check out falls back to
reading the whole file. Verification never uses this state: it recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openhaven.core.haven import Haven
from openhaven.ledger.log_file import line_ending_at, lines_from, write_atomically
from openhaven.ledger.merkle_tree import CompactRange, leaf_hash

TREE_STATE_FILE = "tree-state.json"
CHECKPOINT_EVERY = 256
GENESIS = "0" * 64


@dataclass(frozen=True)
class TreeState:
    """The tree after ``size`` entries, which end at byte ``offset`` of the entries file."""

    size: int
    offset: int
    last_hash: str
    compact: CompactRange

    def root(self) -> bytes:
        return self.compact.root()

    def appended(self, line: bytes, entry_hash: str, offset: int) -> TreeState:
        compact = self.compact.copy()
        compact.append(leaf_hash(line))
        return TreeState(self.size + 1, offset, entry_hash, compact)

    def as_json(self) -> dict[str, Any]:
        return {
            "tree_size": self.size,
            "offset": self.offset,
            "last_hash": self.last_hash,
            "subtree_roots": [root.hex() for root in self.compact.roots],
        }

    @classmethod
    def from_json(cls, data: Any) -> TreeState:
        roots = [bytes.fromhex(root) for root in data["subtree_roots"]]
        return cls(int(data["tree_size"]), int(data["offset"]), str(data["last_hash"]),
                   CompactRange(int(data["tree_size"]), roots))


EMPTY = TreeState(0, 0, GENESIS, CompactRange())
_remembered: dict[tuple[int, int], TreeState] = {}


def current_state(haven: Haven, descriptor: int) -> TreeState:
    """The state at the end of the entries file open (and locked) on ``descriptor``."""
    identity = _identity(descriptor)
    start = _remembered.get(identity)
    if start is None or not _matches(descriptor, start):
        start = _checkpoint(haven, descriptor) or EMPTY
    state = start
    for offset, line in lines_from(descriptor, start.offset):
        state = state.appended(line, _entry_hash(line), offset)
    _remembered[identity] = state
    return state


def remember(descriptor: int, state: TreeState) -> None:
    _remembered[_identity(descriptor)] = state


def save_checkpoint(haven: Haven, state: TreeState) -> None:
    """Persist ``state``; the caller holds the writer lock and ``state`` is durable."""
    data = json.dumps(state.as_json(), sort_keys=True, separators=(",", ":")).encode()
    write_atomically(tree_state_path(haven), data)


def saved_size(haven: Haven) -> int | None:
    """The entry count the last checkpoint recorded, if there is a readable one."""
    loaded = _load(tree_state_path(haven))
    return None if loaded is None else loaded.size


def tree_state_path(haven: Haven) -> Path:
    return haven.paths.ledger / TREE_STATE_FILE


def _checkpoint(haven: Haven, descriptor: int) -> TreeState | None:
    loaded = _load(tree_state_path(haven))
    return loaded if loaded is not None and _matches(descriptor, loaded) else None


def _load(path: Path) -> TreeState | None:
    try:
        return TreeState.from_json(json.loads(path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _matches(descriptor: int, state: TreeState) -> bool:
    """Does the file still end a complete line at ``state.offset`` with the entry it names?"""
    if state.size == 0:
        return state.offset == 0
    if state.offset > os.fstat(descriptor).st_size:
        return False
    line = line_ending_at(descriptor, state.offset)
    if line is None:
        return False
    try:
        last = json.loads(line)
    except ValueError:
        return False
    return isinstance(last, dict) and last.get("seq") == state.size - 1 and (
        last.get("hash") == state.last_hash
    )


def _entry_hash(line: bytes) -> str:
    """The entry's chain hash; a damaged line still gets one, so appends go on (verify flags it)."""
    try:
        return str(json.loads(line)["hash"])
    except (ValueError, KeyError, TypeError):
        return hashlib.sha256(line).hexdigest()


def _identity(descriptor: int) -> tuple[int, int]:
    status = os.fstat(descriptor)
    return status.st_dev, status.st_ino

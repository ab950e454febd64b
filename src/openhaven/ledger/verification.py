"""Verify the whole ledger from its bytes and report the first entry that is not as written.

Four independent checks, all recomputed from scratch (nothing cached is trusted):

1. The hash chain: each line is canonical JSON, its ``seq`` is its position, its ``prev`` is
   the previous entry's hash and its ``hash`` matches its content. This pins down exactly
   which entry was altered, removed or reordered by anyone who did not redo the chain.
2. The signed tree heads: every head's Ed25519 signature must verify under a key of the
   haven's key history that was in force at the time the head claims (a retired key's
   signature dated after its retirement is refused, and no head by a retired key may follow
   one by its successor), and the Merkle root recomputed over the first ``tree_size`` lines
   must equal the signed root. This catches a whole chain rewritten consistently, and
   entries cut from the end; the first bad entry then lies after the last head that still
   matches.
3. Removal from the end: no head, and no saved tree state, may count more entries than the
   file holds.
4. The key history: its last key is the haven's signing key, and each hand-over in it is
   announced by a ``ledger.key_rotated`` entry naming both keys.

A half-written last line that is not yet a complete entry is what a crash mid-write
leaves: it was never acknowledged, so it is not counted and not an error (the next append
cuts it). A complete entry without its newline is a change, and is reported.
"""

from __future__ import annotations

import hmac
import itertools
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.ledger.audit_log import GENESIS, encode, entries_path, entry_hash
from openhaven.ledger.key_history import HISTORY_FILE, KeyHistory
from openhaven.ledger.key_rotation import KEY_ROTATED
from openhaven.ledger.log_file import NEWLINE
from openhaven.ledger.merkle_tree import CompactRange, leaf_hash
from openhaven.ledger.signing_key import (
    PUBLIC_KEY_FILE,
    exported_public_key,
    key_history,
    key_id,
    public_key_pem,
    rotation_unfinished,
    trusted_public_key,
)
from openhaven.ledger.tree_heads import TREE_HEADS_FILE, SignedTreeHead, read_heads
from openhaven.ledger.tree_state import saved_size

VERIFIED = "every entry verified"
UNFINISHED_NOTE = (
    "a key rotation stopped after its commit; the next signing moves the new key into place"
)
INTERRUPTED_NOTE = (
    "a half-written line after the last entry (a write interrupted by a crash, never "
    "acknowledged) will be cut by the next append"
)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _HeadProblem:
    """A tree head that cannot be trusted; entries from ``vouched`` on lose its cover."""

    vouched: int
    reason: str


@dataclass(frozen=True)
class _Heads:
    valid: list[tuple[int, SignedTreeHead]]
    problem: _HeadProblem | None


def verify(haven: Haven) -> VerifyResult:
    """Recompute chain, tree and heads; report the first entry altered, removed or reordered."""
    heads = _check_heads(haven)
    path = entries_path(haven)
    pending = list(heads.valid)
    compact = CompactRange()
    vouched = 0
    count = 0
    chain_problem: str | None = None
    handovers: set[tuple[str, str]] = set()

    def heads_reached() -> VerifyResult | None:
        nonlocal vouched
        while pending and pending[0][1].tree_size == count:
            line, head = pending.pop(0)
            if not hmac.compare_digest(head.root_hash, compact.root()):
                return VerifyResult(
                    False, vouched, vouched,
                    f"entries {vouched} to {count - 1} do not match the signed tree head on "
                    f"line {line} of {TREE_HEADS_FILE}: they were rewritten, removed or "
                    "reordered",
                )
            vouched = count
        return None

    mismatch = heads_reached()
    if mismatch is None and path.exists():
        prev = GENESIS
        with path.open("rb") as handle:
            for raw in handle:
                chain_problem = _chain_problem(raw, count, prev)
                if chain_problem is not None:
                    break
                record = json.loads(raw)
                prev = record["hash"]
                if record.get("action") == KEY_ROTATED:
                    handovers.add(_handover(record.get("details")))
                compact.append(leaf_hash(raw[:-1]))
                count += 1
                mismatch = heads_reached()
                if mismatch is not None:
                    break
    if mismatch is not None:
        return mismatch
    problems: list[VerifyResult] = []
    if chain_problem not in (None, _INTERRUPTED):
        problems.append(VerifyResult(False, count, count, str(chain_problem)))
    if heads.problem is not None:
        problems.append(VerifyResult(False, heads.problem.vouched, heads.problem.vouched,
                                     heads.problem.reason))
    if not problems:
        result = _tail_and_key_checks(haven, count, pending, handovers)
        if result.ok and chain_problem == _INTERRUPTED:
            return VerifyResult(True, count, None, f"{VERIFIED}; {INTERRUPTED_NOTE}")
        return result
    if chain_problem in (None, _INTERRUPTED):
        problems.append(_tail_and_key_checks(haven, count, pending, handovers))
    return min((p for p in problems if not p.ok), key=_position)


_INTERRUPTED = "an interrupted write that was never acknowledged"


def _chain_problem(raw: bytes, index: int, prev: str) -> str | None:
    """Why line ``index`` is not the entry that should follow ``prev``, or None."""
    if not raw.endswith(NEWLINE):
        return "entry is not terminated by a newline" if _is_complete(raw) else _INTERRUPTED
    try:
        record = json.loads(raw)
    except ValueError:
        return "entry is not valid JSON"
    if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
        return "entry is not a ledger entry"
    stored_hash = record.pop("hash")
    if record.get("seq") != index:
        return "entry is out of sequence"
    if record.get("prev") != prev:
        return "entry does not follow its predecessor"
    if entry_hash(record) != stored_hash:
        return "entry content does not match its hash"
    record["hash"] = stored_hash
    if encode(record) != raw[:-1]:
        return "entry is not in canonical form"
    return None


def _handover(details: Any) -> tuple[str, str]:
    if not isinstance(details, dict):
        return "", ""
    return str(details.get("old_key_id", "")), str(details.get("new_key_id", ""))


def _check_heads(haven: Haven) -> _Heads:
    lines, tail = read_heads(haven)
    valid: list[tuple[int, SignedTreeHead]] = []
    problem: _HeadProblem | None = None
    try:
        history = key_history(haven)
    except ConfigurationError as error:
        return _Heads([], _HeadProblem(0, error.message))
    largest = 0
    newest_key = 0
    for entry in lines:
        reason = entry.problem
        head = entry.head
        if head is not None:
            reason = _head_refusal(history, head, newest_key)
            if reason is None and head.tree_size < largest:
                reason = "tree head is smaller than the one before it"
        if reason is None and head is not None:
            valid.append((entry.line, head))
            largest = head.tree_size
            newest_key = history.position(head.key_id) or 0
        elif problem is None:
            problem = _HeadProblem(largest, f"line {entry.line} of {TREE_HEADS_FILE}: {reason}")
    if problem is None and tail and _is_complete(tail):
        problem = _HeadProblem(
            largest, f"the last line of {TREE_HEADS_FILE} is not terminated by a newline"
        )
    return _Heads(valid, problem)


def _head_refusal(history: KeyHistory, head: SignedTreeHead, newest_key: int) -> str | None:
    """Why ``head`` is not signed by a key in force at its time (or comes too late), or None."""
    if not history.keys:
        return "there are signed tree heads but no ledger key to check them"
    refusal = history.refusal(head.key_id, head.timestamp, head.signature_valid)
    if refusal is not None:
        return f"tree head {refusal}"
    if (history.position(head.key_id) or 0) < newest_key:
        return "tree head is signed by a retired key after a head signed by its successor"
    return None


def _tail_and_key_checks(
    haven: Haven, count: int, unreached: list[tuple[int, SignedTreeHead]],
    handovers: set[tuple[str, str]],
) -> VerifyResult:
    if unreached:
        line, head = unreached[0]
        return VerifyResult(
            False, count, count,
            f"the signed tree head on line {line} of {TREE_HEADS_FILE} vouches for "
            f"{head.tree_size} entries but the ledger holds {count}: entries were removed",
        )
    saved = saved_size(haven)
    if saved is not None and saved > count:
        return VerifyResult(
            False, count, count,
            f"the saved tree state counts {saved} entries but the ledger holds {count}: "
            "entries were removed",
        )
    try:
        trusted, exported = trusted_public_key(haven), exported_public_key(haven)
    except ConfigurationError as error:
        return VerifyResult(False, count, None, error.message)
    if trusted is not None and exported is not None and (
        public_key_pem(trusted) != public_key_pem(exported)
    ) and not rotation_unfinished(haven):
        return VerifyResult(False, count, None,
                            f"ledger/{PUBLIC_KEY_FILE} is not the haven's ledger key")
    return _history_checks(haven, count, trusted, handovers)


def _history_checks(
    haven: Haven, count: int, trusted: Ed25519PublicKey | None,
    handovers: set[tuple[str, str]],
) -> VerifyResult:
    """The key history ends at the key in force, and the ledger announced every hand-over."""
    try:
        history = key_history(haven)
    except ConfigurationError as error:
        return VerifyResult(False, count, None, error.message)
    current = history.current
    if trusted is not None and current is not None and current.key_id != key_id(trusted):
        return VerifyResult(False, count, None,
                            f"the last key in ledger/{HISTORY_FILE} is not the haven's ledger key")
    for before, after in itertools.pairwise(history.keys):
        if (before.key_id, after.key_id) not in handovers:
            return VerifyResult(
                False, count, None,
                f"ledger/{HISTORY_FILE} hands over from key {before.key_id[:16]}… to "
                f"{after.key_id[:16]}… but no {KEY_ROTATED} entry in the ledger announces it",
            )
    if rotation_unfinished(haven):
        return VerifyResult(True, count, None, f"{VERIFIED}; {UNFINISHED_NOTE}")
    return VerifyResult(True, count, None, VERIFIED)


def _position(result: VerifyResult) -> float:
    return float("inf") if result.first_bad is None else result.first_bad


def _is_complete(fragment: bytes) -> bool:
    """Does an unterminated last line hold a whole JSON value (so it is not a torn write)?"""
    try:
        json.JSONDecoder().raw_decode(fragment.decode("utf-8", errors="replace"))
    except ValueError:
        return False
    return True

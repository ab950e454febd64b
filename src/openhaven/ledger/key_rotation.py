"""Rotate the haven's ledger signing key without breaking any earlier proof.

One rotation, all under the ledger's writer lock so that no other entry or head interleaves:

1. a new Ed25519 key is made and written to ``keys/ledger-signing.key.next`` (0600);
2. the entry ``ledger.key_rotated`` (old and new key ids, the reason) is appended and a tree
   head over it is signed with the OLD key: the old key vouches for its successor;
3. commit: ``ledger/public-key-history.json`` is replaced atomically, the old key retired at
   that head's timestamp and the new key valid from it;
4. the new public key is exported to ``ledger/public-key.pem``, then the new key replaces
   the private key file (the old private key is destroyed);
5. a head over the same entries is signed with the NEW key.

A crash before step 3 leaves the old key in force and the ledger verifiable (the entry then
records a rotation that did not take effect; run the rotation again). A crash after it is
finished by the next signing, which moves the committed key into place (see
``signing_key``). Everything signed afterwards — tree heads, release manifests — uses the
new key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger.audit_log import LedgerEntry, append_locked, entries_path
from openhaven.ledger.event_privacy import refuse_identifiable
from openhaven.ledger.key_history import KeyHistory
from openhaven.ledger.log_file import locked_for_append, write_atomically
from openhaven.ledger.signing_key import (
    history_path,
    install_pending_key,
    key_history,
    key_id,
    pending_key_path,
    signing_key,
    write_private_key,
)
from openhaven.ledger.tree_heads import SignedTreeHead, append_head, sign_head
from openhaven.ledger.tree_state import current_state, save_checkpoint

KEY_ROTATED = "ledger.key_rotated"
MAX_REASON = 500


@dataclass(frozen=True)
class Rotation:
    entry: LedgerEntry
    old_key_id: str
    new_key_id: str
    old_head: SignedTreeHead
    new_head: SignedTreeHead

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.entry.seq,
            "old_key_id": self.old_key_id,
            "new_key_id": self.new_key_id,
            "retired_at": self.old_head.timestamp,
            "old_key_tree_head": self.old_head.as_json(),
            "new_key_tree_head": self.new_head.as_json(),
        }


def rotate_signing_key(haven: Haven, *, actor: str, reason: str) -> Rotation:
    """Retire the signing key for a new one; the hand-over is signed by both (see module)."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("a key rotation needs a reason (why the key is being replaced)",
                           Location(field="reason"))
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is longer than {MAX_REASON} characters",
                           Location(field="reason"))
    with locked_for_append(entries_path(haven)) as descriptor:
        old_key = signing_key(haven)  # also finishes a rotation that stopped after its commit
        history = key_history(haven)
        new_key = Ed25519PrivateKey.generate()
        old_id, new_id = key_id(old_key.public_key()), key_id(new_key.public_key())
        details = {"old_key_id": old_id, "new_key_id": new_id, "reason": reason}
        refuse_identifiable(details, subject=None)
        write_private_key(pending_key_path(haven), new_key)
        entry, old_head = append_locked(haven, descriptor, KEY_ROTATED, actor=actor,
                                        subject=None, details=details, key=old_key)
        assert old_head is not None  # signed because a key was given
        commit_history(haven, history.rotated(new_key.public_key(), at=old_head.timestamp))
        install_pending_key(haven)
        state = current_state(haven, descriptor)
        timestamp = max(int(utc_now().timestamp() * 1000), old_head.timestamp)
        new_head = sign_head(new_key, state.size, state.root(), timestamp=timestamp)
        append_head(haven, new_head)
        save_checkpoint(haven, state)
    return Rotation(entry, old_id, new_id, old_head, new_head)


def commit_history(haven: Haven, history: KeyHistory) -> None:
    """The rotation's commit point: the new key is in force once this file is replaced."""
    path = history_path(haven)
    write_atomically(path, history.encode())
    path.chmod(0o644)


@contextmanager
def signing_moment(haven: Haven) -> Iterator[tuple[Ed25519PrivateKey, datetime]]:
    """The key in force and the time now, read together under the ledger's writer lock.

    A document that states when it was signed (a release manifest's ``released_at``) must be
    dated within its key's validity; holding the lock keeps a rotation from falling between
    reading the clock and signing. Sign inside the block; append to the ledger after it.
    """
    with locked_for_append(entries_path(haven)):
        yield signing_key(haven), utc_now()

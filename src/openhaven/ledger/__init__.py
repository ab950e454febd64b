"""The ledger: every significant event, appended to a Merkle tree whose roots the haven signs.

``record_event`` is the single entry point every other module uses. Behind it each entry is
hash-chained to the one before and is a leaf of an RFC 6962 Merkle tree; signed tree heads,
inclusion proofs and consistency proofs let anyone with the public key check the ledger.
See docs/ledger.md.
"""

from openhaven.ledger.audit_log import (
    LedgerEntry,
    read_entries,
    record_event,
    sign_tree_head,
)
from openhaven.ledger.event_privacy import IdentifiableEventError, patient_reference
from openhaven.ledger.tree_heads import SignedTreeHead
from openhaven.ledger.verification import VerifyResult, verify

__all__ = [
    "IdentifiableEventError",
    "LedgerEntry",
    "SignedTreeHead",
    "VerifyResult",
    "patient_reference",
    "read_entries",
    "record_event",
    "sign_tree_head",
    "verify",
]

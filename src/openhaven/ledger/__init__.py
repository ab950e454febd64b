"""The audit log: every significant event, appended, hash-chained, never rewritten.

``record_event`` is the single entry point every other module uses. The storage behind it
is a hash chain today; it becomes a Merkle-tree ledger with signed tree heads without any
caller changing.
"""

from openhaven.ledger.audit_log import (
    LedgerEntry,
    VerifyResult,
    read_entries,
    record_event,
    verify,
)

__all__ = ["LedgerEntry", "VerifyResult", "read_entries", "record_event", "verify"]

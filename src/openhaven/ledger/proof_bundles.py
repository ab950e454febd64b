"""Proofs packaged for someone outside the haven: everything they need except the public key.

An inclusion bundle carries the entry itself, its leaf hash, the audit path and the signed
tree head it is proved against; a consistency bundle carries both signed heads and the
proof between them. ``tools/verify_ledger_proof.py`` checks either with only the haven's
public key (docs/ledger.md describes the format).

Proofs are only ever given against signed heads, because an unsigned root proves nothing
to an outsider. Before handing one out, the haven checks the head's signature against its
key history (a key in force at the time the head claims, so heads signed before a key
rotation still serve), recomputes the root it is proving against, and refuses if either
fails.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from openhaven.core.errors import Conflict, InvalidInput, NotFound
from openhaven.core.haven import Haven
from openhaven.ledger.audit_log import entries_path, sign_tree_head
from openhaven.ledger.log_file import lines_from
from openhaven.ledger.merkle_proofs import consistency_proof, inclusion_proof
from openhaven.ledger.merkle_tree import leaf_hash, root_hash
from openhaven.ledger.signing_key import key_history
from openhaven.ledger.tree_heads import SignedTreeHead, latest_head, read_heads


def inclusion_bundle(haven: Haven, seq: int, *, tree_size: int | None = None) -> dict[str, Any]:
    """Prove entry ``seq`` is in the tree of a signed head (the latest one by default).

    Without ``tree_size``, if no head covers ``seq`` yet one is signed now.
    """
    lines = _entry_lines(haven)
    if not 0 <= seq < len(lines):
        raise NotFound(f"the ledger has no entry {seq} (it holds {len(lines)})")
    if tree_size is None:
        head = latest_head(haven)
        if head is None or head.tree_size <= seq:
            head = sign_tree_head(haven)
            lines = _entry_lines(haven)
    else:
        if tree_size <= seq:
            raise InvalidInput(f"entry {seq} is not in a tree of {tree_size} entries")
        head = _head_of_size(haven, tree_size)
    leaves = _checked_leaves(haven, lines, head)
    return {
        "type": "inclusion",
        "leaf_index": seq,
        "tree_size": head.tree_size,
        "entry": lines[seq].decode(),
        "leaf_hash": leaves[seq].hex(),
        "audit_path": [node.hex() for node in inclusion_proof(seq, leaves)],
        "tree_head": head.as_json(),
    }


def consistency_bundle(haven: Haven, first: int, second: int) -> dict[str, Any]:
    """Prove the signed tree of ``second`` entries extends the signed tree of ``first``."""
    if not 0 < first <= second:
        raise InvalidInput(
            "a consistency proof needs 0 < FIRST <= SECOND (tree sizes of signed heads)"
        )
    first_head, second_head = _head_of_size(haven, first), _head_of_size(haven, second)
    lines = _entry_lines(haven)
    _check_signature(haven, first_head)
    leaves = _checked_leaves(haven, lines, second_head)
    if not hmac.compare_digest(root_hash(leaves[:first]), first_head.root_hash):
        raise _mismatch(first)
    return {
        "type": "consistency",
        "first": first,
        "second": second,
        "proof": [node.hex() for node in consistency_proof(first, leaves)],
        "first_tree_head": first_head.as_json(),
        "second_tree_head": second_head.as_json(),
    }


def _entry_lines(haven: Haven) -> list[bytes]:
    path = entries_path(haven)
    if not path.exists():
        return []
    descriptor = os.open(path, os.O_RDONLY)
    try:
        return [line for _, line in lines_from(descriptor, 0)]
    finally:
        os.close(descriptor)


def _head_of_size(haven: Haven, tree_size: int) -> SignedTreeHead:
    heads, _ = read_heads(haven)
    for line in reversed(heads):
        if line.head is not None and line.head.tree_size == tree_size:
            return line.head
    raise NotFound(
        f"no signed tree head has size {tree_size}; `openhaven ledger sign` signs the "
        "current size"
    )


def _check_signature(haven: Haven, head: SignedTreeHead) -> None:
    """Refuse a head no key of the history vouches for at the time it claims."""
    refusal = key_history(haven).refusal(head.key_id, head.timestamp, head.signature_valid)
    if refusal is not None:
        raise Conflict(f"the signed tree head of size {head.tree_size} {refusal}; run "
                       "`openhaven ledger verify`")


def _checked_leaves(haven: Haven, lines: list[bytes], head: SignedTreeHead) -> list[bytes]:
    _check_signature(haven, head)
    if head.tree_size > len(lines):
        raise _mismatch(head.tree_size)
    leaves = [leaf_hash(line) for line in lines[: head.tree_size]]
    if not hmac.compare_digest(root_hash(leaves), head.root_hash):
        raise _mismatch(head.tree_size)
    return leaves


def _mismatch(tree_size: int) -> Conflict:
    return Conflict(
        f"the ledger no longer matches its signed tree head of size {tree_size}; "
        "run `openhaven ledger verify`"
    )

"""Signed tree heads: the haven's signed statement "the ledger's first n entries have root R".

Each head is one line of ``<home>/ledger/tree-heads.jsonl``. What is signed (Ed25519) is the
RFC 6962 ``TreeHeadSignature`` layout, so that any language can rebuild it from the JSON::

    version (1 byte, 0 = v1) || signature_type (1 byte, 1 = tree_hash)
    || timestamp (8 bytes, big-endian, milliseconds since the Unix epoch)
    || tree_size (8 bytes, big-endian) || root_hash (32 bytes)

A head pins everything before it: whoever later rewrites, drops or reorders entries, even
recomputing the whole hash chain, cannot produce the signed root without the private key.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.ledger.log_file import NEWLINE, append_line_to
from openhaven.ledger.merkle_tree import HASH_SIZE
from openhaven.ledger.signing_key import key_id

TREE_HEADS_FILE = "tree-heads.jsonl"
SIGNATURE_VERSION = 0
TREE_HASH_SIGNATURE_TYPE = 1
_FIELDS = ("key_id", "root_hash", "signature", "timestamp", "tree_size")


@dataclass(frozen=True)
class SignedTreeHead:
    tree_size: int
    root_hash: bytes
    timestamp: int
    key_id: str
    signature: bytes

    def signed_message(self) -> bytes:
        return signed_message(self.tree_size, self.root_hash, self.timestamp)

    def signature_valid(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, self.signed_message())
        except InvalidSignature:
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "root_hash": self.root_hash.hex(),
            "signature": self.signature.hex(),
            "timestamp": self.timestamp,
            "tree_size": self.tree_size,
        }

    def encode(self) -> bytes:
        """The head's one canonical line (sorted keys, no spaces, lowercase hex)."""
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: Any) -> SignedTreeHead:
        """Parse a head; ``ValueError`` says which field is wrong."""
        if not isinstance(data, dict) or sorted(data) != list(_FIELDS):
            raise ValueError(f"a tree head has exactly the fields {', '.join(_FIELDS)}")
        for name in ("tree_size", "timestamp"):
            if type(data[name]) is not int or data[name] < 0:
                raise ValueError(f"field {name} must be a non-negative integer")
        for name in ("key_id", "root_hash", "signature"):
            if not isinstance(data[name], str):
                raise ValueError(f"field {name} must be a hex string")
        try:
            root, signature = bytes.fromhex(data["root_hash"]), bytes.fromhex(data["signature"])
        except ValueError:
            raise ValueError("fields root_hash and signature must be hex") from None
        if len(root) != HASH_SIZE:
            raise ValueError("field root_hash must be 32 bytes")
        return cls(data["tree_size"], root, data["timestamp"], data["key_id"], signature)


@dataclass(frozen=True)
class HeadLine:
    """One line of the tree-heads file as read back: a head, or why it is not one."""

    line: int
    head: SignedTreeHead | None
    problem: str | None


def signed_message(tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
    return struct.pack(
        ">BBQQ", SIGNATURE_VERSION, TREE_HASH_SIGNATURE_TYPE, timestamp, tree_size
    ) + root_hash


def sign_head(
    key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, *, timestamp: int | None = None
) -> SignedTreeHead:
    when = timestamp if timestamp is not None else int(utc_now().timestamp() * 1000)
    signature = key.sign(signed_message(tree_size, root_hash, when))
    return SignedTreeHead(tree_size, root_hash, when, key_id(key.public_key()), signature)


def tree_heads_path(haven: Haven) -> Path:
    return haven.paths.ledger / TREE_HEADS_FILE


def append_head(haven: Haven, head: SignedTreeHead) -> None:
    """Append a head durably; the caller holds the ledger's writer lock."""
    append_line_to(tree_heads_path(haven), head.encode())


def read_heads(haven: Haven) -> tuple[list[HeadLine], bytes]:
    """Every complete line of the heads file, parsed, and the unterminated tail (if any)."""
    path = tree_heads_path(haven)
    if not path.exists():
        return [], b""
    *lines, tail = path.read_bytes().split(NEWLINE)
    return [_parse(number, raw) for number, raw in enumerate(lines, start=1)], tail


def latest_head(haven: Haven) -> SignedTreeHead | None:
    """The last well-formed head in the file (its signature is not checked here)."""
    heads, _ = read_heads(haven)
    for line in reversed(heads):
        if line.head is not None:
            return line.head
    return None


def _parse(number: int, raw: bytes) -> HeadLine:
    try:
        head = SignedTreeHead.from_json(json.loads(raw))
    except ValueError as problem:
        return HeadLine(number, None, f"not a tree head: {problem}")
    if head.encode() != raw:
        return HeadLine(number, None, "tree head is not in canonical form")
    return HeadLine(number, head, None)

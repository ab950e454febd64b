#!/usr/bin/env python3
# ruff: noqa: T201  (a command-line tool: printing is its output)
"""Check an OpenHaven ledger proof with nothing but the haven's public key.

Standalone on purpose: it uses only the Python standard library and ``cryptography``, and
shares no code with OpenHaven, so a reader who trusts neither the haven nor its software can
still read every line of what is being checked (docs/ledger.md describes the formats).

    python tools/verify_ledger_proof.py --public-key public-key.pem PROOF.json [...]
    python tools/verify_ledger_proof.py --key-history public-key-history.json PROOF.json [...]

With ``--key-history`` (the haven's published ``public-key-history.json``), a head is
accepted when its key id is in the history, the time it claims lies within that key's
validity, and the signature verifies: proofs signed before and after a key rotation both
check. A head signed by a retired key with a time after its retirement is refused.

Each PROOF.json is what ``openhaven ledger proof inclusion|consistency --json`` or
``openhaven ledger sign --json`` prints: an inclusion proof, a consistency proof, or a
bare signed tree head. Exit code 0 when every file verifies, 1 when any does not, 2 on
unusable input.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import struct
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class ProofFailed(Exception):
    """The proof is well formed but does not verify."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class ValidKey:
    """A public key and the times (ms since the epoch, inclusive) its signatures cover."""

    def __init__(self, public_key: Ed25519PublicKey, valid_from: int = 0,
                 valid_until: int | None = None) -> None:
        der = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key, self.key_id = public_key, hashlib.sha256(der).hexdigest()
        self.valid_from, self.valid_until = valid_from, valid_until


Keys = list[ValidKey]


def check_tree_head(head: dict[str, Any], keys: Keys) -> tuple[int, bytes]:
    """Check a head's key, its time and its Ed25519 signature (RFC 6962 layout)."""
    size, timestamp = int(head["tree_size"]), int(head["timestamp"])
    named = [key for key in keys if key.key_id == head["key_id"]]
    if not named:
        raise ProofFailed("the tree head was signed with a different key (not among those given)")
    key = named[0]
    if timestamp < key.valid_from:
        raise ProofFailed("the tree head claims a time before its key came into use")
    if key.valid_until is not None and timestamp > key.valid_until:
        raise ProofFailed("the tree head is signed by a key retired before the time it claims")
    public_key = key.public_key
    root = bytes.fromhex(head["root_hash"])
    message = struct.pack(">BBQQ", 0, 1, timestamp, size) + root
    try:
        public_key.verify(bytes.fromhex(head["signature"]), message)
    except InvalidSignature:
        raise ProofFailed("the tree head's signature does not verify") from None
    return size, root


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root that ``path`` leads to from ``leaf``."""
    if not 0 <= index < size:
        raise ProofFailed("the leaf index is outside the tree")
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise ProofFailed("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the inclusion proof is too short")
    return node


def roots_from_consistency(
    first: int, second: int, proof: list[bytes], first_root: bytes
) -> tuple[bytes, bytes]:
    """RFC 9162 section 2.1.4.2: the two roots that ``proof`` leads to."""
    if not 0 < first < second:
        raise ProofFailed("a consistency proof needs 0 < first < second")
    if not proof:
        raise ProofFailed("the consistency proof is empty")
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_node = second_node = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofFailed("the consistency proof is too long")
        if fn & 1 or fn == sn:
            first_node = node_hash(node, first_node)
            second_node = node_hash(node, second_node)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            second_node = node_hash(second_node, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the consistency proof is too short")
    return first_node, second_node


def check_inclusion(proof: dict[str, Any], keys: Keys) -> str:
    size, root = check_tree_head(proof["tree_head"], keys)
    if size != int(proof["tree_size"]):
        raise ProofFailed("the proof's tree size is not the signed head's")
    leaf = bytes.fromhex(proof["leaf_hash"])
    if "entry" in proof and leaf_hash(proof["entry"].encode()) != leaf:
        raise ProofFailed("the entry does not hash to the proof's leaf hash")
    index = int(proof["leaf_index"])
    path = [bytes.fromhex(node) for node in proof["audit_path"]]
    if not hmac.compare_digest(root_from_inclusion(index, size, leaf, path), root):
        raise ProofFailed("the inclusion proof does not lead to the signed root")
    return f"entry {index} is in the signed tree of {size} entries"


def check_consistency(proof: dict[str, Any], keys: Keys) -> str:
    first, first_root = check_tree_head(proof["first_tree_head"], keys)
    second, second_root = check_tree_head(proof["second_tree_head"], keys)
    if (first, second) != (int(proof["first"]), int(proof["second"])):
        raise ProofFailed("the proof's tree sizes are not the signed heads'")
    path = [bytes.fromhex(node) for node in proof["proof"]]
    if first == second:
        if path or not hmac.compare_digest(first_root, second_root):
            raise ProofFailed("two heads of one size must have one root and an empty proof")
    else:
        got_first, got_second = roots_from_consistency(first, second, path, first_root)
        if not (hmac.compare_digest(got_first, first_root)
                and hmac.compare_digest(got_second, second_root)):
            raise ProofFailed("the consistency proof does not lead to the signed roots")
    return f"the signed tree of {second} entries extends the signed tree of {first}"


def check_file(path: Path, keys: Keys) -> str:
    document = json.loads(path.read_text(encoding="utf-8"))
    kind = document.get("type", "tree_head" if "signature" in document else None)
    if kind == "inclusion":
        return check_inclusion(document, keys)
    if kind == "consistency":
        return check_consistency(document, keys)
    if kind == "tree_head":
        size, root = check_tree_head(document, keys)
        return f"signed tree head: {size} entries, root {root.hex()}"
    raise ValueError("not an inclusion proof, a consistency proof or a tree head")


def load_public_key(path: Path) -> Ed25519PublicKey:
    return public_key_from_pem(path.read_bytes())


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def load_key_history(path: Path) -> Keys:
    """The keys of a published key history, each checked against the key id it is listed by."""
    keys: Keys = []
    for item in json.loads(path.read_text(encoding="utf-8"))["keys"]:
        key = ValidKey(public_key_from_pem(item["public_key_pem"].encode("ascii")),
                       int(item["valid_from"]),
                       None if item["valid_until"] is None else int(item["valid_until"]))
        if key.key_id != item["key_id"]:
            raise ValueError("a key in the history is not the key its key_id names")
        keys.append(key)
    if not keys:
        raise ValueError("the key history lists no keys")
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    trust = parser.add_mutually_exclusive_group(required=True)
    trust.add_argument("--public-key", type=Path,
                       help="the haven's ledger public key (ledger/public-key.pem)")
    trust.add_argument("--key-history", type=Path,
                       help="the haven's key history (ledger/public-key-history.json)")
    parser.add_argument("proofs", type=Path, nargs="+", help="proof or tree head JSON files")
    args = parser.parse_args(argv)
    source = args.public_key or args.key_history
    try:
        keys = ([ValidKey(load_public_key(source))] if args.public_key
                else load_key_history(source))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as problem:
        print(f"UNUSABLE {source}: {problem}", file=sys.stderr)
        return 2
    worst = 0
    for path in args.proofs:
        try:
            print(f"OK {path}: {check_file(path, keys)}")
        except ProofFailed as failure:
            print(f"FAILED {path}: {failure}")
            worst = max(worst, 1)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as problem:
            print(f"UNUSABLE {path}: {type(problem).__name__}: {problem}", file=sys.stderr)
            worst = 2
    return worst


if __name__ == "__main__":
    sys.exit(main())

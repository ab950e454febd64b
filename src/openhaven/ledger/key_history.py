"""The public history of the haven's ledger keys: which key signed when.

After a rotation the haven signs with a new key, but heads, proofs and release manifests
signed earlier still name the old one. ``<home>/ledger/public-key-history.json`` lists every
public key the haven has signed with, oldest first, each with the span of time in which its
signatures are accepted (milliseconds since the Unix epoch, both ends included; the current
key has ``valid_until`` null)::

    {"keys": [{"key_id": "…", "public_key_pem": "-----BEGIN PUBLIC KEY-----…",
               "valid_from": 0, "valid_until": 1795428131412}, …]}

A signature is accepted when its key id is in the history, the time it claims lies within
that key's span, and it verifies under that key. A signature by a retired key dated after
its retirement is refused. Only public keys are kept here; retired private keys are
destroyed at rotation (ADR 0012).

Before the first rotation there is no file: the history is the one key, valid since 0.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openhaven.core.errors import ConfigurationError

HISTORY_FILE = "public-key-history.json"
_FIELDS = ("key_id", "public_key_pem", "valid_from", "valid_until")


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, hex: names the key in every signature."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class HistoricKey:
    """One public key and the span (ms since the epoch, inclusive) its signatures cover."""

    public_key: Ed25519PublicKey
    valid_from: int
    valid_until: int | None
    key_id: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", key_id(self.public_key))

    def covers(self, timestamp: int) -> bool:
        return self.valid_from <= timestamp and (
            self.valid_until is None or timestamp <= self.valid_until
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "public_key_pem": public_key_pem(self.public_key).decode("ascii"),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }


@dataclass(frozen=True)
class KeyHistory:
    """Every key the haven has signed with, oldest first; the last one is in force."""

    keys: tuple[HistoricKey, ...]

    @property
    def current(self) -> HistoricKey | None:
        return self.keys[-1] if self.keys else None

    def position(self, wanted: str) -> int | None:
        """Where the key named ``wanted`` stands in the history (0 = oldest), or None."""
        for number, key in enumerate(self.keys):
            if key.key_id == wanted:
                return number
        return None

    def refusal(self, named: str, timestamp: int, verifies: Callable[[Ed25519PublicKey], bool]
                ) -> str | None:
        """Why a signature naming key ``named`` and claiming ``timestamp`` is refused, or None."""
        number = self.position(named)
        if number is None:
            return "names a key that is not in the haven's key history"
        key = self.keys[number]
        if not key.covers(timestamp):
            if key.valid_until is not None and timestamp > key.valid_until:
                return "is signed by a key that was retired before the time it claims"
            return "claims a time before its key came into use"
        if not verifies(key.public_key):
            return "signature does not verify"
        return None

    def rotated(self, new_key: Ed25519PublicKey, at: int) -> KeyHistory:
        """The history with the current key retired at ``at`` and ``new_key`` valid from it."""
        current = self.current
        if current is None:
            return KeyHistory((HistoricKey(new_key, at, None),))
        retired = HistoricKey(current.public_key, current.valid_from, at)
        return KeyHistory((*self.keys[:-1], retired, HistoricKey(new_key, at, None)))

    def as_json(self) -> dict[str, Any]:
        return {"keys": [key.as_json() for key in self.keys]}

    def encode(self) -> bytes:
        return json.dumps(self.as_json(), sort_keys=True, indent=1).encode("ascii") + b"\n"

    @classmethod
    def from_json(cls, document: Any) -> KeyHistory:
        """Parse and check a history; ``ValueError`` says what is wrong with it."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError('a key history is an object with a "keys" list')
        keys: list[HistoricKey] = []
        for number, item in enumerate(document["keys"]):
            if not isinstance(item, dict) or sorted(item) != list(_FIELDS):
                raise ValueError(f"key {number} must have exactly the fields {', '.join(_FIELDS)}")
            public_key = load_public_pem(str(item["public_key_pem"]).encode("ascii"))
            if key_id(public_key) != item["key_id"]:
                raise ValueError(f"key {number}: key_id is not the SHA-256 of the key")
            valid_from, valid_until = item["valid_from"], item["valid_until"]
            if type(valid_from) is not int or not (
                valid_until is None or (type(valid_until) is int and valid_until >= valid_from)
            ):
                raise ValueError(f"key {number}: valid_from and valid_until must be times in "
                                 "milliseconds, valid_until not before valid_from")
            keys.append(HistoricKey(public_key, valid_from, valid_until))
        for before, after in itertools.pairwise(keys):
            if before.valid_until is None or before.valid_until != after.valid_from:
                raise ValueError("each key must be valid from the moment the one before it "
                                 "was retired")
        if not keys or keys[-1].valid_until is not None:
            raise ValueError("the last key in the history must be in force (valid_until null)")
        if len({key.key_id for key in keys}) != len(keys):
            raise ValueError("a key appears twice in the history")
        return cls(tuple(keys))


def load_public_pem(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def read_history_file(path: Path) -> KeyHistory | None:
    """The history stored at ``path``, None if there is none; ConfigurationError if broken."""
    if not path.exists():
        return None
    try:
        return KeyHistory.from_json(json.loads(path.read_bytes()))
    except (ValueError, UnicodeDecodeError) as problem:
        raise ConfigurationError(f"ledger/{HISTORY_FILE} is not a key history: {problem}") from None


def single_key_history(public_key: Ed25519PublicKey) -> KeyHistory:
    """The history of a haven that has never rotated: its one key, valid since 0."""
    return KeyHistory((HistoricKey(public_key, 0, None),))


def signature_verifier(signature: bytes, message: bytes) -> Callable[[Ed25519PublicKey], bool]:
    def verifies(public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return verifies

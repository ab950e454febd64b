"""Release manifests: what left the haven, signed so that anyone can check it later.

A manifest lists every released file with its SHA-256, the checks it passed (or the
exception the checkers accepted), who approved it and when. It is written as canonical JSON
(sorted keys, no spaces) and signed with the haven's Ed25519 key — the same key that signs
the ledger's tree heads (``openhaven.ledger.signing_key``), so one published public key
verifies both. The signature covers the manifest's exact bytes; the manifest covers each
file's bytes through its hash: change one byte anywhere and verification fails.

After a key rotation, verify with the haven's key history (``ledger/public-key-history.json``)
instead of a single key: a manifest is accepted when the key it names was in force at its
``released_at`` time, so releases signed before the rotation still verify, and one signed
by a retired key with a later date is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger.key_history import KeyHistory, key_id, single_key_history
from openhaven.ledger.signing_key import signing_key

MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"


def canonical_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sign_manifest(haven: Haven, manifest: dict[str, Any],
                  key: Ed25519PrivateKey | None = None) -> tuple[dict[str, Any], str]:
    """Name the signing key in the manifest, sign its canonical bytes; return both.

    Pass the ``key`` from ``ledger.key_rotation.signing_moment`` when the manifest is dated.
    """
    key = key or signing_key(haven)
    signed = {**manifest, "key_id": key_id(key.public_key())}
    return signed, key.sign(canonical_bytes(signed)).hex()


def write_manifest(folder: Path, manifest: dict[str, Any], signature: str) -> None:
    (folder / MANIFEST_FILE).write_bytes(canonical_bytes(manifest))
    (folder / SIGNATURE_FILE).write_text(signature + "\n", encoding="ascii")


@dataclass
class ManifestCheck:
    """The outcome of verifying a released folder: ``valid`` only when nothing is wrong."""

    folder: str
    problems: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "valid": self.valid, "files": self.files,
                "problems": self.problems}


def load_public_key(path: Path) -> Ed25519PublicKey | KeyHistory:
    """A PEM public key, or a key history (JSON, as the haven publishes it)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise InvalidInput("not a readable PEM public key", Location(file=path.name)) from None
    if data.lstrip().startswith(b"{"):
        try:
            return KeyHistory.from_json(json.loads(data))
        except (ValueError, UnicodeDecodeError) as problem:
            raise InvalidInput(f"not a key history: {problem}",
                               Location(file=path.name)) from None
    try:
        key = serialization.load_pem_public_key(data)
    except (OSError, ValueError):
        raise InvalidInput("not a readable PEM public key", Location(file=path.name)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("the public key is not an Ed25519 key", Location(file=path.name))
    return key


def verify_release_folder(
    folder: Path, keys: Ed25519PublicKey | KeyHistory
) -> ManifestCheck:
    """Check the signature on ``manifest.json`` and every listed file's hash and size.

    ``keys`` is the haven's public key, or its key history: then the key the manifest names
    must have been in force at the manifest's ``released_at``.
    """
    check = ManifestCheck(str(folder))
    manifest_path, signature_path = folder / MANIFEST_FILE, folder / SIGNATURE_FILE
    if not manifest_path.is_file() or not signature_path.is_file():
        check.problems.append(f"{MANIFEST_FILE} or {SIGNATURE_FILE} is missing")
        return check
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
        entries = list(manifest["files"])
    except (ValueError, KeyError, TypeError):
        manifest, entries = None, []
    history = keys if isinstance(keys, KeyHistory) else single_key_history(keys)
    check.problems.extend(_signature_problems(history, manifest, body, signature_path))
    if manifest is None:
        check.problems.append("the manifest is not a release manifest")
        return check
    listed = {str(entry.get("name", "")) for entry in entries}
    for extra in sorted(p.name for p in folder.iterdir()
                        if p.name not in listed | {MANIFEST_FILE, SIGNATURE_FILE}):
        check.problems.append(f"{extra}: in the folder but not in the manifest")
    for entry in entries:
        name = str(entry.get("name", ""))
        path = folder / name
        if Path(name).name != name or not path.is_file():
            check.problems.append(f"{name}: missing")
            continue
        check.files += 1
        if path.stat().st_size != entry.get("size") or file_sha256(path) != entry.get("sha256"):
            check.problems.append(f"{name}: its bytes do not match the manifest")
    return check


def _signature_problems(
    history: KeyHistory, manifest: Any, body: bytes, signature_path: Path
) -> list[str]:
    try:
        signature = bytes.fromhex(signature_path.read_text("ascii").strip())
    except (ValueError, UnicodeDecodeError):
        return ["the signature does not match the manifest"]
    named = manifest.get("key_id") if isinstance(manifest, dict) else None
    position = history.position(named) if isinstance(named, str) else None
    if position is None:
        # Report as before: a bad signature under the key in force, and the wrong key named.
        current = history.current
        verifies = current is not None and _verifies(current.public_key, signature, body)
        problems = [] if verifies else ["the signature does not match the manifest"]
        return [*problems, "the manifest names another signing key"]
    key = history.keys[position]
    problems = []
    if not _verifies(key.public_key, signature, body):
        problems.append("the signature does not match the manifest")
    released = _released_at_ms(manifest)
    if key.valid_until is not None or key.valid_from > 0:
        if released is None:
            problems.append("the manifest has no valid released_at time to check its key against")
        elif not key.covers(released):
            problems.append("the manifest is signed by a key that was not in force at its "
                            "released_at time")
    return problems


def _verifies(public_key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        return False
    return True


def _released_at_ms(manifest: dict[str, Any]) -> int | None:
    try:
        when = datetime.fromisoformat(str(manifest["released_at"]))
    except (KeyError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return int(when.timestamp() * 1000)

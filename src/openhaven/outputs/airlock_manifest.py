"""Release manifests: what left the haven, signed so that anyone can check it later.

A manifest lists every released file with its SHA-256, the checks it passed (or the
exception the checkers accepted), who approved it and when. It is written as canonical JSON
(sorted keys, no spaces) and signed with the haven's Ed25519 key — the same key that signs
the ledger's tree heads (``openhaven.ledger.signing_key``), so one published public key
verifies both. The signature covers the manifest's exact bytes; the manifest covers each
file's bytes through its hash: change one byte anywhere and verification fails.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger.signing_key import key_id, signing_key

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


def sign_manifest(haven: Haven, manifest: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Name the signing key in the manifest, sign its canonical bytes; return both."""
    key = signing_key(haven)
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


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        raise InvalidInput("not a readable PEM public key", Location(file=path.name)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("the public key is not an Ed25519 key", Location(file=path.name))
    return key


def verify_release_folder(folder: Path, public_key: Ed25519PublicKey) -> ManifestCheck:
    """Check the signature on ``manifest.json`` and every listed file's hash and size."""
    check = ManifestCheck(str(folder))
    manifest_path, signature_path = folder / MANIFEST_FILE, folder / SIGNATURE_FILE
    if not manifest_path.is_file() or not signature_path.is_file():
        check.problems.append(f"{MANIFEST_FILE} or {SIGNATURE_FILE} is missing")
        return check
    body = manifest_path.read_bytes()
    try:
        public_key.verify(bytes.fromhex(signature_path.read_text("ascii").strip()), body)
    except (InvalidSignature, ValueError, UnicodeDecodeError):
        check.problems.append("the signature does not match the manifest")
    try:
        manifest = json.loads(body)
        entries = list(manifest["files"])
    except (ValueError, KeyError, TypeError):
        check.problems.append("the manifest is not a release manifest")
        return check
    if manifest.get("key_id") != key_id(public_key):
        check.problems.append("the manifest names another signing key")
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

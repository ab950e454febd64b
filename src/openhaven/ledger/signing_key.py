"""The haven's ledger signing key: Ed25519, created on first use, private to the custodian.

The private key lives in ``<home>/keys/ledger-signing.key`` (PKCS#8 PEM, mode 0600, never
world-readable even for an instant); its public half is exported to
``<home>/ledger/public-key.pem`` so that anyone given it can check tree heads and proofs.

When the ledger is verified inside the haven, the key it trusts is the one derived from the
private key, not the exported file: whoever could rewrite the ledger folder could also swap
that file for a key of their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.ledger.log_file import fsync_directory, write_atomically

SIGNING_KEY_FILE = "ledger-signing.key"
PUBLIC_KEY_FILE = "public-key.pem"


def signing_key_path(haven: Haven) -> Path:
    return haven.paths.keys / SIGNING_KEY_FILE


def public_key_path(haven: Haven) -> Path:
    return haven.paths.ledger / PUBLIC_KEY_FILE


def signing_key(haven: Haven) -> Ed25519PrivateKey:
    """The haven's signing key, created (and its public half exported) on first use."""
    path = signing_key_path(haven)
    if not path.exists():
        _create(path)
    key = _load_private(path)
    if not public_key_path(haven).exists():
        export_public_key(haven, key.public_key())
    return key


def trusted_public_key(haven: Haven) -> Ed25519PublicKey | None:
    """The key that tree heads must be signed with: the private key's, else the exported one."""
    path = signing_key_path(haven)
    if path.exists():
        return _load_private(path).public_key()
    return exported_public_key(haven)


def exported_public_key(haven: Haven) -> Ed25519PublicKey | None:
    path = public_key_path(haven)
    if not path.exists():
        return None
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError:
        raise ConfigurationError(f"ledger/{PUBLIC_KEY_FILE} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(f"ledger/{PUBLIC_KEY_FILE} is not an Ed25519 key")
    return key


def export_public_key(haven: Haven, public_key: Ed25519PublicKey) -> Path:
    path = public_key_path(haven)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, public_key_pem(public_key))
    os.chmod(path, 0o644)
    return path


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, hex: names the key in every tree head."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place: concurrent first uses agree."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


def _load_private(path: Path) -> Ed25519PrivateKey:
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(
            "The ledger signing key file must be readable by its owner only (chmod 600)."
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise ConfigurationError(f"keys/{SIGNING_KEY_FILE} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"keys/{SIGNING_KEY_FILE} is not an Ed25519 key")
    return key

"""The haven's ledger signing key: Ed25519, created on first use, private to the custodian.

The private key lives in ``<home>/keys/ledger-signing.key`` (PKCS#8 PEM, mode 0600, never
world-readable even for an instant); its public half is exported to
``<home>/ledger/public-key.pem`` so that anyone given it can check tree heads and proofs.

When the ledger is verified inside the haven, the key it trusts is the one derived from the
private key, not the exported file: whoever could rewrite the ledger folder could also swap
that file for a key of their own.

A rotation (``key_rotation``) writes the new private key to ``ledger-signing.key.next``,
then commits by replacing ``ledger/public-key-history.json``, then moves the new key into
place. ``signing_key`` finishes a rotation that stopped after its commit; a pending key the
history does not name is a rotation that never took effect, and is ignored.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.ledger.key_history import (
    HISTORY_FILE,
    KeyHistory,
    key_id,
    public_key_pem,
    read_history_file,
    single_key_history,
)
from openhaven.ledger.log_file import fsync_directory, write_atomically

SIGNING_KEY_FILE = "ledger-signing.key"
PENDING_KEY_FILE = "ledger-signing.key.next"
PUBLIC_KEY_FILE = "public-key.pem"

__all__ = [
    "HISTORY_FILE", "PUBLIC_KEY_FILE", "SIGNING_KEY_FILE", "export_public_key",
    "exported_public_key", "history_path", "key_history", "key_id", "public_key_path",
    "public_key_pem", "rotation_unfinished", "signing_key", "signing_key_path",
    "trusted_public_key",
]


def signing_key_path(haven: Haven) -> Path:
    return haven.paths.keys / SIGNING_KEY_FILE


def pending_key_path(haven: Haven) -> Path:
    return haven.paths.keys / PENDING_KEY_FILE


def public_key_path(haven: Haven) -> Path:
    return haven.paths.ledger / PUBLIC_KEY_FILE


def history_path(haven: Haven) -> Path:
    return haven.paths.ledger / HISTORY_FILE


def signing_key(haven: Haven) -> Ed25519PrivateKey:
    """The haven's signing key, created (and its public half exported) on first use."""
    path = signing_key_path(haven)
    _finish_committed_rotation(haven)
    if not path.exists():
        _create(path)
    key = _load_private(path)
    if not public_key_path(haven).exists():
        export_public_key(haven, key.public_key())
    return key


def trusted_public_key(haven: Haven) -> Ed25519PublicKey | None:
    """The key in force: the private key's (or a committed pending one's), else the exported.

    Reads only: a rotation that stopped after its commit is finished by the next signing.
    """
    committed = _committed_pending_key(haven)
    if committed is not None:
        return committed.public_key()
    path = signing_key_path(haven)
    if path.exists():
        return _load_private(path).public_key()
    return exported_public_key(haven)


def key_history(haven: Haven) -> KeyHistory:
    """The published key history: the stored file, else the one key in force since 0."""
    stored = read_history_file(history_path(haven))
    if stored is not None:
        return stored
    key = trusted_public_key(haven)
    return KeyHistory(()) if key is None else single_key_history(key)


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` to ``path`` (PKCS#8 PEM, 0600 from the start), fsynced; replaces any."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(_private_pem(key))
        handle.flush()
        os.fsync(handle.fileno())
    fsync_directory(path.parent)


def install_pending_key(haven: Haven) -> None:
    """Export the committed pending key's public half, then move the key into place (the old
    private key is gone): a crash between the two leaves the rotation visibly unfinished."""
    pending, path = pending_key_path(haven), signing_key_path(haven)
    try:
        key = _load_private(pending)
    except FileNotFoundError:  # another process finished it first
        return
    export_public_key(haven, key.public_key())
    with contextlib.suppress(FileNotFoundError):  # another process finished it first
        os.replace(pending, path)
    fsync_directory(path.parent)


def rotation_unfinished(haven: Haven) -> bool:
    """A rotation committed its key history but stopped before moving the new key in place."""
    return _committed_pending_key(haven) is not None


def _committed_pending_key(haven: Haven) -> Ed25519PrivateKey | None:
    """The pending key if the history already names it as the key in force."""
    pending = pending_key_path(haven)
    if not pending.exists():
        return None
    history = read_history_file(history_path(haven))
    current = None if history is None else history.current
    if current is None:
        return None
    try:
        key = _load_private(pending)
    except (FileNotFoundError, ConfigurationError):
        return None  # gone, or torn by a crash before the commit: never in force
    return key if current.key_id == key_id(key.public_key()) else None


def _finish_committed_rotation(haven: Haven) -> None:
    if _committed_pending_key(haven) is not None:
        install_pending_key(haven)


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


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place: concurrent first uses agree."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = _private_pem(Ed25519PrivateKey.generate())
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

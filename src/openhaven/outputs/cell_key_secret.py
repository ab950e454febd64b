"""The haven's cell-key secret: where record keys for the cell key method come from.

The cell key method needs every record's key to be permanent inside the haven (the same
cell always gets the same noise, so asking again averages nothing away) and impossible to
compute outside it (else anyone could subtract the noise). Both follow from deriving the
secret from the custodian's master key with HKDF-SHA256 under its own label — the way
project pseudonym keys are derived (``provisioning.pseudonym.project_key``), with a
different label, so the secret is unrelated to any pseudonym key and changes only if the
master key does. It is never a constant in code, never written to disk, never logged.

A haven with no master key configured has no secret: ``Haven.master_key`` raises
``ConfigurationError`` (there is no fallback key).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openhaven.core.haven import Haven

CELL_KEY_INFO = b"openhaven/cell-key-record-keys/v1"
_SALT = b"openhaven-cell-key-salt-v1"


def derive_cell_key_secret(master_key: bytes) -> bytes:
    """The 32-byte record-key secret for the haven whose master key is ``master_key``."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
                info=CELL_KEY_INFO).derive(master_key)


def cell_key_secret(haven: Haven) -> bytes:
    """The haven's record-key secret (ConfigurationError when it has no master key)."""
    return derive_cell_key_secret(haven.master_key())

"""Keyed, per-project pseudonyms.

Each project gets its own key, derived with HKDF-SHA256 from the custodian's master key and
the project reference; a patient's pseudonym is HMAC-SHA256 of their NHS number under that
key. So the same patient has the same pseudonym in every refresh of one project, and
pseudonyms in two projects cannot be linked without the master key. Records without an NHS
number (e.g. ingested from outside England) are keyed on their source patient id instead.
See docs/decisions/0003-keyed-pseudonyms.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PSEUDONYM_HEX_CHARS = 24  # 96 bits: collision-free in practice at national scale
_INFO_PREFIX = b"openhaven/project-pseudonym/v1/"
_SALT = b"openhaven-pseudonym-salt-v1"


def project_key(master_key: bytes, project_reference: str) -> bytes:
    """The project's 32-byte pseudonymisation key."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=_SALT,
        info=_INFO_PREFIX + project_reference.encode("utf-8"),
    ).derive(master_key)


def patient_token(nhs_number: str | None, patient_id: str) -> bytes:
    """What a pseudonym is computed over: the NHS number, or the source id when there is none."""
    if nhs_number:
        return b"nhs:" + nhs_number.encode("ascii")
    return b"pid:" + patient_id.encode("utf-8")


def pseudonymise(key: bytes, token: bytes) -> str:
    return hmac.new(key, token, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonymise_many(key: bytes, tokens: Iterable[bytes]) -> list[str]:
    """Pseudonyms for many tokens; one HMAC object copied per token to skip re-keying."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for token in tokens:
        mac = base.copy()
        mac.update(token)
        out.append(mac.hexdigest()[:PSEUDONYM_HEX_CHARS])
    return out


def membership_digest(pseudonyms: Iterable[str]) -> str:
    """SHA-256 over the sorted pseudonyms: a fingerprint of exactly who is in an extract."""
    digest = hashlib.sha256()
    for value in sorted(pseudonyms):
        digest.update(value.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()

"""Keyed, per-project pseudonyms, with key epochs for rotation.

Each project gets its own key, derived with HKDF-SHA256 from the custodian's master key, the
project reference and the project's key epoch; a patient's pseudonym is HMAC-SHA256 of their
NHS number under that key. So the same patient has the same pseudonym in every refresh of one
project within one epoch, and pseudonyms in two projects (or two epochs) cannot be linked
without the master key. Records without an NHS number (e.g. ingested from outside England) are
keyed on their source patient id instead.

Epoch 1 is the original derivation, so extracts made before rotation existed keep their
pseudonyms. Rotating a project's key moves it to the next epoch: every later extract gets new
pseudonyms (see docs/decisions/0003-keyed-pseudonyms.md and
0007-key-epochs-and-reidentification.md).

The same HMAC also yields the patient's date-shift offset: the pseudonym shows the first 96
bits, the offset is taken from the next 32, which the extract never shows. One HMAC per
patient, two independent-looking values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PSEUDONYM_HEX_CHARS = 24  # 96 bits: collision-free in practice at national scale
_OFFSET_HEX_CHARS = 8  # the 32 bits after the pseudonym's
FIRST_EPOCH = 1
_INFO_PREFIX = b"openhaven/project-pseudonym/v1/"
_SALT = b"openhaven-pseudonym-salt-v1"


def project_key(master_key: bytes, project_reference: str, epoch: int = FIRST_EPOCH) -> bytes:
    """The project's 32-byte pseudonymisation key for ``epoch`` (1 unless rotated)."""
    if epoch < FIRST_EPOCH:
        raise ValueError("key epochs start at 1")
    info = _INFO_PREFIX + project_reference.encode("utf-8")
    if epoch > FIRST_EPOCH:
        info += b"/epoch/" + str(epoch).encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(master_key)


def patient_token(nhs_number: str | None, patient_id: str) -> bytes:
    """What a pseudonym is computed over: the NHS number, or the source id when there is none."""
    if nhs_number:
        return b"nhs:" + nhs_number.encode("ascii")
    return b"pid:" + patient_id.encode("utf-8")


def pseudonymise(key: bytes, token: bytes) -> str:
    return hmac.new(key, token, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonymise_many(key: bytes, tokens: Iterable[bytes]) -> list[str]:
    """Pseudonyms for many tokens; one HMAC object copied per token to skip re-keying."""
    return pseudonyms_and_offsets(key, tokens)[0]


def pseudonyms_and_offsets(key: bytes, tokens: Iterable[bytes]) -> tuple[list[str], list[int]]:
    """Each token's pseudonym and its unsigned 32-bit date-shift seed, from one HMAC."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    pseudonyms: list[str] = []
    offsets: list[int] = []
    end = PSEUDONYM_HEX_CHARS + _OFFSET_HEX_CHARS
    for token in tokens:
        mac = base.copy()
        mac.update(token)
        digest = mac.hexdigest()
        pseudonyms.append(digest[:PSEUDONYM_HEX_CHARS])
        offsets.append(int(digest[PSEUDONYM_HEX_CHARS:end], 16))
    return pseudonyms, offsets


def membership_digest(pseudonyms: Iterable[str]) -> str:
    """SHA-256 over the sorted pseudonyms: a fingerprint of exactly who is in an extract."""
    digest = hashlib.sha256()
    for value in sorted(pseudonyms):
        digest.update(value.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()

"""Pseudonymisation key rotation and custodian re-identification.

Rotation moves one project to its next key epoch: every extract made afterwards carries new
pseudonyms, unlinkable to the old ones without the master key. Earlier epochs stay derivable
(from the master key), so a custodian can still re-identify a pseudonym from an older extract;
the master key itself is never rotated here, because every project's derivation hangs from it
(see docs/decisions/0007-key-epochs-and-reidentification.md).

Re-identification (pseudonym -> NHS number) is the one way back. It needs a recorded reason,
is written to the re-identification log and to the audit ledger (naming the patient only by
their ledger reference), and returns the NHS number to the caller alone. Callers must be the
custodian (``custodian_admin``); the CLI runs as the custodian on the haven's own host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.governance import service as governance
from openhaven.ledger import patient_reference, record_event
from openhaven.provisioning import repository
from openhaven.provisioning.pseudonym import (
    FIRST_EPOCH,
    PSEUDONYM_HEX_CHARS,
    patient_token,
    project_key,
    pseudonymise_many,
)

MIN_REASON_CHARS = 10
_PSEUDONYM = re.compile(rf"^[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}$")
_DIGIT_RUN = re.compile(r"\d[\d -]{8,}\d")


def current_epoch(session: Session, project_id: int) -> int:
    return repository.latest_key_epoch(session, project_id) or FIRST_EPOCH


def current_project_key(session: Session, haven: Haven, reference: str) -> tuple[bytes, int]:
    """The key new extracts of ``reference`` are pseudonymised under, and its epoch."""
    project = governance.get_project(session, reference)
    epoch = current_epoch(session, project.id)
    return project_key(haven.master_key(), reference, epoch), epoch


def rotate_key(session: Session, haven: Haven, reference: str, *, actor: str,
               reason: str) -> int:
    """Move ``reference`` to its next key epoch and record why; returns the new epoch."""
    _check_reason(reason)
    project = governance.get_project(session, reference)
    epoch = current_epoch(session, project.id) + 1
    repository.record_key_epoch(session, project_id=project.id, epoch=epoch,
                                created_at=utc_now(), created_by=actor, reason=reason)
    record_event(haven, "pseudonym_key.rotated", actor=actor, subject=reference,
                 details={"epoch": epoch, "reason": reason})
    return epoch


@dataclass(frozen=True)
class Reidentified:
    """The answer to one re-identification: for the custodian's eyes only, never logged."""

    project: str
    pseudonym: str
    found: bool
    key_epoch: int | None
    nhs_number: str | None
    patient_id: str | None


def reidentify(session: Session, haven: Haven, reference: str, pseudonym: str, *,
               actor: str, reason: str) -> Reidentified:
    """Find who ``pseudonym`` is in ``reference``, in any of its key epochs, and record it."""
    _check_reason(reason)
    pseudonym = pseudonym.strip().lower()
    if not _PSEUDONYM.match(pseudonym):
        raise InvalidInput(
            f"A pseudonym is {PSEUDONYM_HEX_CHARS} hexadecimal characters",
            Location(field="pseudonym"),
        )
    project = governance.get_project(session, reference)
    latest = current_epoch(session, project.id)
    match: tuple[int, str | None, str] | None = None
    with open_session(haven.paths.record_store, read_only=True) as store:
        patients = store.query("SELECT patient_id, nhs_number FROM patients ORDER BY patient_id")
    ids = patients.column("patient_id").to_pylist()
    numbers = patients.column("nhs_number").to_pylist()
    tokens = [patient_token(n, p) for n, p in zip(numbers, ids, strict=True)]
    for epoch in range(latest, FIRST_EPOCH - 1, -1):
        key = project_key(haven.master_key(), reference, epoch)
        candidates = pseudonymise_many(key, tokens)
        found = pc.index(pa.array(candidates), pseudonym).as_py()
        if found >= 0:
            match = (epoch, numbers[found], ids[found])
            break
    repository.record_reidentification(
        session, project_id=project.id, pseudonym=pseudonym,
        key_epoch=match[0] if match else None, found=match is not None, reason=reason,
        requested_by=actor, requested_at=utc_now(),
    )
    details: dict[str, object] = {"pseudonym": pseudonym, "reason": reason,
                                  "found": match is not None}
    if match is not None:
        details["key_epoch"] = match[0]
        details["patient"] = patient_reference(haven, match[1] or f"pid:{match[2]}")
    record_event(haven, "pseudonym.reidentified", actor=actor, subject=reference,
                 details=details)
    return Reidentified(reference, pseudonym, match is not None,
                        match[0] if match else None, match[1] if match else None,
                        match[2] if match else None)


def _check_reason(reason: str) -> None:
    text = reason.strip()
    if len(text) < MIN_REASON_CHARS:
        raise InvalidInput(
            f"A reason of at least {MIN_REASON_CHARS} characters is required",
            Location(field="reason"),
        )
    if _DIGIT_RUN.search(text):
        raise InvalidInput(
            "The reason may not hold a long number (it is written to the audit log; "
            "name the case, not the patient)",
            Location(field="reason"),
        )


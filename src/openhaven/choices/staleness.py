"""Extracts go stale when choices change after their snapshot; custodian and project are told.

Each extract records the hash of the NHS numbers withheld from it. After choices change,
``flag_stale_extracts`` recomputes, for every project with a current extract, what would be
withheld now; where the hash differs, the extract is marked stale, a refresh notice is left
for the custodian and for the project, and the ledger records it (counts and versions only).
A refresh (the next provisioning) then applies the new choices.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import repository
from openhaven.choices.enforcement import choices_for_project
from openhaven.choices.models import RefreshNotice
from openhaven.choices.policy import load_policy
from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.provisioning import repository as extracts
from openhaven.provisioning.models import ExtractStatus

RECIPIENTS = ("custodian", "project")


def flag_stale_extracts(
    session: Session, haven: Haven, *, actor: str, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Mark stale every current extract whose choices snapshot no longer holds at ``at``."""
    moment = at or utc_now()
    current = [e for e in extracts.list_extracts(session) if e.status == ExtractStatus.CURRENT]
    if not current:
        return []
    policy = load_policy(haven)
    hashes: dict[int, str] = {}
    flagged: list[dict[str, Any]] = []
    for extract in current:
        project = repository.project_by_id(session, extract.project_id)
        if project is None:
            continue
        if project.id not in hashes:
            applied = choices_for_project(session, haven, project, at=moment, policy=policy)
            hashes[project.id] = applied.snapshot_hash
        if hashes[project.id] == extract.choices_snapshot_hash:
            continue
        extracts.set_extract_status(session, extract, ExtractStatus.STALE.value)
        message = (
            f"Patients' choices changed after extract v{extract.version} of "
            f"{project.reference} was made: it is stale and a refresh is due."
        )
        for recipient in RECIPIENTS:
            repository.add_row(session, RefreshNotice(
                project_id=project.id, extract_id=extract.id, recipient=recipient,
                message=message, created_at=utc_now()))
        record_event(
            haven, "extract.marked_stale", actor=actor, subject=project.reference,
            details={"version": extract.version, "reason": "patient choices changed",
                     "notified": list(RECIPIENTS)},
        )
        flagged.append({"project": project.reference, "version": extract.version})
    return flagged


def refresh_notices(session: Session, *, project_id: int | None = None) -> list[dict[str, Any]]:
    """Refresh notices, newest first, for one project or all."""
    return [
        {"project_id": n.project_id, "extract_id": n.extract_id, "recipient": n.recipient,
         "message": n.message, "created_at": n.created_at.isoformat()}
        for n in repository.refresh_notices(session, project_id=project_id)
    ]

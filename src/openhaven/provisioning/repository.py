"""Storage of extract records: the only session use for the ``extracts`` table.

JSON fields (``row_counts``) may be given as a mapping or as JSON text; both are stored the
same way. Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location, NotFound
from openhaven.provisioning.models import (
    Extract,
    ExtractStatus,
    PseudonymKeyEpoch,
    Reidentification,
)

JSON_FIELDS = ("row_counts",)


def record_extract(session: Session, **fields: Any) -> Extract:
    """Add an extract record and flush it; ``version`` defaults to the project's next one."""
    values = _decoded(fields, JSON_FIELDS)
    if values.get("version") is None:
        values["version"] = next_version(session, values["project_id"])
    extract = Extract(**values)
    session.add(extract)
    session.flush()
    return extract


def next_version(session: Session, project_id: int) -> int:
    statement = select(func.max(Extract.version)).where(Extract.project_id == project_id)
    return int(session.scalar(statement) or 0) + 1


def latest_extract(session: Session, project_id: int) -> Extract | None:
    """The project's highest-numbered extract, whatever its status, or None."""
    statement = (
        select(Extract)
        .where(Extract.project_id == project_id)
        .order_by(Extract.version.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


def get_extract(session: Session, extract_id: int) -> Extract:
    extract = session.get(Extract, extract_id)
    if extract is None:
        raise NotFound(f"No extract {extract_id}")
    return extract


def list_extracts(session: Session, project_id: int | None = None) -> list[Extract]:
    """Extracts in order of project and version, for one project or all."""
    statement = select(Extract).order_by(Extract.project_id, Extract.version)
    if project_id is not None:
        statement = statement.where(Extract.project_id == project_id)
    return list(session.scalars(statement))


def set_extract_status(session: Session, extract: Extract, status: str) -> Extract:
    """Mark an extract current, stale (superseded) or destroyed (its files deleted)."""
    try:
        extract.status = ExtractStatus(status)
    except ValueError:
        allowed = ", ".join(member.value for member in ExtractStatus)
        raise InvalidInput(f"status must be one of: {allowed}", Location(field="status")) from None
    session.flush()
    return extract


def latest_key_epoch(session: Session, project_id: int) -> int | None:
    """The project's highest recorded key epoch, or None when it was never rotated."""
    statement = select(func.max(PseudonymKeyEpoch.epoch)).where(
        PseudonymKeyEpoch.project_id == project_id
    )
    latest = session.scalar(statement)
    return None if latest is None else int(latest)


def record_key_epoch(session: Session, **fields: Any) -> PseudonymKeyEpoch:
    epoch = PseudonymKeyEpoch(**fields)
    session.add(epoch)
    session.flush()
    return epoch


def record_reidentification(session: Session, **fields: Any) -> Reidentification:
    entry = Reidentification(**fields)
    session.add(entry)
    session.flush()
    return entry


def list_reidentifications(session: Session, project_id: int) -> list[Reidentification]:
    statement = (
        select(Reidentification)
        .where(Reidentification.project_id == project_id)
        .order_by(Reidentification.id)
    )
    return list(session.scalars(statement))


def _decoded(fields: dict[str, Any], json_fields: tuple[str, ...]) -> dict[str, Any]:
    values = dict(fields)
    for name in json_fields:
        if isinstance(values.get(name), str | bytes):
            try:
                values[name] = json.loads(values[name])
            except ValueError:
                raise InvalidInput(f"{name} is not valid JSON", Location(field=name)) from None
    return values

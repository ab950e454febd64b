"""Storage of outputs: the only session use for the ``outputs`` table.

JSON fields (``result``, ``checks``) may be given as Python values or as JSON text; both are
stored the same way and read back decoded. Nothing here commits: the caller's unit of work
does.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location, NotFound
from openhaven.outputs.models import Output, OutputStatus

JSON_FIELDS = ("result", "checks")


def record_output(session: Session, **fields: Any) -> Output:
    """Add an output record and flush it so its id exists."""
    values = dict(fields)
    for name in JSON_FIELDS:
        if isinstance(values.get(name), str | bytes):
            try:
                values[name] = json.loads(values[name])
            except ValueError:
                raise InvalidInput(f"{name} is not valid JSON", Location(field=name)) from None
    output = Output(**values)
    session.add(output)
    session.flush()
    return output


def get_output(session: Session, output_id: int) -> Output:
    output = session.get(Output, output_id)
    if output is None:
        raise NotFound(f"No output {output_id}")
    return output


def list_outputs(session: Session, project_id: int | None = None) -> list[Output]:
    """Outputs in the order they were made, for one project or all."""
    statement = select(Output).order_by(Output.id)
    if project_id is not None:
        statement = statement.where(Output.project_id == project_id)
    return list(session.scalars(statement))


def set_output_status(session: Session, output: Output, status: str) -> Output:
    """Move an output to checked, released or withdrawn (the airlock decides when)."""
    try:
        output.status = OutputStatus(status)
    except ValueError:
        allowed = ", ".join(member.value for member in OutputStatus)
        raise InvalidInput(f"status must be one of: {allowed}", Location(field="status")) from None
    session.flush()
    return output


# -- the airlock's release requests (openhaven.outputs.airlock decides what they may do) --

def add_release_records(session: Session, *records: object) -> None:
    """Add release requests, items or reviews and flush so their ids exist."""
    session.add_all(records)
    session.flush()


def save_release_changes(session: Session, *changed: object) -> None:
    """Flush changes to release records and reload ``changed`` (their items and votes)."""
    session.flush()
    for record in changed:
        session.refresh(record)


def get_release_request(session: Session, request_id: int) -> Any:
    from openhaven.outputs.airlock_models import ReleaseRequest

    return session.get(ReleaseRequest, request_id)


def release_requests(session: Session, *, project_id: int | None = None,
                     status: str | None = None) -> list[Any]:
    """Release requests oldest first, for one project and/or in one state."""
    from openhaven.outputs.airlock_models import ReleaseRequest

    statement = select(ReleaseRequest).order_by(ReleaseRequest.id)
    if project_id is not None:
        statement = statement.where(ReleaseRequest.project_id == project_id)
    if status is not None:
        statement = statement.where(ReleaseRequest.status == status)
    return list(session.scalars(statement))


def release_tables(session: Session, *, project_id: int, released_only: bool = False,
                   request_id: int | None = None) -> list[tuple[Any, Any]]:
    """(table, item) pairs of a project's requested tables, oldest first.

    ``released_only``: only tables whose request was released; ``request_id``: only that
    request's tables.
    """
    from openhaven.outputs.airlock_models import ReleaseItem, ReleaseRequest, ReleaseTable

    statement = (select(ReleaseTable, ReleaseItem)
                 .join(ReleaseItem, ReleaseTable.item_id == ReleaseItem.id)
                 .join(ReleaseRequest, ReleaseItem.request_id == ReleaseRequest.id)
                 .where(ReleaseTable.project_id == project_id)
                 .order_by(ReleaseTable.id))
    if released_only:
        statement = statement.where(ReleaseRequest.status == "released")
    if request_id is not None:
        statement = statement.where(ReleaseItem.request_id == request_id)
    return [(row[0], row[1]) for row in session.execute(statement)]

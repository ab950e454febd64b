"""Storage of choice events: the only session use for them, and append-only by design.

There is deliberately no function here that updates or deletes an event (a test checks),
and the database itself refuses UPDATE and DELETE on the table. The state at an instant is
derived in SQL: for each patient, the latest event in effect by then (ties broken by the
order of recording) decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from openhaven.choices.models import ChoiceEvent, ChoiceValue


def add_event(session: Session, event: ChoiceEvent) -> ChoiceEvent:
    """Append one event and flush it so its id exists."""
    session.add(event)
    session.flush()
    return event


def add_events(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Append many events in one statement per batch; rows hold column values."""
    if rows:
        session.execute(insert(ChoiceEvent), list(rows))
    return len(rows)


def events_for_patient(session: Session, nhs_number: str) -> list[ChoiceEvent]:
    """One patient's events in the order they take effect."""
    statement = (
        select(ChoiceEvent)
        .where(ChoiceEvent.nhs_number == nhs_number)
        .order_by(ChoiceEvent.effective_at, ChoiceEvent.id)
    )
    return list(session.scalars(statement))


def all_events(session: Session) -> list[ChoiceEvent]:
    """Every event in the order of recording (by id)."""
    return list(session.scalars(select(ChoiceEvent).order_by(ChoiceEvent.id)))


def opted_out_at(session: Session, *, choice: str, at: datetime) -> list[str]:
    """NHS numbers whose latest event for ``choice`` in effect at ``at`` is an opt-out."""
    ranked = (
        select(
            ChoiceEvent.nhs_number,
            ChoiceEvent.value,
            func.row_number()
            .over(
                partition_by=ChoiceEvent.nhs_number,
                order_by=(ChoiceEvent.effective_at.desc(), ChoiceEvent.id.desc()),
            )
            .label("position"),
        )
        .where(ChoiceEvent.choice == choice, ChoiceEvent.effective_at <= at)
        .subquery()
    )
    statement = (
        select(ranked.c.nhs_number)
        .where(ranked.c.position == 1, ranked.c.value == ChoiceValue.OPT_OUT.value)
        .order_by(ranked.c.nhs_number)
    )
    return list(session.scalars(statement))

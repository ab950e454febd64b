"""Storage of choices: events, exemptions, consents, notices — the only session use for them.

Choice events and consents are append-only by design.

There is deliberately no function here that updates or deletes an event (a test checks),
and the database itself refuses UPDATE and DELETE on the table. The state at an instant is
derived in SQL: for each patient, the latest event in effect by then (ties broken by the
order of recording) decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from openhaven.choices.models import (
    ChoiceEvent,
    ChoiceValue,
    ConsentValue,
    ProjectConsent,
    ProjectExemption,
    ProxyLink,
    RefreshNotice,
)
from openhaven.core.database import Base
from openhaven.governance.models import Project


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


def add_row(session: Session, row: Base) -> None:
    """Append an exemption, a consent, a refresh notice or a proxy link, and flush it so its
    id exists."""
    session.add(row)
    session.flush()


def exemptions_for_project(
    session: Session, project_id: int, *, at: datetime | None = None
) -> list[ProjectExemption]:
    """The project's exemptions in order of recording; only those holding at ``at`` if given."""
    statement = select(ProjectExemption).where(ProjectExemption.project_id == project_id)
    if at is not None:
        statement = statement.where(
            ProjectExemption.valid_from <= at,
            or_(ProjectExemption.valid_until.is_(None), ProjectExemption.valid_until > at),
        )
    return list(session.scalars(statement.order_by(ProjectExemption.id)))


def consenting_at(session: Session, project_id: int, *, at: datetime) -> set[str]:
    """Patients whose latest consent event for the project in effect at ``at`` gives consent."""
    ranked = (
        select(
            ProjectConsent.nhs_number,
            ProjectConsent.value,
            func.row_number()
            .over(
                partition_by=ProjectConsent.nhs_number,
                order_by=(ProjectConsent.effective_at.desc(), ProjectConsent.id.desc()),
            )
            .label("position"),
        )
        .where(ProjectConsent.project_id == project_id, ProjectConsent.effective_at <= at)
        .subquery()
    )
    statement = select(ranked.c.nhs_number).where(
        ranked.c.position == 1, ranked.c.value == ConsentValue.GIVEN.value
    )
    return set(session.scalars(statement))


def project_by_id(session: Session, project_id: int) -> Project | None:
    return session.get(Project, project_id)


def refresh_notices(session: Session, *, project_id: int | None = None) -> list[RefreshNotice]:
    """Refresh notices, newest first, for one project or all."""
    statement = select(RefreshNotice).order_by(RefreshNotice.id.desc())
    if project_id is not None:
        statement = statement.where(RefreshNotice.project_id == project_id)
    return list(session.scalars(statement))


def event_keys(session: Session, nhs_numbers: Sequence[str]) -> set[tuple[Any, ...]]:
    """Every stored event of these patients as a tuple of its recorded fields (for imports)."""
    found: set[tuple[Any, ...]] = set()
    numbers = sorted(set(nhs_numbers))
    for start in range(0, len(numbers), 1000):
        statement = select(ChoiceEvent).where(
            ChoiceEvent.nhs_number.in_(numbers[start:start + 1000]))
        found |= {event_key(e.__dict__) for e in session.scalars(statement)}
    return found


def event_key(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(str(fields[name]) if name in ("value", "channel", "acting_as") else fields[name]
                 for name in KEY_FIELDS)


KEY_FIELDS = ("nhs_number", "choice", "value", "channel", "recorded_by", "acting_as",
              "recorded_at", "effective_at")


def proxy_links_for_account(session: Session, account_id: int) -> list[ProxyLink]:
    """Every proxy link recorded for an account (in force or not), oldest first."""
    statement = (select(ProxyLink).where(ProxyLink.account_id == account_id)
                 .order_by(ProxyLink.id))
    return list(session.scalars(statement))


def proxy_link(session: Session, link_id: int) -> ProxyLink | None:
    return session.get(ProxyLink, link_id)


def save(session: Session) -> None:
    """Flush changes to rows already held (a proxy link ended)."""
    session.flush()

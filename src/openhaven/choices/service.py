"""Recording patients' choices and deriving what is in force at any instant.

A choice is recorded as an event (an opt-out, or the withdrawal of one) that takes effect at
``effective_at``; events are never changed. The state of a choice at an instant is the value
of the latest event in effect by then, ties going to the later-recorded event:

* ``opt_out`` in force → ``"opted_out"``: the patient is left out of every extract;
* ``withdraw`` in force → ``"not_opted_out"``, as for a patient who never chose.

Errors and ledger entries never carry an NHS number: errors name the field (and, in bulk,
the entry, counted from 1), and ledger entries name the event by id or give only counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices import repository
from openhaven.choices.models import (
    RESEARCH_AND_PLANNING,
    ActingAs,
    Channel,
    ChoiceEvent,
    ChoiceValue,
)
from openhaven.core.clock import utc_now
from openhaven.core.database import ensure_utc
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.ledger import record_event
from openhaven.records.nhs_number import why_invalid

STATE_OPTED_OUT = "opted_out"
STATE_NOT_OPTED_OUT = "not_opted_out"
CHOICE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
BULK_FIELDS = frozenset({"nhs_number", "choice", "value", "acting_as", "effective_at"})
IMPORTED_FIELDS = BULK_FIELDS | {"channel", "recorded_by", "recorded_at"}
MAX_PROBLEMS_REPORTED = 100


@dataclass(frozen=True)
class _Problem:
    field: str
    problem: str


def record_choice(
    session: Session,
    haven: Haven,
    *,
    nhs_number: str,
    choice: str = RESEARCH_AND_PLANNING,
    value: str = ChoiceValue.OPT_OUT.value,
    channel: str,
    recorded_by: str,
    acting_as: str = ActingAs.SELF.value,
    effective_at: datetime | date | str | None = None,
) -> ChoiceEvent:
    """Record one choice; it takes effect at ``effective_at`` (default: when recorded)."""
    recorded_at = utc_now()
    entry = {
        "nhs_number": nhs_number,
        "choice": choice,
        "value": value,
        "acting_as": acting_as,
        "effective_at": effective_at,
    }
    row, problems = _validated_row(
        entry, channel=channel, recorded_by=recorded_by, recorded_at=recorded_at
    )
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"The choice was not recorded: {first.field} {first.problem}",
            Location(field=first.field),
            details=[{"field": p.field, "problem": p.problem} for p in problems],
        )
    event = repository.add_event(session, ChoiceEvent(**row))
    record_event(
        haven,
        "choice.recorded",
        actor=event.recorded_by,
        subject=f"choice-event:{event.id}",
        details={
            "choice": event.choice,
            "value": str(event.value),
            "channel": str(event.channel),
            "acting_as": str(event.acting_as),
            "effective_at": event.effective_at.isoformat(),
        },
    )
    return event


def record_choices_bulk(
    session: Session,
    haven: Haven,
    events: Iterable[Mapping[str, Any]],
    *,
    recorded_by: str,
    channel: str,
) -> int:
    """Record many choices at once, all or nothing; return how many were recorded.

    Each entry is a mapping with ``nhs_number`` and optionally ``choice``, ``value``,
    ``acting_as`` and ``effective_at``. Every entry is checked before anything is written;
    if any is invalid, nothing is, and the error lists each problem by entry and field.
    """
    recorded_at = utc_now()
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    problem_count = 0
    first_location: Location | None = None
    for number, entry in enumerate(events, start=1):
        row, found = _validated_row(
            entry, channel=channel, recorded_by=recorded_by, recorded_at=recorded_at
        )
        if found:
            problem_count += len(found)
            if first_location is None:
                first_location = Location(entry=number, field=found[0].field)
            for problem in found:
                if len(problems) < MAX_PROBLEMS_REPORTED:
                    problems.append(
                        {"entry": number, "field": problem.field, "problem": problem.problem}
                    )
        elif not problems:
            rows.append(row)
    if problems:
        raise InvalidInput(
            f"{problem_count} problem(s) found in the choices; nothing was recorded",
            first_location,
            details=problems,
        )
    repository.add_events(session, rows)
    values = [row["value"] for row in rows]
    record_event(
        haven,
        "choices.recorded_in_bulk",
        actor=recorded_by,
        subject=None,
        details={
            "count": len(rows),
            "channel": str(rows[0]["channel"]) if rows else channel,
            "opt_outs": values.count(ChoiceValue.OPT_OUT),
            "withdrawals": values.count(ChoiceValue.WITHDRAW),
        },
    )
    return len(rows)


def record_imported_choices(
    session: Session,
    haven: Haven,
    events: Iterable[Mapping[str, Any]],
    *,
    imported_by: str,
    source: str,
    locations: list[Location] | None = None,
    field_names: Mapping[str, str] | None = None,
    prior_problems: list[dict[str, Any]] | None = None,
) -> int:
    """Record events read from a file as they were first recorded, all or nothing.

    Unlike ``record_choices_bulk`` each entry carries its own ``channel``, ``recorded_by``
    and ``recorded_at`` (when absent: the file's channel, the importer, now), so exporting
    and importing into another haven keeps the history. ``locations`` (one per entry) say
    where in the file each entry came from, for errors; ``field_names`` give the file's name
    for each field; ``prior_problems`` (found by the file's reader, each with its location)
    are reported with these, and entries at those locations are not checked again. An
    event identical to one already held is skipped, so importing a file twice changes nothing.
    """
    now = utc_now()
    names = field_names or {}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = list(prior_problems or [])[:MAX_PROBLEMS_REPORTED]
    already = {(p.get("line"), p.get("entry")) for p in prior_problems or []}
    first_location: Location | None = None
    if problems:
        first = problems[0]
        first_location = Location(first.get("file"), first.get("line"), first.get("entry"),
                                  first.get("field"))
    for index, entry in enumerate(events):
        where = locations[index] if locations is not None else Location(entry=index + 1)
        if (where.line, where.entry) in already:
            continue
        found: list[_Problem] = []
        recorded_at: datetime | None = now
        if isinstance(entry, Mapping):
            recorded_at = _moment(entry.get("recorded_at"), now, found, field="recorded_at")
            row, more = _validated_row(
                {k: v for k, v in entry.items() if k not in ("channel", "recorded_by",
                                                             "recorded_at")},
                channel=str(entry.get("channel") or Channel.BULK_FILE.value),
                recorded_by=str(entry.get("recorded_by") or imported_by),
                recorded_at=recorded_at or now,
            )
            found.extend(more)
        else:
            row, found = {}, [_Problem("entry", "must be a mapping of field to value")]
        for problem in found:
            field = names.get(problem.field, problem.field)
            if first_location is None:
                first_location = Location(where.file, where.line, where.entry, field)
            if len(problems) < MAX_PROBLEMS_REPORTED:
                problems.append({**where.as_dict(), "field": field, "problem": problem.problem})
        if not found and not problems:
            rows.append(row)
    if problems:
        problems.sort(key=lambda p: (p.get("line") or 0, p.get("entry") or 0))
        first = problems[0]
        first_location = Location(first.get("file"), first.get("line"), first.get("entry"),
                                  first.get("field"))
        raise InvalidInput(
            f"{len(problems)} problem(s) found in {source}; nothing was imported",
            first_location,
            details=problems,
        )
    known = repository.event_keys(session, [row["nhs_number"] for row in rows])
    fresh: list[dict[str, Any]] = []
    for row in rows:
        key = repository.event_key(row)
        if key not in known:  # an event already held (a file imported twice) is not doubled
            known.add(key)
            fresh.append(row)
    skipped = len(rows) - len(fresh)
    rows = fresh
    repository.add_events(session, rows)
    record_event(
        haven,
        "choices.imported",
        actor=imported_by,
        subject=None,
        details={
            "count": len(rows),
            "already_held": skipped,
            "source_format": source,
            "opt_outs": sum(1 for r in rows if r["value"] == ChoiceValue.OPT_OUT),
            "withdrawals": sum(1 for r in rows if r["value"] == ChoiceValue.WITHDRAW),
        },
    )
    return len(rows)


def all_events(session: Session) -> list[ChoiceEvent]:
    """Every event in the order it was recorded (for export)."""
    return repository.all_events(session)


def current_state(
    session: Session, nhs_number: str, *, at: datetime | None = None
) -> dict[str, str]:
    """Each choice this patient has made, mapped to its state at ``at`` (default: now).

    Choices with no event in effect yet are absent: absent means never chosen.
    """
    _require_valid_nhs_number(nhs_number)
    moment = ensure_utc(at) if at is not None else utc_now()
    latest: dict[str, ChoiceEvent] = {}
    for event in repository.events_for_patient(session, nhs_number):
        if event.effective_at <= moment:
            latest[event.choice] = event  # events come in effect order, so the last wins
    return {choice: state_of(event.value) for choice, event in sorted(latest.items())}


def history(session: Session, nhs_number: str) -> list[dict[str, Any]]:
    """This patient's events in effect order, JSON-ready, without the NHS number."""
    _require_valid_nhs_number(nhs_number)
    return [
        {
            "id": event.id,
            "choice": event.choice,
            "value": str(event.value),
            "state": state_of(event.value),
            "channel": str(event.channel),
            "acting_as": str(event.acting_as),
            "recorded_by": event.recorded_by,
            "recorded_at": event.recorded_at.isoformat(),
            "effective_at": event.effective_at.isoformat(),
        }
        for event in repository.events_for_patient(session, nhs_number)
    ]


def opted_out_nhs_numbers(
    session: Session, *, choice: str = RESEARCH_AND_PLANNING, at: datetime
) -> list[str]:
    """Sorted NHS numbers of every patient opted out of ``choice`` at ``at`` (derived in SQL)."""
    return sorted(repository.opted_out_at(session, choice=choice, at=ensure_utc(at)))


def choices_snapshot_hash(
    session: Session, *, at: datetime, choice: str = RESEARCH_AND_PLANNING
) -> str:
    """SHA-256 (hex) of the sorted opted-out NHS numbers at ``at``, one per line.

    An extract records this hash so anyone holding the events can later confirm exactly which
    opt-outs it applied; the empty set hashes the empty string.
    """
    numbers = opted_out_nhs_numbers(session, choice=choice, at=at)
    return hashlib.sha256("\n".join(numbers).encode("ascii")).hexdigest()


def state_of(value: str) -> str:
    """The state a choice is in when ``value`` is its latest event in effect."""
    return STATE_OPTED_OUT if value == ChoiceValue.OPT_OUT else STATE_NOT_OPTED_OUT


def _require_valid_nhs_number(nhs_number: str) -> None:
    reason = why_invalid(nhs_number)
    if reason is not None:
        raise InvalidInput(f"The NHS number is not valid: {reason}", Location(field="nhs_number"))


def _validated_row(
    entry: Mapping[str, Any], *, channel: str, recorded_by: str, recorded_at: datetime
) -> tuple[dict[str, Any], list[_Problem]]:
    """Column values for one event, and every problem found (empty when valid)."""
    problems: list[_Problem] = []
    if not isinstance(entry, Mapping):
        return {}, [_Problem("entry", "must be a mapping of field to value")]
    for unknown in sorted(set(map(str, entry)) - BULK_FIELDS):
        problems.append(_Problem(unknown, "is not a field of a choice"))
    nhs_number = entry.get("nhs_number")
    reason = why_invalid(nhs_number if isinstance(nhs_number, str) else None)
    if reason is not None:
        problems.append(_Problem("nhs_number", f"is not valid: {reason}"))
    choice = entry.get("choice") or RESEARCH_AND_PLANNING
    if not isinstance(choice, str) or not CHOICE_PATTERN.match(choice):
        problems.append(
            _Problem("choice", f"must be a lower-case name such as {RESEARCH_AND_PLANNING}")
        )
    value = _member(ChoiceValue, entry.get("value") or ChoiceValue.OPT_OUT, "value", problems)
    acting = _member(ActingAs, entry.get("acting_as") or ActingAs.SELF, "acting_as", problems)
    channel_member = _member(Channel, channel, "channel", problems)
    if not isinstance(recorded_by, str) or not recorded_by.strip() or len(recorded_by) > 200:
        problems.append(_Problem("recorded_by", "is required (at most 200 characters)"))
    effective_at = _moment(entry.get("effective_at"), recorded_at, problems)
    row = {
        "nhs_number": nhs_number,
        "choice": choice,
        "value": value,
        "channel": channel_member,
        "recorded_by": recorded_by.strip() if isinstance(recorded_by, str) else recorded_by,
        "acting_as": acting,
        "recorded_at": recorded_at,
        "effective_at": effective_at,
    }
    return row, problems


def _member(enum_class: Any, value: Any, field: str, problems: list[_Problem]) -> Any:
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        problems.append(_Problem(field, f"must be one of: {allowed}"))
        return None


def _moment(
    value: Any, default: datetime, problems: list[_Problem], *, field: str = "effective_at"
) -> datetime | None:
    if value is None or value == "":
        return default
    if isinstance(value, datetime | date):
        return ensure_utc(value)
    if isinstance(value, str):
        try:
            return ensure_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    problems.append(_Problem(field, "must be an ISO 8601 date or date-time"))
    return None

"""Choices: recording opt-outs and withdrawals, and deriving what is in force when."""

from __future__ import annotations

import hashlib
import inspect
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from openhaven.choices import repository, service
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.records.nhs_number import random_valid

PATIENTS = [f"{n:010d}" for n in random_valid(np.random.default_rng(7), 8)]
ALICE, BOB, CAROL = PATIENTS[:3]
INVALID = "1234567890"  # ten digits whose check digit does not match
DAY = datetime(2026, 6, 1, tzinfo=UTC)
CHOICES_SOURCE = Path(service.__file__).resolve().parent


def _record(session: Session, haven: Haven, nhs_number: str, **fields: object) -> None:
    service.record_choice(
        session,
        haven,
        nhs_number=nhs_number,
        channel=str(fields.pop("channel", "web")),
        recorded_by="person:1",
        **fields,
    )


def test_an_opt_out_is_in_force_from_when_it_takes_effect(session: Session, haven: Haven) -> None:
    _record(session, haven, ALICE, effective_at=DAY)
    assert service.current_state(session, ALICE) == {"research-and-planning": "opted_out"}
    assert service.current_state(session, ALICE, at=DAY - timedelta(seconds=1)) == {}
    assert service.opted_out_nhs_numbers(session, at=DAY) == [ALICE]
    assert service.opted_out_nhs_numbers(session, at=DAY - timedelta(days=1)) == []
    assert service.current_state(session, BOB) == {}


def test_the_latest_effective_event_wins_whatever_the_order_of_recording(
    session: Session, haven: Haven
) -> None:
    _record(session, haven, ALICE, effective_at=DAY + timedelta(days=10))
    _record(session, haven, ALICE, value="withdraw", effective_at=DAY)  # later, but back-dated
    _record(session, haven, ALICE, effective_at=DAY - timedelta(days=10))
    at = {offset: DAY + timedelta(days=offset) for offset in (-20, -5, 5, 15)}
    assert [service.current_state(session, ALICE, at=t) for t in at.values()] == [
        {},
        {"research-and-planning": "opted_out"},
        {"research-and-planning": "not_opted_out"},
        {"research-and-planning": "opted_out"},
    ]
    assert [service.opted_out_nhs_numbers(session, at=t) for t in at.values()] == [
        [],
        [ALICE],
        [],
        [ALICE],
    ]
    assert [e["effective_at"][:10] for e in service.history(session, ALICE)] == [
        "2026-05-22",
        "2026-06-01",
        "2026-06-11",
    ]


def test_on_the_same_effective_instant_the_later_recorded_event_wins(
    session: Session, haven: Haven
) -> None:
    _record(session, haven, BOB, effective_at=DAY)
    _record(session, haven, BOB, value="withdraw", effective_at=DAY)
    assert service.current_state(session, BOB, at=DAY) == {"research-and-planning": "not_opted_out"}
    assert service.opted_out_nhs_numbers(session, at=DAY) == []


def test_choices_are_kept_apart(session: Session, haven: Haven) -> None:
    _record(session, haven, CAROL, choice="genomics", effective_at=DAY)
    assert service.current_state(session, CAROL, at=DAY) == {"genomics": "opted_out"}
    assert service.opted_out_nhs_numbers(session, at=DAY) == []
    assert service.opted_out_nhs_numbers(session, choice="genomics", at=DAY) == [CAROL]


def test_an_invalid_nhs_number_is_refused_without_repeating_it(
    session: Session, haven: Haven
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _record(session, haven, INVALID)
    assert caught.value.location is not None and caught.value.location.field == "nhs_number"
    assert INVALID not in str(caught.value) and INVALID not in repr(caught.value.as_dict())
    assert service.opted_out_nhs_numbers(session, at=datetime.now(UTC)) == []
    assert list(read_entries(haven)) == []
    with pytest.raises(InvalidInput, match="acting_as"):
        _record(session, haven, ALICE, acting_as="neighbour")
    with pytest.raises(InvalidInput, match="channel"):
        _record(session, haven, ALICE, channel="carrier_pigeon")
    with pytest.raises(InvalidInput, match="effective_at"):
        _record(session, haven, ALICE, effective_at="last tuesday")
    with pytest.raises(InvalidInput):
        service.current_state(session, INVALID)


def test_the_ledger_names_the_event_never_the_patient(session: Session, haven: Haven) -> None:
    _record(session, haven, ALICE, acting_as="parental_responsibility")
    [entry] = list(read_entries(haven))
    assert entry.action == "choice.recorded"
    assert re.fullmatch(r"choice-event:\d+", entry.subject or "")
    assert entry.details["acting_as"] == "parental_responsibility"
    assert ALICE not in (haven.paths.ledger / "entries.jsonl").read_text(encoding="utf-8")


def test_bulk_recording_is_all_or_nothing(session: Session, haven: Haven) -> None:
    events: list[dict[str, object]] = [
        {"nhs_number": ALICE},
        {"nhs_number": BOB, "effective_at": "2026-06-01"},
        {"nhs_number": INVALID},
        {"nhs_number": CAROL, "value": "maybe", "colour": "blue"},
    ]
    with pytest.raises(InvalidInput) as caught:
        service.record_choices_bulk(
            session, haven, events, recorded_by="bulk:gp-file-7", channel="bulk_file"
        )
    error = caught.value
    assert error.location is not None
    assert (error.location.entry, error.location.field) == (3, "nhs_number")
    assert {(d["entry"], d["field"]) for d in error.details} == {
        (3, "nhs_number"),
        (4, "value"),
        (4, "colour"),
    }
    assert INVALID not in str(error.as_dict())
    assert service.opted_out_nhs_numbers(session, at=datetime.now(UTC)) == []
    assert list(read_entries(haven)) == []

    count = service.record_choices_bulk(
        session, haven, events[:2], recorded_by="bulk:gp-file-7", channel="bulk_file"
    )
    assert count == 2
    assert service.opted_out_nhs_numbers(session, at=datetime.now(UTC)) == sorted([ALICE, BOB])
    [entry] = list(read_entries(haven))
    assert entry.action == "choices.recorded_in_bulk"
    assert entry.details["count"] == 2
    assert ALICE not in (haven.paths.ledger / "entries.jsonl").read_text(encoding="utf-8")


def test_the_snapshot_hash_is_the_hash_of_the_sorted_opted_out_set(
    session: Session, haven: Haven
) -> None:
    now = datetime.now(UTC)
    empty = service.choices_snapshot_hash(session, at=now)
    assert empty == hashlib.sha256(b"").hexdigest()
    service.record_choices_bulk(
        session,
        haven,
        [{"nhs_number": CAROL}, {"nhs_number": ALICE}],
        recorded_by="person:1",
        channel="paper",
    )
    later = datetime.now(UTC)
    expected = hashlib.sha256("\n".join(sorted([ALICE, CAROL])).encode()).hexdigest()
    assert service.choices_snapshot_hash(session, at=later) == expected
    assert service.choices_snapshot_hash(session, at=now - timedelta(days=1)) == empty


def test_there_is_no_way_to_change_or_remove_a_choice_event() -> None:
    forbidden = re.compile(r"update|delete|remove|edit|amend|erase|change|replace|purge")
    public = [
        name
        for module in (repository, service)
        for name, member in inspect.getmembers(module, inspect.isfunction)
        if member.__module__ == module.__name__ and not name.startswith("_")
    ]
    assert "add_event" in public  # the scan sees the module's functions
    assert [name for name in public if forbidden.search(name)] == []
    for path in CHOICES_SOURCE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(update|delete)\(", source), path.name
        assert ".delete(" not in source and "merge(" not in source, path.name


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PATIENTS[:4]),
            st.sampled_from(["opt_out", "withdraw"]),
            st.integers(min_value=0, max_value=6),
        ),
        max_size=25,
    ),
    st.integers(min_value=-1, max_value=7),
)
def test_derived_state_matches_a_replay_of_the_events(
    session: Session, haven: Haven, events: list[tuple[str, str, int]], probe_day: int
) -> None:
    """Whatever the events, SQL and the per-patient view agree with a plain replay."""
    at = DAY + timedelta(days=probe_day)
    expected: dict[str, str] = {}
    ordered = sorted(enumerate(events), key=lambda item: (item[1][2], item[0]))
    for _, (nhs_number, value, day) in ordered:
        if DAY + timedelta(days=day) <= at:
            expected[nhs_number] = value
    nested = session.begin_nested()
    try:
        service.record_choices_bulk(
            session,
            haven,
            [
                {"nhs_number": n, "value": v, "effective_at": DAY + timedelta(days=d)}
                for n, v, d in events
            ],
            recorded_by="person:1",
            channel="bulk_file",
        )
        opted_out = sorted(n for n, v in expected.items() if v == "opt_out")
        assert service.opted_out_nhs_numbers(session, at=at) == opted_out
        for nhs_number in PATIENTS[:4]:
            state = service.current_state(session, nhs_number, at=at)
            if nhs_number not in expected:
                assert state == {}
            else:
                assert state == {"research-and-planning": service.state_of(expected[nhs_number])}
    finally:
        nested.rollback()

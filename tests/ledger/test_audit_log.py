"""The audit log: append, read, verify, refuse identifiers, survive a torn write."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from openhaven.core.haven import Haven
from openhaven.ledger import patient_reference, read_entries, record_event, verify
from openhaven.ledger.audit_log import ENTRIES_FILE, IdentifiableEventError


@pytest.fixture
def haven(tmp_path: Path) -> Haven:
    return Haven.open(tmp_path / "haven")


def _log(haven: Haven) -> Path:
    return haven.paths.ledger / ENTRIES_FILE


def _fill(haven: Haven, n: int = 5) -> None:
    for i in range(n):
        record_event(haven, "test.step", actor="system", subject=f"S{i}", details={"i": i})


def test_entries_are_chained_and_verify(haven: Haven) -> None:
    _fill(haven)
    entries = list(read_entries(haven))
    assert [e.seq for e in entries] == [0, 1, 2, 3, 4]
    assert all(b.prev == a.hash for a, b in pairwise(entries))
    assert verify(haven).as_dict() == {
        "ok": True, "entries": 5, "first_bad": None, "reason": "every entry verified"
    }


def test_filter_by_action(haven: Haven) -> None:
    _fill(haven, 2)
    record_event(haven, "other.thing", actor="system")
    assert [e.action for e in read_entries(haven, action_prefix="other.")] == ["other.thing"]


@pytest.mark.parametrize("position", [0, 2, 4])
def test_any_altered_entry_is_found(haven: Haven, position: int) -> None:
    _fill(haven)
    lines = _log(haven).read_bytes().splitlines(keepends=True)
    record = json.loads(lines[position])
    record["details"]["i"] = 99
    lines[position] = json.dumps(record).encode() + b"\n"
    _log(haven).write_bytes(b"".join(lines))
    result = verify(haven)
    assert not result.ok
    assert result.first_bad == position


def test_removed_entry_is_found(haven: Haven) -> None:
    _fill(haven)
    lines = _log(haven).read_bytes().splitlines(keepends=True)
    del lines[2]
    _log(haven).write_bytes(b"".join(lines))
    assert verify(haven).first_bad == 2


def test_reordered_entries_are_found(haven: Haven) -> None:
    _fill(haven)
    lines = _log(haven).read_bytes().splitlines(keepends=True)
    lines[1], lines[3] = lines[3], lines[1]
    _log(haven).write_bytes(b"".join(lines))
    assert verify(haven).first_bad == 1


def test_torn_last_line_is_not_counted_then_cut_by_the_next_append(haven: Haven) -> None:
    _fill(haven, 3)
    with _log(haven).open("ab") as handle:
        handle.write(b'{"seq": 3, "half')
    torn = verify(haven)
    assert torn.ok and torn.entries == 3 and "half-written" in torn.reason
    record_event(haven, "after.crash", actor="system")
    assert _log(haven).read_bytes().count(b"half") == 0
    result = verify(haven)
    assert result.ok and result.entries == 4
    assert result.reason == "every entry verified"


def test_a_complete_entry_without_its_newline_is_a_change(haven: Haven) -> None:
    _fill(haven, 3)
    _log(haven).write_bytes(_log(haven).read_bytes()[:-1])
    result = verify(haven)
    assert not result.ok and result.first_bad == 2


@pytest.mark.parametrize(
    "details",
    [
        {"nhs_number": "x"},
        {"note": "patient 9434765919 opted out"},
        {"nested": {"postcode": "LS1"}},
        {"numbers": ["ok", "9434765919"]},
    ],
)
def test_identifiable_details_are_refused(haven: Haven, details: dict) -> None:
    with pytest.raises(IdentifiableEventError):
        record_event(haven, "test.bad", actor="system", details=details)
    assert list(read_entries(haven)) == []


def test_log_file_is_private(haven: Haven) -> None:
    _fill(haven, 1)
    assert _log(haven).stat().st_mode & 0o077 == 0


def test_subject_that_looks_like_an_nhs_number_is_refused(haven: Haven) -> None:
    with pytest.raises(IdentifiableEventError) as refused:
        record_event(haven, "test.bad", actor="system", subject="9434765919")
    assert "9434765919" not in str(refused.value)
    assert list(read_entries(haven)) == []


def test_patient_references_are_stable_keyed_and_accepted(haven: Haven, tmp_path: Path) -> None:
    reference = patient_reference(haven, "943 476 5919")
    assert reference == patient_reference(haven, "9434765919")
    assert reference != patient_reference(haven, "9434765927")
    assert reference != patient_reference(Haven.open(tmp_path / "other"), "9434765919")
    assert reference.startswith("patient:") and not any(c.isdigit() for c in reference)
    entry = record_event(haven, "record.reidentified", actor="system", subject=reference)
    assert "9434765919" not in _log(haven).read_text()
    assert entry.subject == reference


def test_an_unusable_signing_key_stops_the_event_before_anything_is_written(
    haven: Haven,
) -> None:
    from openhaven.core.errors import ConfigurationError
    from openhaven.ledger.signing_key import signing_key_path

    _fill(haven, 2)
    before = _log(haven).read_bytes()
    signing_key_path(haven).chmod(0o644)
    with pytest.raises(ConfigurationError) as refused:
        record_event(haven, "test.step", actor="system")
    assert "chmod 600" in refused.value.message
    assert _log(haven).read_bytes() == before

"""The bulk check: usable numbers in order, a count removed, every invalid line reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from choice_fixtures import POOL, approved_project
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from openhaven.choices import bulk_check, exemptions, service
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.records.nhs_number import is_valid

A, B, C, D = POOL[:4]


def _check(lines: list[str], opted_out: list[str]) -> bulk_check.CheckResult:
    numbers = np.sort(np.array(opted_out, dtype=np.int64))
    return bulk_check.check_numbers(pa.array(lines, pa.string()), numbers)


def test_usable_numbers_keep_their_order_and_removed_ones_are_only_counted() -> None:
    spaced = f"{C[:3]} {C[3:6]} {C[6:]}"
    result = _check([D, A, "", spaced, "  " + B + " ", "12345", "1234567890", "9x"], [A, B])
    assert result.as_dict() == {
        "submitted": 7,
        "usable": 2,
        "removed": 2,
        "invalid": [
            {"line": 6, "value": "12345", "reason": "must be 10 digits, not 5"},
            {"line": 7, "value": "1234567890",
             "reason": "check digit does not match (Modulus 11)"},
            {"line": 8, "value": "9x", "reason": "must contain digits only"},
        ],
    }
    assert result.usable_numbers is not None
    assert result.usable_numbers.to_pylist() == [D, C]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9_999_999_999), max_size=40),
       st.lists(st.sampled_from(POOL), max_size=6))
def test_the_vectorised_check_agrees_with_the_scalar_one(
    numbers: list[int], opted_out: list[str]
) -> None:
    lines = [f"{n:010d}" for n in numbers] + list(POOL)
    result = _check(lines, sorted(set(opted_out)))
    valid = [line for line in lines if is_valid(line)]
    expected_usable = [line for line in valid if line not in set(opted_out)]
    assert result.usable_numbers is not None
    assert result.usable_numbers.to_pylist() == expected_usable
    assert result.removed == len(valid) - len(expected_usable)
    assert [i["line"] for i in result.invalid] == [
        n for n, line in enumerate(lines, 1) if not is_valid(line)]


def test_checking_a_file_for_a_purpose_and_for_a_project(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    service.record_choice(session, haven, nhs_number=A, channel="web", recorded_by="p",
                          effective_at=when)
    service.record_choice(session, haven, nhs_number=B, choice="type-1", channel="gp",
                          recorded_by="gp:X1", effective_at=when)
    listed = tmp_path / "numbers.txt"
    listed.write_text(f"{A}\n{B}\n{C}\n0000000000x\n")
    out = tmp_path / "usable.txt"
    result = bulk_check.check_list_file(session, haven, listed, purpose="research", out=out,
                                        actor="custodian")
    assert (result.submitted, result.usable, result.removed, result.invalid_count) == (4, 2, 1, 1)
    assert out.read_text().split() == [B, C]
    entry = list(read_entries(haven))[-1]
    assert entry.action == "choices.bulk_checked" and A not in str(entry.details)
    project = approved_project(session, haven)
    exemptions.record_exemption(session, haven, project.reference,
                                choice="research-and-planning", basis="copi_regulation_3",
                                approved_by="person:9", justification="pandemic response",
                                recorded_by="custodian", valid_from=when)
    exempt = bulk_check.check_list_file(session, haven, listed, project=project.reference,
                                        actor="custodian")
    assert (exempt.usable, exempt.removed) == (3, 0)
    with pytest.raises(InvalidInput, match="purpose"):
        bulk_check.check_list_file(session, haven, listed, purpose="marketing", actor="c")


def test_an_empty_list_is_fine(session: Session, haven: Haven, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = bulk_check.check_list_file(session, haven, empty, purpose="planning", actor="c")
    assert result.as_dict() == {"submitted": 0, "usable": 0, "removed": 0, "invalid": []}

"""Transformation: typed placeholders, dates shifted in their own layout, overlaps merged,
and the registry open to a haven's own recognizers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from openhaven.textdeid import PatientIdentifiers, deidentify
from openhaven.textdeid.analyzer import merge_overlaps
from openhaven.textdeid.anonymizer import replace_spans
from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers as Patient
from openhaven.textdeid.registry import (
    Recognizer,
    register_recognizer,
    registered_recognizers,
    unregister_recognizer,
)


def test_placeholders_name_the_kind() -> None:
    result = deidentify("Mr Jones (NHS 943 476 5919) of LS1 4AP, seen 01/02/2024.")
    assert result.text == "Mr [NAME] (NHS [NHS_NUMBER]) of [POSTCODE], seen [DATE]."
    assert [f.entity for f in result.findings] == ["NAME", "NHS_NUMBER", "POSTCODE", "DATE"]


@pytest.mark.parametrize(
    ("written", "shifted"),
    [
        ("05/11/2024", "15/11/2024"),
        ("5/11/2024", "15/11/2024"),
        ("2024-11-05", "2024-11-15"),
        ("05.11.24", "15.11.24"),
        ("5 November 2024", "15 November 2024"),
        ("1st Nov 2024", "11th Nov 2024"),
        ("November 25, 2024", "December 5, 2024"),
        ("30/12/2024", "09/01/2025"),
    ],
)
def test_dates_shift_in_their_own_layout(written: str, shifted: str) -> None:
    assert deidentify(f"Seen {written}.", shift_days=10).text == f"Seen {shifted}."


def test_a_month_alone_and_a_birth_date_are_replaced_not_shifted() -> None:
    patient = PatientIdentifiers(date_of_birth=dt.date(1950, 3, 4))
    text = deidentify("DOB 04/03/1950, symptoms since March 2024.", patient,
                      shift_days=10).text
    assert text == "DOB [DATE_OF_BIRTH], symptoms since [DATE]."


def test_the_interval_between_two_dates_survives_shifting() -> None:
    text = deidentify("Admitted 28/02/2024, discharged 02/03/2024.", shift_days=-40).text
    first, second = (dt.datetime.strptime(d, "%d/%m/%Y").date()
                     for d in re.findall(r"\d{2}/\d{2}/\d{4}", text))
    assert (second - first).days == 3
    assert first == dt.date(2024, 2, 28) - dt.timedelta(days=40)


def test_overlapping_findings_merge_into_one_span_labelled_by_the_surest() -> None:
    spans = merge_overlaps([
        Finding(0, 5, "NAME", "a", "x", 0.6),
        Finding(3, 9, "ADDRESS", "b", "y", 0.9, True),
        Finding(12, 14, "AGE", "c", "z", 0.9),
    ])
    assert [(s.start, s.end, s.entity) for s in spans] == [(0, 9, "ADDRESS"), (12, 14, "AGE")]
    assert "merged with 1 overlapping" in spans[0].reason
    with pytest.raises(ValueError):
        replace_spans("abcdefghij", [Finding(0, 5, "NAME", "a", "x", 1.0),
                                     Finding(3, 6, "NAME", "a", "x", 1.0)])


class _WardRecognizer(Recognizer):
    """A haven's own recognizer: its ward names."""

    name = "local_ward"
    entities = ("ADDRESS",)

    def find(self, text: str, patient: Patient | None) -> Iterator[Finding]:
        for match in re.finditer(r"\bBluebell Ward\b", text):
            yield Finding(*match.span(), "ADDRESS", self.name, "pattern: a ward", 0.9)


def test_a_third_party_recognizer_registers_like_the_built_ins() -> None:
    register_recognizer(_WardRecognizer())
    try:
        assert deidentify("Moved to Bluebell Ward.").text == "Moved to [ADDRESS]."
        with pytest.raises(ValueError):
            register_recognizer(_WardRecognizer())
    finally:
        unregister_recognizer("local_ward")
    assert "local_ward" not in [r.name for r in registered_recognizers()]
    assert deidentify("Moved to Bluebell Ward.").text == "Moved to Bluebell Ward."

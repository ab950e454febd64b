"""Record-aware recognition: the note's own patient is removed in any layout, including
where patterns and name lists alone miss them."""

from __future__ import annotations

import datetime as dt

import pytest

from openhaven.textdeid import PatientIdentifiers, analyse, deidentify

PATIENT = PatientIdentifiers(
    given_name="Wilhelmina Ngozi",
    family_name="Zanzibar-Okonkwo",
    nhs_number="9434765919",
    date_of_birth=dt.date(1950, 3, 4),
    address_line="Flat 2, 17 Quarry Bank",
    postcode="LS1 4AP",
    phone="07700 900123",
)


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("wilhelmina came in", "NAME"),
        ("ZANZIBAR-OKONKWO, W.", "NAME"),
        ("Mrs Okonkwo's daughter", "NAME"),
        ("Ngozi said", "NAME"),
        ("ref 94347 65919 quoted", "NHS_NUMBER"),
        ("id 943.476.5919", "NHS_NUMBER"),
        ("born 4th March 1950", "DATE_OF_BIRTH"),
        ("born 04-03-1950", "DATE_OF_BIRTH"),
        ("lives at 17 QUARRY BANK", "ADDRESS"),
        ("near Quarry Bank shops", "ADDRESS"),
        ("postcode ls14ap", "POSTCODE"),
        ("mobile +44 7700 900123", "PHONE"),
        ("mobile 07700-900-123", "PHONE"),
    ],
)
def test_the_patients_own_identifiers_in_other_layouts(text: str, entity: str) -> None:
    findings = analyse(text, PATIENT)
    assert [f.entity for f in findings] == [entity]
    (finding,) = findings
    assert finding.validated and finding.score == 1.0
    assert finding.reason.startswith("record: ")


def test_record_awareness_catches_what_patterns_and_lists_miss() -> None:
    text = "ngozi zanzibar-okonkwo rang from Quarry Bank about her knee."
    without = deidentify(text).text
    # not in any list, no context, no street word
    assert "ngozi" in without and "zanzibar" in without and "Quarry" in without
    with_record = deidentify(text, PATIENT).text
    assert with_record == "[NAME] [NAME] rang from [ADDRESS] about her knee."


def test_other_numbers_and_dates_are_not_the_patients() -> None:
    text = "NHS 9434765870 belongs to someone else; seen 05/03/1950; tel 07700 900124."
    entities = [f.entity for f in analyse(text, PATIENT)]
    assert "DATE_OF_BIRTH" not in entities
    reasons = [f.reason for f in analyse(text, PATIENT)]
    assert not any(r.startswith("record:") for r in reasons)


def test_a_patient_with_nothing_known_changes_nothing() -> None:
    text = "Seen 05/11/2024 about asthma."
    assert analyse(text, PatientIdentifiers()) == analyse(text)

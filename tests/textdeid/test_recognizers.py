"""Each built-in recognizer on small texts: what it finds, what it leaves, and why."""

from __future__ import annotations

import pytest

from openhaven.textdeid import analyse
from openhaven.textdeid.findings import Finding
from openhaven.textdeid.registry import recognizer_names


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.entity) for f in analyse(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NHS 9434765919.", [("9434765919", "NHS_NUMBER")]),
        ("NHS no. 943 476 5919", [("943 476 5919", "NHS_NUMBER")]),
        ("number 943-476-5919 given", [("943-476-5919", "NHS_NUMBER")]),
        ("Reference 9434765918 on file", []),  # check digit wrong, no NHS context
        ("Seen on 05/11/2024 and 2024-11-06.", [("05/11/2024", "DATE"), ("2024-11-06", "DATE")]),
        ("Admitted 3rd March 2024, discharged March 9, 2024.",
         [("3rd March 2024", "DATE"), ("March 9, 2024", "DATE")]),
        ("Letter of 21.11.81 about BP 140/90.", [("21.11.81", "DATE")]),
        ("Impossible 31/02/2020 is not a date.", []),
        ("Lives at LS1 4AP now.", [("LS1 4AP", "POSTCODE")]),
        ("postcode area LS6 only", [("LS6", "POSTCODE")]),
        ("HbA1c 48 and E11 coded", []),  # outward-code shapes without postcode words
        ("Call 07700 900123 or +44 113 496 0000.",
         [("07700 900123", "PHONE"), ("+44 113 496 0000", "PHONE")]),
        ("Tel: (01632) 960 123", [("(01632) 960 123", "PHONE")]),
        ("Write to a.person@example.org please.", [("a.person@example.org", "EMAIL")]),
        ("See https://example.org/notes/1.", [("https://example.org/notes/1", "URL")]),
        ("NI number AB 12 34 56 C.", [("AB 12 34 56 C", "NI_NUMBER")]),
        ("QQ 12 34 56 C has a letter never issued first.", []),
        ("Not allocated: GB 12 34 56 C.", []),
        ("MRN: RX12345 attached", [("RX12345", "HOSPITAL_NUMBER")]),
        ("Hospital no. RXH1234567", [("RXH1234567", "HOSPITAL_NUMBER")]),
        ("A 93-year-old man, aged 91, and a 45-year-old.", [("93", "AGE"), ("91", "AGE")]),
        ("Lives at 12 Acacia Avenue with her son.", [("12 Acacia Avenue", "ADDRESS")]),
    ],
)
def test_pattern_recognizers(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Seen by Dr Okafor today.", ["Okafor"]),
        ("Reviewed with Mrs Zbigniewska-Hart.", ["Zbigniewska-Hart"]),
        ("Seen with husband Quentin.", ["Quentin"]),
        ("Sarah Nicola Fletcher attended.", ["Sarah Nicola Fletcher"]),
        ("DISCHARGE SUMMARY\nPatient: FLETCHER, Sarah\n", ["FLETCHER, Sarah"]),
        ("Dr Anthony Hall, Cedar Medical Practice", ["Anthony Hall"]),
        ("Lives on Victoria Road near Beech Medical Centre.", []),
        ("Mark the date; grace period applies.", []),
        ("Dear Colleague, thank you.", []),
        ("Consultant: Dr Jessica Ward\nTrust", ["Jessica Ward"]),
    ],
)
def test_person_names_by_context_and_dictionary(text: str, names: list[str]) -> None:
    assert [t for t, e in _found(text) if e == "NAME"] == names


def test_clinical_words_are_not_identifiers() -> None:
    text = ("Background of type 2 diabetes, atrial fibrillation (AF) and COPD. Current "
            "medication: Metformin 500mg tablets, Ramipril 5mg capsules. Parkinson's disease "
            "and Crohn's disease noted. HbA1c 53, BP 150/95, eGFR 58. Review in 6 weeks.")
    assert analyse(text) == []


def test_every_finding_says_why() -> None:
    findings = analyse("Seen by Dr Okafor. NHS 943 476 5919.")
    assert [f.recognizer for f in findings] == ["person_name", "nhs_number"]
    name, number = findings
    assert "title 'Dr'" in name.reason
    assert number.validated and "check passed" in number.reason and number.score == 1.0
    assert "context: 'nhs'" in number.reason


def test_invalid_nhs_number_is_kept_at_a_lower_score_only_in_context() -> None:
    (finding,) = analyse("NHS number 943 476 5918")
    assert finding.entity == "NHS_NUMBER"
    assert not finding.validated
    assert "check failed" in finding.reason and finding.score < 0.9


def test_built_ins_are_registered_by_name() -> None:
    names = recognizer_names()
    for expected in ("patient_record", "nhs_number", "date", "postcode", "phone", "email",
                     "url", "ni_number", "hospital_number", "age_over_89", "street_address",
                     "person_name"):
        assert expected in names


def test_a_finding_needs_a_known_entity_and_a_span() -> None:
    with pytest.raises(ValueError):
        Finding(0, 3, "SHOE_SIZE", "x", "y", 1.0)
    with pytest.raises(ValueError):
        Finding(3, 3, "NAME", "x", "y", 1.0)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Re: Ngozi Zanzibar (NHS 943 476 5919)", ["Ngozi Zanzibar"]),
        ("Ngozi Zanzibar, 57, NHS 9434765919", ["Ngozi Zanzibar"]),
        ("Re: Ngozi Zanzibar-Okonkwo\nAddress", ["Ngozi Zanzibar-Okonkwo"]),
        ("Cambridge University Hospitals NHS Foundation Trust", []),
    ],
)
def test_unknown_names_by_their_place_in_a_letter(text: str, names: list[str]) -> None:
    assert [t for t, e in _found(text) if e == "NAME"] == names

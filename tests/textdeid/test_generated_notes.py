"""Recall and precision on the synthetic population's notes, whose identifiers are known.

Direct identifiers of the note's own patient (NHS number, names, postcode, phone, date of
birth) must all be removed; the other categories are reported (``-s`` prints them) and
held to floors; condition and medicine names must all survive.
"""

from __future__ import annotations

import pytest

from openhaven.records.generator import names
from openhaven.records.generator.care_catalogue import MEDICINES
from openhaven.records.generator.conditions import ALL_CONDITIONS
from openhaven.records.generator.note_templates import lay_term
from openhaven.records.generator.population import generate_population
from openhaven.textdeid import PatientIdentifiers, deidentify
from openhaven.textdeid.evaluation import DIRECT, Report, score_note, truth_for
from openhaven.textdeid.name_lists import family_names, given_names

PATIENTS = 2000


@pytest.fixture(scope="module")
def report() -> Report:
    tables = generate_population(PATIENTS, seed=5)
    patients = {row["patient_id"]: PatientIdentifiers.from_mapping(row)
                for row in tables["patients"].to_pylist()}
    terms = [lay_term(c.key) for c in ALL_CONDITIONS] + [m.display for m in MEDICINES.values()]
    result = Report()
    for note in tables["notes"].select(["patient_id", "text"]).to_pylist():
        patient, text = patients[note["patient_id"]], note["text"]
        done = deidentify(text, patient)
        score_note(result, text, truth_for(text, patient),
                   [(f.start, f.end) for f in done.findings], done.text,
                   [t for t in terms if t in text])
    print(result.as_dict())
    return result


def test_every_direct_identifier_is_removed(report: Report) -> None:
    assert report.notes > 1000
    for category in DIRECT:
        assert report.occurrences[category] > 0, category
        assert report.recall(category) == 1.0, category


def test_other_identifiers_are_removed_and_clinical_content_stays(report: Report) -> None:
    for category in ("address", "clinician_name", "relative_name", "other_date"):
        assert report.occurrences[category] > 0, category
        assert report.recall(category) >= 0.99, category
    assert report.clinical_terms > 1000
    assert report.clinical_survival == 1.0
    assert report.precision >= 0.97


def test_the_name_lists_are_the_generators() -> None:
    assert given_names() >= set(names.every_given_name())
    assert family_names() >= set(names.every_family_name())

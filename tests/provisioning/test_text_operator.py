"""The deidentify_text operator: notes de-identified inside the extract build, refused
unless the approval allows de-identified free text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from openhaven.core.errors import InvalidInput, SafeguardRefused
from openhaven.engine import open_session
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.pseudonym import project_key
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.records.generator.population import generate_population
from openhaven.records.store import open_store, upsert_all

MASTER = bytes(range(32))
NOTE_DATE = dt.date(2024, 3, 15)
# The patient's NHS number is written with dashes and the family name in capitals: layouts
# that differ from the record, found because the build passes the patient's own record.
NOTE = (
    "15/03/2024 Seen with daughter. Re: Wilhelmina ZANZIBAR-OKONKWO, NHS 943-476-5919, "
    "DOB 4 March 1950, of 7 Quarry Bank, LS1 4AP, tel 0113 496 0123. Background of "
    "type 2 diabetes; continues Metformin 500mg tablets. Review 29/03/2024."
)


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "records.duckdb"
    patients = pa.table({
        "patient_id": ["p1", "p2"],
        "nhs_number": ["9434765919", "9434765870"],
        "given_name": ["Wilhelmina", "Bob"],
        "family_name": ["Zanzibar-Okonkwo", "Brown"],
        "date_of_birth": [dt.date(1950, 3, 4), dt.date(1980, 1, 2)],
        "sex": ["female", "male"],
        "address_line": ["7 Quarry Bank", "1 High Street"],
        "postcode": ["LS1 4AP", "M1 1AE"],
        "phone": ["0113 496 0123", None],
    })
    notes = pa.table({
        "note_id": ["n1", "n2"],
        "patient_id": ["p1", "p2"],
        "note_date": [NOTE_DATE, NOTE_DATE],
        "note_type": ["letter", "letter"],
        "text": [NOTE, "Brief note about Bob, no identifiers otherwise."],
    })
    with open_store(path) as session:
        upsert_all(session, {"patients": patients, "notes": notes})
    return path


def _spec(text_operator: str, *, note_date: str = "date_shift:30",
          free_text: str | None = "deidentified") -> DatasetSpecification:
    raw: dict[str, Any] = {"tables": {"notes": {
        "patient_id": "pseudonymise", "note_date": note_date, "text": text_operator,
    }}}
    if free_text is not None:
        raw["free_text"] = free_text
    return DatasetSpecification.from_dict(raw)


def _notes(tmp_path: Path, spec: DatasetSpecification) -> list[dict[str, Any]]:
    build = build_extract(_store(tmp_path), tmp_path / "v1", specification=spec,
                          project_key=project_key(MASTER, "OH-T"), opted_out_nhs_numbers=[])
    with open_session(build.path, read_only=True) as session:
        rows: list[dict[str, Any]] = session.query(
            "SELECT note_date, text FROM notes ORDER BY text").to_pylist()
    return rows


def test_the_patients_identifiers_leave_and_clinical_words_stay(tmp_path: Path) -> None:
    rows = _notes(tmp_path, _spec("deidentify_text"))
    text = next(r["text"] for r in rows if "Review" in r["text"])
    for identifier in ("Wilhelmina", "ZANZIBAR", "OKONKWO", "943", "5919", "1950", "Quarry",
                       "LS1", "4AP", "0113", "15/03/2024"):
        assert identifier not in text
    for kept in ("type 2 diabetes", "Metformin 500mg tablets", "Seen with daughter"):
        assert kept in text
    for placeholder in ("[NAME]", "[NHS_NUMBER]", "[DATE_OF_BIRTH]", "[POSTCODE]", "[PHONE]",
                        "[DATE]"):
        assert placeholder in text
    other = next(r["text"] for r in rows if "Review" not in r["text"])
    assert other == "Brief note about [NAME], no identifiers otherwise."


def test_dates_in_text_move_with_the_shifted_date_column(tmp_path: Path) -> None:
    rows = _notes(tmp_path, _spec("deidentify_text:30"))
    row = next(r for r in rows if "Review" in r["text"])
    shift = row["note_date"] - NOTE_DATE
    assert shift != dt.timedelta(0)  # the keyed offset for this patient and project
    assert abs(shift.days) <= 30
    written = row["note_date"].strftime("%d/%m/%Y")
    assert row["text"].startswith(written)
    review = (NOTE_DATE + dt.timedelta(days=14) + shift).strftime("%d/%m/%Y")
    assert f"Review {review}." in row["text"]
    assert "[DATE_OF_BIRTH]" in row["text"]  # never shifted, always removed


def test_refused_unless_the_approval_allows_deidentified_text() -> None:
    for level in ("pseudonymised", "identifiable"):
        with pytest.raises(SafeguardRefused) as refused:
            _spec("deidentify_text", free_text=None).check_identifiability(level)
        assert refused.value.location is not None
        assert refused.value.location.field == "tables.notes.text"
    _spec("deidentify_text").check_identifiability("pseudonymised")
    with pytest.raises(SafeguardRefused):
        _spec("keep").check_identifiability("pseudonymised")  # the allowance is not "keep"


def test_bad_allowance_and_mismatched_windows_are_refused_where_they_are() -> None:
    with pytest.raises(InvalidInput) as bad:
        _spec("deidentify_text", free_text="raw")
    assert bad.value.location is not None and bad.value.location.field == "free_text"
    with pytest.raises(InvalidInput) as mismatch:
        _spec("deidentify_text:60", note_date="date_shift:30")
    assert mismatch.value.location is not None
    assert mismatch.value.location.field == "tables.notes.text"
    with pytest.raises(InvalidInput):
        _spec("deidentify_text:0")


def test_the_allowance_round_trips_and_is_absent_by_default() -> None:
    spec = _spec("deidentify_text:30")
    assert spec.as_dict()["free_text"] == "deidentified"
    assert DatasetSpecification.from_dict(spec.as_dict()) == spec
    assert "free_text" not in _spec("drop", free_text=None).as_dict()


def test_generated_notes_keep_no_direct_identifier_of_anyone(tmp_path: Path) -> None:
    tables = generate_population(60, seed=3)
    path = tmp_path / "records.duckdb"
    with open_store(path) as session:
        upsert_all(session, {"patients": tables["patients"], "notes": tables["notes"]})
    build = build_extract(path, tmp_path / "v1", specification=_spec("deidentify_text:182",
                                                                      note_date="date_shift"),
                          project_key=project_key(MASTER, "OH-G"), opted_out_nhs_numbers=[])
    with open_session(build.path, read_only=True) as session:
        rows = session.query("SELECT pseudonym, text FROM notes").to_pylist()
    assert len(rows) == tables["notes"].num_rows > 0
    pseudonym_of = dict(zip(build.patient_ids, build.pseudonyms, strict=True))
    own_notes: dict[str, list[str]] = {}
    for row in rows:
        own_notes.setdefault(row["pseudonym"], []).append(row["text"])
    checked = 0
    for patient in tables["patients"].to_pylist():
        texts = own_notes.get(pseudonym_of[patient["patient_id"]], [])
        for text in texts:
            words = set(re.findall(r"[\w']+", text.lower()))
            digits = re.sub(r"\D", "", text)
            assert patient["nhs_number"] not in digits
            assert patient["postcode"].lower() not in text.lower()
            if patient["phone"]:
                assert re.sub(r"\D", "", patient["phone"]) not in digits
            assert patient["family_name"].lower() not in words
            assert not set(patient["given_name"].lower().split()) & words
            checked += 1
    assert checked == len(rows)

"""Ingest of FHIR input: counts, invalid input leaving the store untouched, quarantine."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.records.ingest import ingest_paths
from openhaven.records.store import open_store, row_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
BUNDLE = FIXTURES / "transaction-bundle.json"
SYNTHEA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "synthea" / "fhir-r4"
PATIENT = "8d1d6a64-3c4f-4c55-9a57-1f2b3c4d5e01"


def _bundle() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BUNDLE.read_text())
    return loaded


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def _store_snapshot(haven: Haven) -> dict[str, list[dict[str, object]]]:
    with open_store(haven.paths.record_store, read_only=True) as session:
        return {
            name: sorted(map(str, session.query(f"SELECT * FROM {name}").to_pylist()))
            for name in row_counts(session)
        }


def test_every_resource_is_counted_in_and_written(haven: Haven) -> None:
    result = ingest_paths(haven, [BUNDLE])
    assert result.ingested == {
        "Patient": 1,
        "Encounter": 1,
        "Condition": 1,
        "Observation": 2,
        "Medication": 1,
        "MedicationRequest": 2,
        "Procedure": 1,
        "DocumentReference": 1,
    }
    assert result.quarantined == {}
    assert result.not_modelled == {"Claim": 1}
    assert result.rows["observations"] == 4
    with open_store(haven.paths.record_store, read_only=True) as session:
        counts = row_counts(session)
    assert counts == {
        "patients": 1,
        "encounters": 1,
        "conditions": 1,
        "observations": 4,
        "medications": 2,
        "procedures": 1,
        "notes": 1,
    }
    shape = result.as_dict()
    assert {"ingested", "quarantined", "report"} <= set(shape)
    assert shape["report"] == str(result.report)
    assert json.loads(result.report.read_text())["quarantine"] == []


def test_ledger_entry_carries_counts_only(haven: Haven) -> None:
    ingest_paths(haven, [BUNDLE], actor="custodian:alice")
    (entry,) = list(read_entries(haven, action_prefix="records.ingested"))
    assert entry.actor == "custodian:alice"
    assert entry.details["ingested"]["Patient"] == 1
    text = json.dumps(entry.as_dict())
    for value in ("9434765919", "Testpatient", "LS1 4AP", PATIENT, "transaction-bundle"):
        assert value not in text


def test_re_ingesting_the_same_file_changes_nothing(haven: Haven) -> None:
    ingest_paths(haven, [BUNDLE])
    before = _store_snapshot(haven)
    again = ingest_paths(haven, [BUNDLE])
    assert again.ingested["Observation"] == 2
    assert _store_snapshot(haven) == before


def test_corrupt_bundle_fails_naming_entries_and_fields_and_leaves_the_store(
    haven: Haven,
) -> None:
    ingest_paths(haven, [BUNDLE])
    store = haven.paths.record_store
    digest = hashlib.sha256(store.read_bytes()).hexdigest()
    before = _store_snapshot(haven)
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [FIXTURES / "corrupt-bundle.json"])
    error = caught.value
    assert "entry 3" in str(error)
    assert "entry[3].resource.birthDate" in str(error)
    places = {(d.get("entry"), d.get("field")) for d in error.details}
    assert (3, "entry[3].resource.birthDate") in places
    assert (5, "entry[5].resource.resourceType") in places
    assert (6, "entry[6].resource") in places
    assert (7, "entry[7].resource.gender") in places
    assert all(d["file"].endswith("corrupt-bundle.json") for d in error.details)
    # Nothing the file held is repeated back.
    assert "not-a-date" not in json.dumps(error.as_dict())
    assert "19700314" not in json.dumps(error.as_dict())
    assert hashlib.sha256(store.read_bytes()).hexdigest() == digest
    assert _store_snapshot(haven) == before


def test_truncated_json_fails_with_its_position(haven: Haven) -> None:
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [FIXTURES / "truncated-bundle.json"])
    assert "is not valid JSON" in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.file is not None
    assert caught.value.location.file.endswith("truncated-bundle.json")
    assert not haven.paths.record_store.exists()


def test_one_bad_file_stops_every_file(haven: Haven, tmp_path: Path) -> None:
    bundle = _bundle()
    bundle["entry"][0]["resource"]["birthDate"] = 12345
    bad = _write(tmp_path / "bad.json", bundle)
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [BUNDLE, bad])
    assert caught.value.details[0]["field"] == "entry[0].resource.birthDate"
    assert caught.value.details[0]["problem"] == "must be a date string"
    assert not haven.paths.record_store.exists() or _store_snapshot(haven) == {
        name: [] for name in _store_snapshot(haven)
    }


def test_missing_birth_date_is_invalid_because_the_haven_requires_it(
    haven: Haven, tmp_path: Path
) -> None:
    bundle = _bundle()
    del bundle["entry"][0]["resource"]["birthDate"]
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [_write(tmp_path / "b.json", bundle)])
    assert caught.value.details[0]["field"] == "entry[0].resource.birthDate"


def test_ndjson_problems_name_the_line(haven: Haven, tmp_path: Path) -> None:
    patient = _bundle()["entry"][0]["resource"]
    broken = copy.deepcopy(patient)
    broken["id"] = "other"
    broken["gender"] = "woman"
    path = tmp_path / "Patient.ndjson"
    path.write_text(json.dumps(patient) + "\n" + "{not json\n" + json.dumps(broken) + "\n")
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [path])
    found = {(d.get("line"), d.get("field")) for d in caught.value.details}
    assert found == {(2, None), (3, "gender")}


def _quarantine_case(haven: Haven, tmp_path: Path, change: Any) -> dict[str, Any]:
    bundle = _bundle()
    change(bundle)
    result = ingest_paths(haven, [_write(tmp_path / "case.json", bundle)])
    report: dict[str, Any] = json.loads(result.report.read_text())
    report["result"] = result
    return report


def test_invalid_nhs_number_quarantines_the_patient_and_their_records(
    haven: Haven, tmp_path: Path
) -> None:
    def bad_check_digit(bundle: dict[str, Any]) -> None:
        bundle["entry"][0]["resource"]["identifier"][0]["value"] = "9434765918"

    report = _quarantine_case(haven, tmp_path, bad_check_digit)
    result = report["result"]
    assert result.quarantined["Patient"] == 1
    assert result.quarantined["Observation"] == 2
    assert "Patient" not in result.ingested
    assert result.ingested == {"Medication": 1}
    reasons = {(q.get("entry"), q["reason"]) for q in report["quarantine"]}
    assert (0, "nhs_number check digit does not match (Modulus 11)") in reasons
    assert (2, "refers to a patient that was quarantined") in reasons
    assert "9434765918" not in result.report.read_text()
    with open_store(haven.paths.record_store, read_only=True) as session:
        assert sum(row_counts(session).values()) == 0


def test_unknown_patient_event_before_birth_and_future_date_are_quarantined(
    haven: Haven, tmp_path: Path
) -> None:
    def break_three_records(bundle: dict[str, Any]) -> None:
        entries = bundle["entry"]
        entries[2]["resource"]["subject"]["reference"] = "Patient/nobody"
        entries[3]["resource"]["effectiveDateTime"] = "1960-01-01"
        entries[8]["resource"]["performedPeriod"]["start"] = "2999-01-01"

    report = _quarantine_case(haven, tmp_path, break_three_records)
    reasons = {q.get("entry"): q["reason"] for q in report["quarantine"]}
    assert reasons == {
        2: "refers to a patient in neither the input nor the record store",
        3: "observation_date is before the patient's birth",
        8: "procedure_date is in the future",
    }
    result = report["result"]
    assert result.quarantined == {"Condition": 1, "Observation": 1, "Procedure": 1}
    assert result.ingested["Patient"] == 1
    assert result.rows["observations"] == 3


def test_patient_already_in_the_store_may_be_referenced(haven: Haven, tmp_path: Path) -> None:
    ingest_paths(haven, [BUNDLE])
    bundle = _bundle()
    condition = copy.deepcopy(bundle["entry"][2])
    condition["resource"]["id"] = "later-condition"
    condition["resource"]["subject"] = {"reference": f"Patient/{PATIENT}"}
    del condition["resource"]["encounter"]
    later = {"resourceType": "Bundle", "type": "collection", "entry": [condition]}
    result = ingest_paths(haven, [_write(tmp_path / "later.json", later)])
    assert result.ingested == {"Condition": 1}
    assert result.quarantined == {}


def test_conflicting_duplicates_are_quarantined_identical_ones_load_once(
    haven: Haven, tmp_path: Path
) -> None:
    first = _write(tmp_path / "one.json", _bundle())
    same = _write(tmp_path / "same.json", _bundle())
    result = ingest_paths(haven, [first, same])
    assert result.quarantined == {}
    assert result.rows["patients"] == 1

    changed = _bundle()
    changed["entry"][8]["resource"]["performedPeriod"]["start"] = "2021-05-11"
    other = _write(tmp_path / "changed.json", changed)
    result = ingest_paths(haven, [first, other])
    assert result.quarantined == {"Procedure": 2}
    report = json.loads(result.report.read_text())
    assert {q["reason"] for q in report["quarantine"]} == {
        "duplicate procedures id with conflicting content"
    }


def test_unknown_medication_reference_and_url_only_note_are_quarantined(
    haven: Haven, tmp_path: Path
) -> None:
    def break_references(bundle: dict[str, Any]) -> None:
        bundle["entry"][7]["resource"]["medicationReference"]["reference"] = "Medication/none"
        attachment = bundle["entry"][9]["resource"]["content"][0]["attachment"]
        attachment["url"] = "https://example.org/note"
        del attachment["data"]

    report = _quarantine_case(haven, tmp_path, break_references)
    assert report["result"].quarantined == {"DocumentReference": 1, "MedicationRequest": 1}
    assert report["result"].rows.get("notes", 0) == 0


def test_folders_are_walked_and_unknown_files_skipped(haven: Haven, tmp_path: Path) -> None:
    folder = tmp_path / "input"
    (folder / "nested").mkdir(parents=True)
    _write(folder / "nested" / "bundle.json", _bundle())
    (folder / "README.txt").write_text("not data")
    result = ingest_paths(haven, [folder])
    assert result.ingested["Patient"] == 1
    assert result.skipped_files == 1


def test_missing_path_and_unknown_file_are_invalid(haven: Haven, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        ingest_paths(haven, [tmp_path / "absent.json"])
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InvalidInput):
        ingest_paths(haven, [other])


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="Synthea sample data not present in ../shared")
def test_real_synthea_output_ingests_with_counts_equal_to_the_files(haven: Haven) -> None:
    expected: dict[str, int] = {}
    files = sorted(SYNTHEA.glob("*.json"))
    for path in files:
        for entry in json.loads(path.read_text())["entry"]:
            kind = entry["resource"]["resourceType"]
            expected[kind] = expected.get(kind, 0) + 1
    result = ingest_paths(haven, [SYNTHEA])
    counted = {**result.ingested, **result.quarantined, **result.not_modelled}
    for kind, count in expected.items():
        assert (
            result.ingested.get(kind, 0)
            + result.quarantined.get(kind, 0)
            + (result.not_modelled.get(kind, 0))
            == count
        ), kind
    assert set(counted) == set(expected)
    assert result.ingested["Patient"] == len(files)
    for notes in result.absent_fields.values():
        assert "Patient: nhs_number absent on 1 of 1" in notes


def test_single_resources_and_medication_statements_with_contained_drugs(
    haven: Haven, tmp_path: Path
) -> None:
    patient = _bundle()["entry"][0]["resource"]
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms1",
        "status": "active",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "drug",
                "code": {"coding": [{"system": "https://dmd.nhs.uk", "code": "39732311000001104"}]},
            }
        ],
        "medicationReference": {"reference": "#drug"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectivePeriod": {"start": "2020-01-01", "end": "2020-02"},
    }
    claim = {"resourceType": "Claim", "id": "c1"}
    paths = [
        _write(tmp_path / "patient.json", patient),
        _write(tmp_path / "statement.json", statement),
        _write(tmp_path / "claim.json", claim),
    ]
    result = ingest_paths(haven, paths)
    assert result.ingested == {"Patient": 1, "MedicationStatement": 1}
    assert result.not_modelled == {"Claim": 1}
    with open_store(haven.paths.record_store, read_only=True) as session:
        row = session.query("SELECT code, start_date, end_date FROM medications").to_pylist()
    assert [(r["code"], str(r["start_date"]), str(r["end_date"])) for r in row] == [
        ("39732311000001104", "2020-01-01", "2020-02-01")
    ]
    notes = result.absent_fields[str(tmp_path / "statement.json")]
    assert (
        "MedicationStatement: effectivePeriod partial (first day of the period used) on 1 of 1"
        in notes
    )


def test_a_history_bundle_is_not_accepted(haven: Haven, tmp_path: Path) -> None:
    bundle = _bundle()
    bundle["type"] = "history"
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [_write(tmp_path / "h.json", bundle)])
    assert caught.value.details[0]["field"] == "type"

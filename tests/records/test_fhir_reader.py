"""Reading FHIR R4 into staged rows: the mapping of each resource type, and real Synthea."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from openhaven.records.fhir.reader import MAPPERS, FhirReader
from openhaven.records.ingest.staging import Staging

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
BUNDLE = FIXTURES / "transaction-bundle.json"
SYNTHEA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "synthea" / "fhir-r4"


def _read(*paths: Path) -> Staging:
    staging = Staging()
    reader = FhirReader(staging)
    for path in paths:
        if path.suffix == ".ndjson":
            reader.read_ndjson(path, path.name)
        else:
            reader.read_json(path, path.name)
    reader.finish()
    return staging


def _rows(staging: Staging, table: str) -> list[dict[str, object]]:
    return staging.tables()[table].drop_columns(["_item"]).to_pylist()


def test_every_modelled_resource_becomes_rows_and_the_claim_is_counted_not_modelled() -> None:
    staging = _read(BUNDLE)
    assert staging.problems == []
    counts = {name: data.num_rows for name, data in staging.tables().items()}
    assert counts == {
        "patients": 1,
        "encounters": 1,
        "conditions": 1,
        "observations": 4,  # BMI, the BP panel and its two components
        "medications": 2,
        "procedures": 1,
        "notes": 1,
    }
    assert staging.not_modelled == Counter({"Claim": 1})
    assert staging.parse_quarantine == {}


def test_patient_fields_map_to_the_model() -> None:
    (patient,) = _rows(_read(BUNDLE), "patients")
    assert patient["nhs_number"] == "9434765919"
    assert patient["given_name"] == "Alex Jo"
    assert patient["family_name"] == "Testpatient"
    assert str(patient["date_of_birth"]) == "1970-03-14"
    assert patient["sex"] == "female"
    assert patient["ethnicity"] == "A"
    assert patient["postcode"] == "LS1 4AP"
    assert patient["address_line"] == "1 Example Street"
    assert patient["practice_code"] == "B86001"
    assert patient["date_of_death"] is None


def test_references_resolve_through_fullurls_and_codes_prefer_snomed() -> None:
    staging = _read(BUNDLE)
    (encounter,) = _rows(staging, "encounters")
    assert encounter["encounter_class"] == "ambulatory"
    assert encounter["organisation_code"] == "B86001"
    (condition,) = _rows(staging, "conditions")
    assert condition["patient_id"] == encounter["patient_id"]
    assert condition["encounter_id"] == encounter["encounter_id"]
    assert (condition["code_system"], condition["code"]) == ("snomed", "44054006")


def test_blood_pressure_components_become_rows_of_their_own() -> None:
    rows = {r["observation_id"]: r for r in _rows(_read(BUNDLE), "observations")}
    panel_id = "8d1d6a64-3c4f-4c55-9a57-1f2b3c4d5e05"
    assert rows[panel_id]["code"] == "85354-9"
    assert rows[panel_id]["value_numeric"] is None
    systolic = rows[f"{panel_id}-component-0"]
    diastolic = rows[f"{panel_id}-component-1"]
    assert (systolic["code"], systolic["value_numeric"], systolic["unit"]) == (
        "8480-6",
        142.0,
        "mm[Hg]",
    )
    assert diastolic["value_numeric"] == 91.0
    assert systolic["observation_date"] == rows[panel_id]["observation_date"]


def test_medication_codeable_concept_and_reference_both_give_a_drug() -> None:
    rows = {r["medication_id"]: r for r in _rows(_read(BUNDLE), "medications")}
    by_concept = rows["8d1d6a64-3c4f-4c55-9a57-1f2b3c4d5e07"]
    by_reference = rows["8d1d6a64-3c4f-4c55-9a57-1f2b3c4d5e08"]
    assert (by_concept["code_system"], by_concept["code"]) == ("rxnorm", "314076")
    assert (by_reference["code_system"], by_reference["code"]) == ("dmd", "325278002")
    assert str(by_reference["end_date"]) == "2021-08-10"


def test_procedure_period_and_note_text() -> None:
    staging = _read(BUNDLE)
    (procedure,) = _rows(staging, "procedures")
    assert str(procedure["procedure_date"]) == "2021-05-10"
    (note,) = _rows(staging, "notes")
    assert note["text"].startswith("Seen for review.")
    assert note["note_type"] == "consultation"


def test_ndjson_references_cross_files(tmp_path: Path) -> None:
    bundle = json.loads(BUNDLE.read_text())
    type_of = {e["resource"]["id"]: e["resource"]["resourceType"] for e in bundle["entry"]}
    by_type: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        text = re.sub(
            r"urn:uuid:([0-9a-f-]{36})",
            lambda m: f"{type_of[m.group(1)]}/{m.group(1)}",
            json.dumps(entry["resource"]),
        )
        by_type.setdefault(entry["resource"]["resourceType"], []).append(text)
    paths = []
    # Medication deliberately read last: the request naming it waits for it.
    for kind in sorted(by_type, key=lambda k: k == "Medication"):
        path = tmp_path / f"{kind}.ndjson"
        path.write_text("\n".join(by_type[kind]) + "\n")
        paths.append(path)
    staging = _read(*paths)
    assert staging.problems == []
    assert staging.tables()["medications"].num_rows == 2
    assert staging.tables()["observations"].num_rows == 4
    assert staging.parse_quarantine == {}


def test_url_only_attachment_is_quarantined_not_invalid(tmp_path: Path) -> None:
    bundle = json.loads(BUNDLE.read_text())
    attachment = bundle["entry"][9]["resource"]["content"][0]["attachment"]
    del attachment["data"]
    attachment["url"] = "https://example.org/notes/1"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    staging = _read(path)
    assert staging.problems == []
    assert list(staging.parse_quarantine.values()) == [
        "entry[9].resource.content[0].attachment is not inline (url only); "
        "the haven fetches nothing"
    ]


def test_bad_base64_is_invalid_input(tmp_path: Path) -> None:
    bundle = json.loads(BUNDLE.read_text())
    bundle["entry"][9]["resource"]["content"][0]["attachment"]["data"] = "%%%not base64"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    (problem,) = _read(path).problems
    assert (problem.position, problem.field) == (9, "entry[9].resource.content[0].attachment.data")


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="Synthea sample data not present in ../shared")
def test_real_synthea_bundles_load_every_modelled_resource() -> None:
    files = sorted(SYNTHEA.glob("*.json"))
    expected: Counter[str] = Counter()
    others: Counter[str] = Counter()
    for path in files:
        for entry in json.loads(path.read_text())["entry"]:
            kind = entry["resource"]["resourceType"]
            (expected if kind in MAPPERS else others)[kind] += 1
    staging = _read(*files)
    assert staging.problems == []
    _, _, units = staging.item_arrays()
    loaded = Counter(staging.units[u] for u in units.tolist())
    assert loaded == expected
    assert staging.not_modelled == others
    assert staging.tables()["patients"]["nhs_number"].null_count == len(files)
    for notes in staging.absent.values():
        assert notes["Patient: nhs_number absent"] == 1
        assert notes["Patient: ethnicity given as US Core race/ethnicity, not mapped"] == 1

"""Writing a population as FHIR R4, and reading it back to the same rows."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from openhaven.core.errors import InvalidInput
from openhaven.records.fhir.reader import FhirReader
from openhaven.records.fhir.writer import write_bundles, write_ndjson
from openhaven.records.ingest.staging import Staging
from openhaven.records.schema import TABLES_BY_NAME
from openhaven.records.store import conform

D = date.fromisoformat


def _table(name: str, rows: list[dict[str, object]]) -> pa.Table:
    spec = TABLES_BY_NAME[name]
    return conform(spec, pa.Table.from_pylist(rows, schema=spec.arrow_schema()))


def tiny_population() -> dict[str, pa.Table]:
    """Three patients touching every column, null and not, and ids that are not uuids."""
    patients = [
        dict(patient_id="P1", nhs_number="9434765919", given_name="Ann Marie",
             family_name="Smith", date_of_birth=D("1950-01-02"), sex="female",
             ethnicity="A", address_line="1 High Street", postcode="LS1 4AP",
             phone="0113 496 0000", practice_code="B86001", date_of_death=D("2020-02-03")),
        dict(patient_id="P2", nhs_number=None, given_name=None, family_name=None,
             date_of_birth=D("1999-12-31"), sex="unknown", ethnicity=None, address_line=None,
             postcode=None, phone=None, practice_code=None, date_of_death=None),
        dict(patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f", nhs_number="4010232137",
             given_name="Óscar", family_name="Núñez", date_of_birth=D("1985-06-15"),
             sex="male", ethnicity="M", address_line="Flat 2", postcode="M1 1AE",
             phone=None, practice_code="P84001", date_of_death=None),
    ]  # fmt: skip
    encounters = [
        dict(encounter_id="E1", patient_id="P1", encounter_class="ambulatory",
             code_system="snomed", code="185349003", display="Check up",
             start_date=D("2019-01-01"), end_date=D("2019-01-01"), organisation_code="B86001"),
        dict(encounter_id="E2", patient_id="P2", encounter_class="other", code_system=None,
             code=None, display=None, start_date=D("2020-05-05"), end_date=None,
             organisation_code=None),
        dict(encounter_id="E3", patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f",
             encounter_class="inpatient", code_system="snomed", code="32485007",
             display=None, start_date=D("2021-03-01"), end_date=D("2021-03-04"),
             organisation_code="RR801"),
    ]  # fmt: skip
    conditions = [
        dict(condition_id="C1", patient_id="P1", encounter_id="E1", code_system="icd10",
             code="I10", display="Hypertension", onset_date=D("2019-01-01"),
             resolved_date=None),
        dict(condition_id="C2", patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f",
             encounter_id=None, code_system="snomed", code="195967001", display="Asthma",
             onset_date=D("1990-01-01"), resolved_date=D("2000-01-01")),
    ]  # fmt: skip
    observations = [
        dict(observation_id="O1", patient_id="P1", encounter_id="E1", code_system="snomed",
             code="163030003", display="Systolic", observation_date=D("2019-01-01"),
             value_numeric=150.0, value_text=None, unit="mm[Hg]"),
        dict(observation_id="O2", patient_id="P1", encounter_id=None, code_system="snomed",
             code="77176002", display="Smoker", observation_date=D("2019-01-01"),
             value_numeric=None, value_text="current", unit=None),
        dict(observation_id="O3", patient_id="P2", encounter_id="E2", code_system="other",
             code="X-1", display=None, observation_date=D("2020-05-05"),
             value_numeric=None, value_text=None, unit=None),
    ]  # fmt: skip
    medications = [
        dict(medication_id="M1", patient_id="P1", encounter_id="E1", code_system="dmd",
             code="325278002", display="Metformin", start_date=D("2019-01-01"),
             end_date=D("2019-06-01")),
        dict(medication_id="M2", patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f",
             encounter_id=None, code_system="rxnorm", code="314076", display=None,
             start_date=D("2021-03-02"), end_date=None),
    ]  # fmt: skip
    procedures = [
        dict(procedure_id="R1", patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f",
             encounter_id="E3", code_system="snomed", code="80146002", display="Appendectomy",
             procedure_date=D("2021-03-02")),
    ]  # fmt: skip
    notes = [
        dict(note_id="N1", patient_id="P1", encounter_id="E1", note_date=D("2019-01-01"),
             note_type="consultation", text="Ann seen today.\nBP high — review."),
        dict(note_id="N2", patient_id="5f0c3d2e-1b4a-4c8e-9f7d-6a5b4c3d2e1f",
             encounter_id="E3", note_date=D("2021-03-04"), note_type="discharge_summary",
             text="Discharged well."),
        dict(note_id="N3", patient_id="P2", encounter_id=None, note_date=D("2020-05-06"),
             note_type="letter", text="Letter."),
    ]  # fmt: skip
    return {
        "patients": _table("patients", patients),
        "encounters": _table("encounters", encounters),
        "conditions": _table("conditions", conditions),
        "observations": _table("observations", observations),
        "medications": _table("medications", medications),
        "procedures": _table("procedures", procedures),
        "notes": _table("notes", notes),
    }


def _read_back(paths: list[Path]) -> dict[str, pa.Table]:
    staging = Staging()
    reader = FhirReader(staging)
    for path in paths:
        if path.suffix == ".ndjson":
            reader.read_ndjson(path, path.name)
        else:
            reader.read_json(path, path.name)
    reader.finish()
    assert staging.problems == []
    assert staging.parse_quarantine == {}
    return {name: data.drop_columns(["_item"]) for name, data in staging.tables().items()}


def _sorted_rows(population: dict[str, pa.Table]) -> dict[str, list[dict[str, object]]]:
    return {
        name: sorted(data.to_pylist(), key=lambda row: str(row[TABLES_BY_NAME[name].key]))
        for name, data in population.items()
        if data.num_rows
    }


@pytest.mark.parametrize("form", ["transaction", "collection", "ndjson"])
def test_round_trip_gives_the_same_rows(tmp_path: Path, form: str) -> None:
    population = tiny_population()
    if form == "ndjson":
        counts = write_ndjson(population, tmp_path)
        assert counts["Patient.ndjson"] == 3
        paths = sorted(tmp_path.glob("*.ndjson"))
    else:
        assert write_bundles(population, tmp_path, bundle_type=form) == 3
        paths = sorted(tmp_path.glob("*.json"))
    assert _sorted_rows(_read_back(paths)) == _sorted_rows(population)


def test_bundles_are_transactions_with_uuid_fullurls_and_internal_references(
    tmp_path: Path,
) -> None:
    write_bundles(tiny_population(), tmp_path)
    bundles = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    first = next(b for b in bundles if b["entry"][0]["resource"]["id"] == "P1")
    full_urls = {e["fullUrl"] for e in first["entry"]}
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    assert [e["request"]["method"] for e in first["entry"]] == ["PUT"] * len(first["entry"])
    for entry in first["entry"][1:]:
        assert entry["resource"]["subject"]["reference"] in full_urls
    patient = first["entry"][0]["resource"]
    assert patient["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}
    ]
    assert patient["generalPractitioner"][0]["identifier"] == {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code",
        "value": "B86001",
    }
    note = next(e["resource"] for e in first["entry"] if e["resource"]["id"] == "N1")
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode()
    assert text == "Ann seen today.\nBP high — review."
    # File names carry the patient's uuid, never a name.
    assert all("Smith" not in p.name for p in tmp_path.iterdir())


def test_ndjson_references_are_relative(tmp_path: Path) -> None:
    write_ndjson(tiny_population(), tmp_path)
    lines = (tmp_path / "Condition.ndjson").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["subject"] == {"reference": "Patient/P1"}
    assert first["encounter"] == {"reference": "Encounter/E1"}


def test_unknown_bundle_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_bundles(tiny_population(), tmp_path, bundle_type="history")


def test_generated_population_round_trips_if_the_generator_exists(tmp_path: Path) -> None:
    generator = pytest.importorskip("openhaven.records.generator")
    generate = getattr(generator, "generate_population", None)
    if generate is None:
        pytest.skip("openhaven.records.generator.generate_population is not available yet")
    try:
        population = generate(40, seed=7)
    except TypeError:
        population = generate(40)
    write_ndjson(population, tmp_path / "ndjson")
    back = _read_back(sorted((tmp_path / "ndjson").glob("*.ndjson")))
    typed = {name: conform(TABLES_BY_NAME[name], data) for name, data in population.items()}
    assert _sorted_rows(back) == _sorted_rows(typed)

"""Ingest of the project's own layout (<table>.parquet / <table>.csv) and the format registry."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.records.ingest import (
    Staging,
    format_for,
    ingest_paths,
    register_format,
    unregister_format,
)
from openhaven.records.store import open_store, row_counts

PATIENTS_CSV = (
    "patient_id,nhs_number,given_name,family_name,date_of_birth,sex,ethnicity,"
    "address_line,postcode,phone,practice_code,date_of_death\n"
    "p1,9434765919,Ann,Smith,1950-01-02,female,A,1 High St,LS1 4AP,,B86001,\n"
    'p2,,"Bo, Jr",Jones,1960-07-08,male,,,,,,2020-01-01\n'
)
OBSERVATIONS_CSV = (
    "observation_id,patient_id,encounter_id,code_system,code,display,observation_date,"
    "value_numeric,value_text,unit\n"
    "o1,p1,,snomed,163030003,Systolic,2019-01-01,150,,mm[Hg]\n"
    "o2,p2,,snomed,77176002,Smoker,2019-02-01,,current,\n"
)


def _layout(
    folder: Path, patients: str = PATIENTS_CSV, observations: str = OBSERVATIONS_CSV
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text(patients)
    (folder / "observations.csv").write_text(observations)
    return folder


def test_csv_layout_loads_by_table(haven: Haven, tmp_path: Path) -> None:
    result = ingest_paths(haven, [_layout(tmp_path / "in")])
    assert result.ingested == {"patients": 2, "observations": 2}
    assert result.quarantined == {}
    with open_store(haven.paths.record_store, read_only=True) as session:
        assert row_counts(session)["observations"] == 2
        given = session.query("SELECT given_name FROM patients ORDER BY patient_id")
    assert given["given_name"].to_pylist() == ["Ann", "Bo, Jr"]
    again = ingest_paths(haven, [tmp_path / "in"])
    assert again.rows == {"patients": 2, "observations": 2}


def test_csv_type_errors_name_file_line_and_column(haven: Haven, tmp_path: Path) -> None:
    broken = OBSERVATIONS_CSV.replace("2019-02-01", "01/02/2019").replace(",150,", ",high,")
    folder = _layout(tmp_path / "in", observations=broken)
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [folder])
    found = {
        (d["file"].rsplit("/", 1)[-1], d.get("line"), d.get("field")) for d in caught.value.details
    }
    assert found == {
        ("observations.csv", 2, "value_numeric"),
        ("observations.csv", 3, "observation_date"),
    }
    assert "01/02/2019" not in json.dumps(caught.value.as_dict())
    assert not haven.paths.record_store.exists()


def test_csv_missing_required_value_and_unknown_column(haven: Haven, tmp_path: Path) -> None:
    patients = PATIENTS_CSV.replace("1960-07-08", "").replace("date_of_death", "died")
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [_layout(tmp_path / "in", patients=patients)])
    found = {(d.get("line"), d.get("field"), d["problem"]) for d in caught.value.details}
    assert (None, "died", "has a column not in patients") in found
    assert (3, "date_of_birth", "is required but empty") in found


def test_csv_without_a_header_repeats_none_of_its_first_row(haven: Haven, tmp_path: Path) -> None:
    headerless = PATIENTS_CSV.split("\n", 1)[1]
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [_layout(tmp_path / "in", patients=headerless)])
    text = json.dumps(caught.value.as_dict())
    assert "(no header row?)" in text
    for value in ("9434765919", "Smith", "LS1 4AP"):
        assert value not in text


def test_csv_with_a_ragged_row_names_its_line(haven: Haven, tmp_path: Path) -> None:
    folder = _layout(tmp_path / "in", observations=OBSERVATIONS_CSV + "o3,p1\n")
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [folder / "observations.csv"])
    assert caught.value.details[0]["line"] == 4


def test_parquet_layout_and_its_type_errors(haven: Haven, tmp_path: Path) -> None:
    table = pa.table(
        {
            "patient_id": ["p9"],
            "date_of_birth": pa.array(["1970-01-01"]),
            "sex": ["female"],
            "nhs_number": ["4010232137"],
        }
    )
    pq.write_table(table, tmp_path / "patients.parquet")
    result = ingest_paths(haven, [tmp_path / "patients.parquet"])
    assert result.ingested == {"patients": 1}

    bad = table.set_column(1, "date_of_birth", pa.array(["1970-13-01"]))
    pq.write_table(bad, tmp_path / "patients.parquet")
    with pytest.raises(InvalidInput) as caught:
        ingest_paths(haven, [tmp_path / "patients.parquet"])
    (detail,) = caught.value.details
    assert (detail["row"], detail["field"]) == (1, "date_of_birth")

    wrong_type = table.set_column(2, "sex", pa.array([1.5]))
    pq.write_table(wrong_type, tmp_path / "patients.parquet")
    with pytest.raises(InvalidInput):
        ingest_paths(haven, [tmp_path / "patients.parquet"])


def test_table_rows_are_quarantined_by_the_same_rules(haven: Haven, tmp_path: Path) -> None:
    patients = PATIENTS_CSV.replace("9434765919", "9434765918")
    observations = OBSERVATIONS_CSV.replace("o2,p2", "o2,p3")
    result = ingest_paths(haven, [_layout(tmp_path / "in", patients, observations)])
    assert result.quarantined == {"patients": 1, "observations": 2}
    report = json.loads(result.report.read_text())
    by_line = {(q["file"].rsplit("/", 1)[-1], q["line"]): q["reason"] for q in report["quarantine"]}
    assert by_line == {
        ("patients.csv", 2): "nhs_number check digit does not match (Modulus 11)",
        ("observations.csv", 2): "refers to a patient that was quarantined",
        ("observations.csv", 3): "refers to a patient in neither the input nor the record store",
    }


class _PipeSeparatedPatients:
    """A third party's format: ``*.psv`` files of patient id|date of birth|sex."""

    def __init__(self, staging: Staging) -> None:
        self.staging = staging

    def read(self, path: Path, name: str) -> None:
        file_index = self.staging.add_file(name, "line")
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            patient_id, born, sex = line.split("|")
            item = self.staging.new_item(file_index, number, "patients")
            row = (patient_id, None, None, None, born, sex, None, None, None, None, None, None)
            self.staging.add_row("patients", item, row)

    def finish(self) -> None:
        pass


def test_a_registered_format_is_used_like_the_built_ins(haven: Haven, tmp_path: Path) -> None:
    path = tmp_path / "people.psv"
    path.write_text("x1|1980-01-01|female\nx2|1990-02-02|male\n")
    assert format_for(path) is None
    register_format(
        "pipe-patients",
        detect=lambda p: p.suffix == ".psv",
        open_reader=_PipeSeparatedPatients,
        description="patients as id|date of birth|sex",
    )
    try:
        found = format_for(path)
        assert found is not None and found.name == "pipe-patients"
        result = ingest_paths(haven, [path])
        assert result.ingested == {"patients": 2}
    finally:
        unregister_format("pipe-patients")
    assert format_for(path) is None

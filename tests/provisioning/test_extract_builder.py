"""Spec tests for building an extract: tiny input tables, the expected extract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from openhaven.core.errors import InvalidInput, SafeguardRefused
from openhaven.engine import open_session
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.provisioning.specification import DEMO_SPECIFICATION, DatasetSpecification
from openhaven.records.store import open_store, upsert_all

MASTER = bytes(range(32))
A, B, C = "9434765919", "9434765870", "4010232137"


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "records.duckdb"
    patients = pa.table(
        {
            "patient_id": ["p1", "p2", "p3", "p4"],
            "nhs_number": [A, B, C, None],
            "given_name": ["Ann", "Bob", "Cat", "Dan"],
            "date_of_birth": [dt.date(1950, 3, 4), dt.date(1980, 1, 2),
                              dt.date(2001, 7, 8), dt.date(1999, 9, 9)],
            "sex": ["female", "male", "female", "male"],
            "postcode": ["LS1 4AP", "M1 1AE", "SW1A 1AA", None],
        }
    )
    conditions = pa.table(
        {
            "condition_id": ["c1", "c2", "c3"],
            "patient_id": ["p1", "p2", "p2"],
            "code_system": ["snomed"] * 3,
            "code": ["38341003", "44054006", "38341003"],
            "onset_date": [dt.date(2020, 5, 17), dt.date(2019, 2, 3), dt.date(2021, 12, 31)],
        }
    )
    with open_store(path) as session:
        upsert_all(session, {"patients": patients, "conditions": conditions})
    return path


def _read(path: Path, sql: str) -> list[tuple]:
    with open_session(path, read_only=True) as session:
        return [tuple(r.values()) for r in session.query(sql).to_pylist()]


def test_opted_out_patient_and_their_events_are_absent(tmp_path: Path) -> None:
    spec = DatasetSpecification.from_dict(DEMO_SPECIFICATION)
    key = project_key(MASTER, "OH-2026-0001")
    build = build_extract(
        _store(tmp_path), tmp_path / "v1", specification=spec, project_key=key,
        opted_out_nhs_numbers=[B],
    )
    assert build.patient_count == 3
    assert build.removed_by_choices == 1
    opted_out_pseudonym = pseudonymise(key, patient_token(B, "p2"))
    pseudonyms = {r[0] for r in _read(build.path, "SELECT pseudonym FROM patients")}
    assert opted_out_pseudonym not in pseudonyms
    assert build.row_counts["conditions"] == 1  # p2's two conditions are gone
    assert _read(build.path, "SELECT pseudonym, code, onset_date FROM conditions") == [
        (pseudonymise(key, patient_token(A, "p1")), "38341003", dt.date(2020, 5, 1))
    ]


def test_generalised_fields_and_no_direct_identifiers(tmp_path: Path) -> None:
    spec = DatasetSpecification.from_dict(DEMO_SPECIFICATION)
    build = build_extract(
        _store(tmp_path), tmp_path / "v1", specification=spec,
        project_key=project_key(MASTER, "P"), opted_out_nhs_numbers=[],
    )
    columns = [r[0] for r in _read(
        build.path,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'patients' "
        "ORDER BY ordinal_position",
    )]
    assert columns == ["pseudonym", "date_of_birth_year", "sex", "ethnicity",
                       "postcode_district", "date_of_death"]
    rows = _read(build.path, "SELECT date_of_birth_year, postcode_district FROM patients")
    assert sorted(rows, key=str) == sorted(
        [(1950, "LS1"), (1980, "M1"), (2001, "SW1A"), (1999, None)], key=str
    )
    text = build.path.read_bytes()
    for identifier in (A.encode(), B.encode(), b"Ann", b"LS1 4AP"):
        assert identifier not in text


def test_pseudonyms_stable_within_and_unlinkable_across_projects(tmp_path: Path) -> None:
    spec = DatasetSpecification.from_dict(DEMO_SPECIFICATION)
    store = _store(tmp_path)
    runs = [
        build_extract(store, tmp_path / name, specification=spec,
                      project_key=project_key(MASTER, ref), opted_out_nhs_numbers=[])
        for name, ref in (("a1", "OH-1"), ("a2", "OH-1"), ("b1", "OH-2"))
    ]
    assert runs[0].pseudonyms == runs[1].pseudonyms
    assert runs[0].patients_digest == runs[1].patients_digest
    assert not set(runs[0].pseudonyms) & set(runs[2].pseudonyms)


def test_failed_build_leaves_no_partial_extract(tmp_path: Path) -> None:
    spec = DatasetSpecification({"tables": {"patients": {"patient_id": "pseudonymise"},
                                            "no_such_table": {}}})
    with pytest.raises(KeyError):
        build_extract(_store(tmp_path), tmp_path / "v1", specification=spec,
                      project_key=b"k" * 32, opted_out_nhs_numbers=[])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.duckdb"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"tables": {}}, "tables"),
        ({"tables": {"people": {"patient_id": "pseudonymise"}}}, "tables.people"),
        ({"tables": {"patients": {"sex": "keep"}}}, "tables.patients.patient_id"),
        ({"tables": {"patients": {"patient_id": "pseudonymise", "shoe": "keep"}}},
         "tables.patients.shoe"),
        ({"tables": {"patients": {"patient_id": "pseudonymise", "sex": "blur"}}},
         "tables.patients.sex"),
        ({"tables": {"patients": {"patient_id": "pseudonymise", "sex": "year"}}},
         "tables.patients.sex"),
    ],
)
def test_specification_errors_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        DatasetSpecification.from_dict(raw)
    assert caught.value.location is not None
    assert caught.value.location.field == field


def test_direct_identifiers_need_identifiable_approval() -> None:
    spec = DatasetSpecification.from_dict(
        {"tables": {"patients": {"patient_id": "pseudonymise", "nhs_number": "keep"}}}
    )
    with pytest.raises(SafeguardRefused):
        spec.check_identifiability("pseudonymised")
    spec.check_identifiability("identifiable")

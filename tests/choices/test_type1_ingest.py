"""Type 1 objections keep GP-sourced records of objectors out of the record store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from openhaven.choices import service, type1
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.records.ingest import ingest_paths
from openhaven.records.store import open_store

OBJECTOR, OTHER = "9434765919", "9434765870"
PATIENTS = (
    "patient_id,nhs_number,date_of_birth,sex\n"
    f"p1,{OBJECTOR},1950-01-02,female\n"
    f"p2,{OTHER},1960-07-08,male\n"
    "p3,,1970-03-04,male\n"
)
OBSERVATIONS = (
    "observation_id,patient_id,code_system,code,observation_date\n"
    "o1,p1,snomed,163030003,2019-01-01\n"
    "o2,p2,snomed,163030003,2019-01-01\n"
    "o3,p3,snomed,163030003,2019-01-01\n"
)


def _files(folder: Path, observations: str = OBSERVATIONS, patients: str = PATIENTS) -> Path:
    folder.mkdir(parents=True)
    (folder / "patients.csv").write_text(patients)
    (folder / "observations.csv").write_text(observations)
    return folder


def _ids(haven: Haven, table: str) -> list[str]:
    with open_store(haven.paths.record_store, read_only=True) as store:
        return sorted(store.query(f"SELECT patient_id FROM {table}")
                      .column("patient_id").to_pylist())


def test_gp_records_of_objectors_never_reach_the_store(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    service.record_choice(session, haven, nhs_number=OBJECTOR, choice="type-1", channel="gp",
                          recorded_by="gp:B86001",
                          effective_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    service.record_choice(session, haven, nhs_number=OTHER, channel="web", recorded_by="p")
    result, found = type1.ingest_gp_records(session, haven, [_files(tmp_path / "gp")],
                                            actor="custodian")
    assert result.rows == {"patients": 2, "observations": 2}
    assert _ids(haven, "patients") == ["p2", "p3"]
    assert _ids(haven, "observations") == ["p2", "p3"]
    assert found.withheld_patients == 1 and found.withheld_rows["observations"] == 1
    entry = [e for e in read_entries(haven) if e.action == "records.type1_withheld"][-1]
    assert entry.details["patients"] == 1 and OBJECTOR not in str(entry.details)
    later = "observation_id,patient_id,code_system,code,observation_date\n" \
            "o9,p1,snomed,163030003,2020-01-01\n"
    type1.ingest_gp_records(session, haven, [_files(tmp_path / "gp2", later, PATIENTS)],
                            actor="custodian")
    assert "p1" not in _ids(haven, "observations")


def test_an_objector_already_in_the_store_gets_no_new_gp_rows(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    ingest_paths(haven, [_files(tmp_path / "hospital")])  # not GP-sourced: no filter
    service.record_choice(session, haven, nhs_number=OBJECTOR, choice="type-1", channel="gp",
                          recorded_by="gp:B86001")
    only_events = "observation_id,patient_id,code_system,code,observation_date\n" \
                  "o7,p1,snomed,163030003,2021-01-01\no8,p2,snomed,163030003,2021-01-01\n"
    folder = tmp_path / "gp"
    folder.mkdir()
    (folder / "observations.csv").write_text(only_events)
    type1.ingest_gp_records(session, haven, [folder], actor="custodian")
    with open_store(haven.paths.record_store, read_only=True) as store:
        ids = store.query("SELECT observation_id FROM observations ORDER BY observation_id")
    assert ids.column("observation_id").to_pylist() == ["o1", "o2", "o3", "o8"]

"""Key rotation and custodian re-identification, through the service on a real haven."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from pipeline_fixtures import GENERALISED, NHS_NUMBERS, approved_project, write_population
from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, NotFound, PermissionDenied, SafeguardRefused
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.provisioning import repository
from openhaven.provisioning.key_epochs import reidentify, rotate_key
from openhaven.provisioning.service import provision_extract

AT = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
REASON = "Safeguarding case 42 referred by the data protection officer"


def _pseudonyms(haven: Haven, path: str) -> list[str]:
    folder = (haven.home / path).parent
    return [str(p) for p in pq.read_table(folder / "tables" / "patients.parquet")
            .column("pseudonym").to_pylist()]


def _ledger_text(haven: Haven) -> str:
    return "\n".join(p.read_text() for p in haven.home.rglob("*.jsonl"))


@pytest.fixture
def project_ref(session: Session, haven: Haven) -> str:
    write_population(haven.paths.record_store)
    return str(approved_project(session, haven, GENERALISED, suffix="k").reference)


def test_reidentification_finds_the_patient_and_is_recorded(
    session: Session, haven: Haven, project_ref: str
) -> None:
    report = provision_extract(session, haven, project_ref, actor="custodian", cut_off=AT)
    pseudonym = _pseudonyms(haven, report.path)[0]
    found = reidentify(session, haven, project_ref, pseudonym, actor="custodian",
                       reason=REASON)
    assert found.found and found.nhs_number in NHS_NUMBERS and found.key_epoch == 1
    project = governance.get_project(session, project_ref)
    [logged] = repository.list_reidentifications(session, project.id)
    assert (logged.pseudonym, logged.found, logged.reason) == (pseudonym, True, REASON)
    ledger = _ledger_text(haven)
    assert "pseudonym.reidentified" in ledger and REASON in ledger
    assert found.nhs_number is not None and found.nhs_number not in ledger


def test_rotation_changes_every_pseudonym_and_old_ones_stay_reidentifiable(
    session: Session, haven: Haven, project_ref: str
) -> None:
    before = provision_extract(session, haven, project_ref, actor="custodian", cut_off=AT)
    assert before.key_epoch == 1
    assert rotate_key(session, haven, project_ref, actor="custodian", reason=REASON) == 2
    after = provision_extract(session, haven, project_ref, actor="custodian", cut_off=AT)
    assert after.key_epoch == 2
    old, new = _pseudonyms(haven, before.path), _pseudonyms(haven, after.path)
    assert len(old) == len(new) == 120 and not set(old) & set(new)
    assert before.patients_digest != after.patients_digest
    again = reidentify(session, haven, project_ref, old[3], actor="custodian", reason=REASON)
    assert again.found and again.key_epoch == 1
    assert "pseudonym_key.rotated" in _ledger_text(haven)


@pytest.mark.parametrize(("pseudonym", "reason", "field_name"), [
    ("0" * 24, "short", "reason"),
    ("0" * 24, "Patient 943 476 5919 asked", "reason"),
    ("not-a-pseudonym", REASON, "pseudonym"),
])
def test_reidentification_needs_a_reason_and_a_pseudonym(
    session: Session, haven: Haven, project_ref: str, pseudonym: str, reason: str,
    field_name: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        reidentify(session, haven, project_ref, pseudonym, actor="custodian", reason=reason)
    assert caught.value.location is not None and caught.value.location.field == field_name
    assert "943" not in str(caught.value)


def test_unknown_pseudonym_is_logged_as_not_found(
    session: Session, haven: Haven, project_ref: str
) -> None:
    answer = reidentify(session, haven, project_ref, "ab" * 12, actor="custodian",
                        reason=REASON)
    assert not answer.found and answer.nhs_number is None
    with pytest.raises(NotFound):
        reidentify(session, haven, "OH-0000-9999", "ab" * 12, actor="custodian", reason=REASON)


def test_report_carries_agreement_privacy_and_risk(
    session: Session, haven: Haven, project_ref: str
) -> None:
    report = provision_extract(session, haven, project_ref, actor="custodian", cut_off=AT)
    assert report.risk["records"] == 120 and report.risk["summary"]
    assert report.privacy == {"models": []}
    assert len(report.manifest_digest) == 64
    entry = [json.loads(line) for line in _ledger_text(haven).splitlines()
             if "extract.provisioned" in line][-1]
    assert report.patients_digest in json.dumps(entry)


def test_a_model_the_extract_misses_leaves_no_extract_and_no_record(
    session: Session, haven: Haven
) -> None:
    write_population(haven.paths.record_store)
    strict = {**GENERALISED, "privacy": {"quasi_identifiers": ["age_band", "sex"], "k": 500}}
    project = approved_project(session, haven, strict, suffix="s")
    with pytest.raises(SafeguardRefused):
        provision_extract(session, haven, project.reference, actor="custodian", cut_off=AT)
    assert repository.list_extracts(session, project.id) == []
    folder = haven.paths.project(project.reference) / "extracts"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_person_without_access_is_refused(session: Session, haven: Haven,
                                            project_ref: str) -> None:
    stranger = governance.register_person(
        session, haven, display_name="Stranger", email="stranger@elsewhere.org",
        roles=["researcher"], organisation=None, actor="custodian")
    with pytest.raises(PermissionDenied):
        provision_extract(session, haven, project_ref, actor="custodian", cut_off=AT,
                          requested_by=stranger)

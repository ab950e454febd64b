"""FHIR Consent and GP CSV: round trips; bad input names its place and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from choice_fixtures import POOL
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db_fixtures import ENGINES, empty_database
from openhaven.choices import importing, service
from openhaven.choices.models import ChoiceEvent
from openhaven.choices.summary import patient_choices
from openhaven.core.database import migrate
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven

A, B, C = POOL[:3]
DAY = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _history(session: Session, haven: Haven) -> None:
    service.record_choice(session, haven, nhs_number=A, channel="web", recorded_by="patient",
                          effective_at=DAY)
    service.record_choice(session, haven, nhs_number=A, value="withdraw", channel="phone",
                          recorded_by="staff:7", effective_at=DAY + dt.timedelta(days=3))
    service.record_choice(session, haven, nhs_number=B, channel="paper", recorded_by="proxy:2",
                          acting_as="lasting_power_of_attorney", effective_at=DAY)
    service.record_choice(session, haven, nhs_number=C, choice="type-1", channel="gp",
                          recorded_by="gp:B82005", effective_at=DAY - dt.timedelta(days=9))


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ChoiceEvent)) or 0)


@pytest.fixture(params=ENGINES)
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A second, brand-new governance database: the fresh haven of the round trip."""
    with empty_database(request.param, tmp_path / "fresh") as engine:
        (tmp_path / "fresh").mkdir(exist_ok=True)
        migrate(engine)
        yield engine


@pytest.mark.parametrize("export_format", ["bundle", "ndjson"])
def test_export_then_import_into_a_fresh_haven_gives_the_same_state_and_history(
    session: Session, haven: Haven, fresh_engine: Engine, tmp_path: Path, export_format: str
) -> None:
    _history(session, haven)
    path = tmp_path / f"choices.{'json' if export_format == 'bundle' else 'ndjson'}"
    path.write_text(importing.export_choices(session, haven, export_format=export_format))
    fresh = Haven.open(tmp_path / "fresh-haven")
    with Session(fresh_engine) as other:
        result = importing.import_choices_file(other, fresh, path, imported_by="custodian")
        assert result["imported"] == 4
        for number in (A, B, C):
            before = patient_choices(session, haven, number)
            after = patient_choices(other, fresh, number)
            assert after["current"] == before["current"]
            strip = [{k: v for k, v in e.items() if k not in ("id", "reference")}
                     for e in before["history"]]
            assert [{k: v for k, v in e.items() if k not in ("id", "reference")}
                    for e in after["history"]] == strip
        other.rollback()
    assert patient_choices(session, haven, A)["current"]["research-and-planning"] == "not-set"
    assert patient_choices(session, haven, B)["current"]["research-and-planning"] == "opted-out"


def _consent(number: str, **changes: object) -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number",
                                   "value": number}},
        "dateTime": "2026-02-01T10:00:00+00:00",
        "provision": {"type": "deny", "period": {"start": "2026-02-01"},
                      "purpose": [{"system":
                                   "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                   "code": "HRESCH"}]},
    }
    resource.update(changes)
    return resource


def test_a_plain_consent_resource_is_an_opt_out_and_permit_a_withdrawal(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    single = tmp_path / "one.json"
    single.write_text(json.dumps(_consent(A)))
    assert importing.import_choices_file(session, haven, single, imported_by="c")["format"] \
        == "fhir-json"
    assert patient_choices(session, haven, A)["current"]["research-and-planning"] == "opted-out"
    later = _consent(A, dateTime="2026-02-02T10:00:00+00:00",
                     provision={"type": "permit", "period": {"start": "2026-02-02"}})
    single.write_text(json.dumps(later))
    importing.import_choices_file(session, haven, single, imported_by="c")
    assert patient_choices(session, haven, A)["current"]["research-and-planning"] == "not-set"


def test_a_bad_bundle_entry_is_named_and_nothing_is_imported(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _consent(A)},
        {"resource": _consent(B, status="proposed")},
        {"resource": _consent("1234567890")},
    ]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    with pytest.raises(InvalidInput) as caught:
        importing.import_choices_file(session, haven, path, imported_by="c")
    error = caught.value
    assert error.location is not None
    assert (error.location.entry, error.location.field) == (2, "status")
    assert {(d["entry"], d["field"]) for d in error.details} == {
        (2, "status"), (3, "patient.identifier.value")}
    assert "1234567890" not in json.dumps(error.as_dict()) and B not in str(error)
    assert _count(session) == 0


def test_a_bad_ndjson_line_is_named_and_nothing_is_imported(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    path = tmp_path / "consents.ndjson"
    path.write_text(json.dumps(_consent(A)) + "\n" + "{not json\n"
                    + json.dumps(_consent(B, provision={"type": "deny"},
                                          dateTime=None)) + "\n")
    with pytest.raises(InvalidInput) as caught:
        importing.import_choices_file(session, haven, path, imported_by="c")
    assert [(d["line"], d["field"]) for d in caught.value.details] == [
        (2, "line"), (3, "provision.period.start")]
    assert _count(session) == 0


def test_gp_csv_type_1_rows_import_and_a_bad_row_changes_nothing(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    good = tmp_path / "type1.csv"
    good.write_text(
        "nhs_number,status,effective_date,practice_code\n"
        f"{A},827241000000103,2026-01-05,B82005\n"
        f"{B},opt-out,2026-01-06,b82005\n"
    )
    assert importing.import_choices_file(session, haven, good, imported_by="c")["imported"] == 2
    assert patient_choices(session, haven, A)["current"]["type-1"] == "opted-out"
    history = patient_choices(session, haven, B)["history"]
    assert (history[0]["channel"], history[0]["recorded_by"]) == ("gp", "gp:B82005")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "nhs_number,status,effective_date,practice_code\n"
        f"{C},withdrawn,2026-01-07,B82005\n"
        f"{A},maybe,2026-01-07,B82005\n"
        f"{B},opt-out,yesterday,B82005\n"
    )
    with pytest.raises(InvalidInput) as caught:
        importing.import_choices_file(session, haven, bad, imported_by="c")
    assert [(d["line"], d["field"]) for d in caught.value.details] == [
        (3, "status"), (4, "effective_date")]
    assert _count(session) == 2
    exported = importing.export_choices(session, haven, export_format="csv").splitlines()
    assert exported[0].startswith("nhs_number,status,effective_date,practice_code")
    assert len(exported) == 3


def test_a_csv_missing_a_column_is_refused_at_the_header(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    path = tmp_path / "short.csv"
    path.write_text(f"nhs_number,status\n{A},opt-out\n")
    with pytest.raises(InvalidInput) as caught:
        importing.import_choices_file(session, haven, path, imported_by="c")
    assert caught.value.location is not None and caught.value.location.line == 1
    assert _count(session) == 0


def test_importing_the_same_file_twice_changes_nothing(
    session: Session, haven: Haven, tmp_path: Path
) -> None:
    _history(session, haven)
    path = tmp_path / "again.ndjson"
    path.write_text(importing.export_choices(session, haven, export_format="ndjson"))
    before = _count(session)
    assert importing.import_choices_file(session, haven, path, imported_by="c")["imported"] == 0
    assert _count(session) == before

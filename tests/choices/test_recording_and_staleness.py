"""Who may set a choice; choices persist after death; extracts go stale and refresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from choice_fixtures import POOL, approved_project, write_store
from sqlalchemy.orm import Session

from openhaven.choices import recording, staleness
from openhaven.choices.enforcement import register_wording
from openhaven.choices.exemptions import record_exemption
from openhaven.choices.summary import patient_choices
from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries
from openhaven.provisioning import repository as extracts
from openhaven.provisioning.service import provision_extract
from openhaven.transparency.register import register_entries

TODAY = utc_now().date()
CHILD, TEEN, ADULT, DIED = POOL[:4]


@pytest.fixture
def store(haven: Haven) -> Path:
    def years_ago(years: int) -> dt.date:
        return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=1)

    return write_store(
        haven.paths.record_store, [CHILD, TEEN, ADULT, DIED],
        births=[years_ago(12), years_ago(13), years_ago(40), years_ago(80)],
        deaths=[None, None, None, TODAY - dt.timedelta(days=30)],
    )


def _set(session: Session, haven: Haven, number: str, acting_as: str = "self",
         **more: object) -> recording.Confirmation:
    return recording.set_choice(session, haven, nhs_number=number, channel="web",
                                recorded_by="person:5", acting_as=acting_as, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "acting_as", "allowed"),
    [
        (CHILD, "self", False),
        (CHILD, "parental_responsibility", True),
        (TEEN, "self", True),
        (TEEN, "parental_responsibility", False),
        (TEEN, "lasting_power_of_attorney", False),
        (ADULT, "lasting_power_of_attorney", True),
        (ADULT, "court_appointed_deputy", True),
        (ADULT, "parental_responsibility", False),
    ],
)
def test_who_may_set_a_choice(
    session: Session, haven: Haven, store: Path, number: str, acting_as: str, allowed: bool
) -> None:
    if allowed:
        confirmation = _set(session, haven, number, acting_as)
        assert confirmation.reference.startswith("CH-") and confirmation.state == "opted-out"
        assert patient_choices(session, haven, number)["history"][0]["acting_as"] == acting_as
    else:
        with pytest.raises(PermissionDenied) as caught:
            _set(session, haven, number, acting_as)
        assert number not in str(caught.value)
        assert patient_choices(session, haven, number)["history"] == []


def test_a_patient_the_store_does_not_hold_needs_staff_to_record_it(
    session: Session, haven: Haven, store: Path
) -> None:
    with pytest.raises(PermissionDenied):
        _set(session, haven, POOL[6])
    unchecked = _set(session, haven, POOL[6], require_known_patient=False)
    assert (unchecked.state, unchecked.age_checked) == ("opted-out", False)
    assert _set(session, haven, ADULT).age_checked is True
    with pytest.raises(InvalidInput, match="choice"):
        _set(session, haven, ADULT, choice="marketing")


def test_a_choice_persists_after_death(session: Session, haven: Haven, store: Path) -> None:
    _set(session, haven, DIED, "lasting_power_of_attorney",
         effective_at=TODAY - dt.timedelta(days=400))
    project = approved_project(session, haven)
    report = provision_extract(session, haven, project.reference, actor="custodian")
    assert report.removed_by_choices == 1 and report.patient_count == 3


def test_a_new_opt_out_makes_extracts_stale_and_a_refresh_removes_the_patient(
    session: Session, haven: Haven, store: Path
) -> None:
    project = approved_project(session, haven)
    first = provision_extract(session, haven, project.reference, actor="custodian")
    assert first.patient_count == 4
    confirmation = _set(session, haven, ADULT)
    assert confirmation.stale_extracts == 1
    (extract,) = extracts.list_extracts(session, project.id)
    assert extract.status == "stale"
    notices = staleness.refresh_notices(session, project_id=project.id)
    assert sorted(n["recipient"] for n in notices) == ["custodian", "project"]
    stale_entry = [e for e in read_entries(haven) if e.action == "extract.marked_stale"]
    assert stale_entry and stale_entry[0].subject == project.reference
    assert ADULT not in str(stale_entry[0].details)
    refreshed = provision_extract(session, haven, project.reference, actor="custodian")
    assert (refreshed.version, refreshed.patient_count, refreshed.removed_by_choices) == (2, 3, 1)
    assert staleness.flag_stale_extracts(session, haven, actor="custodian") == []


def test_exemptions_show_on_the_register_and_in_the_report(
    session: Session, haven: Haven, store: Path
) -> None:
    _set(session, haven, ADULT, effective_at=TODAY - dt.timedelta(days=3))
    project = approved_project(session, haven)
    assert register_wording(session, project.id) == "applied"
    record_exemption(session, haven, project.reference, choice="research-and-planning",
                     basis="anonymised", approved_by="Caldicott Guardian",
                     justification="aggregate only", recorded_by="custodian",
                     valid_from=TODAY - dt.timedelta(days=10))
    report = provision_extract(session, haven, project.reference, actor="custodian")
    assert report.removed_by_choices == 1  # anonymised data: opt-outs honoured by default
    assert report.choices["exemptions"][0]["basis"] == "anonymised"
    assert report.choices["exemptions"][0]["effect"] == "opt-outs honoured anyway (haven setting)"
    row = next(r for r in register_entries(session, haven)
               if r["reference"] == project.reference)
    assert "exemption" in row["opt_outs"] and "ICO anonymisation code" in row["opt_outs"]
    with pytest.raises(InvalidInput, match="basis"):
        record_exemption(session, haven, project.reference, choice="research-and-planning",
                         basis="because", approved_by="x", justification="y", recorded_by="z")

"""How my data was used: membership recorded at provisioning, the look-up, the own record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from transparency_world import NUMBERS, OPTED_OUT, World, build_world

from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.errors import InvalidInput, NotFound
from openhaven.core.haven import Haven
from openhaven.ledger import patient_reference, read_entries
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.transparency.membership_store import membership_store
from openhaven.transparency.own_record import record_as_received
from openhaven.transparency.patient_uses import data_uses_for_patient


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Haven.open(tmp_path_factory.mktemp("transparency") / "haven"))


@pytest.fixture
def db(world: World) -> Iterator[Session]:
    engine = make_engine(world.haven.settings.database_url)
    try:
        with unit_of_work(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_provisioning_records_who_each_extract_included(world: World) -> None:
    store = membership_store(world.haven)
    assert len(store.extract_ids()) == 2
    for extract_id in store.extract_ids():
        assert len(store.bitmap(extract_id)) == len(NUMBERS) - 1  # all but the opted-out
    assert store.indices_of(["p1"]) == []  # the opted-out patient was never in an extract


def test_a_patient_sees_each_project_that_received_their_record(world: World, db: Session) -> None:
    found = data_uses_for_patient(db, world.haven, NUMBERS[0], actor="custodian",
                                  channel="custodian-request")
    assert [u["reference"] for u in found["extracts"]] == world.references
    commercial = {u["reference"]: u["commercial"] for u in found["extracts"]}
    assert commercial == {world.references[0]: False, world.references[1]: True}
    first = found["extracts"][0]
    assert first["organisation"] == "Transparency Org 1"
    assert first["purpose"] == "Health research"
    assert first["version"] == 1 and first["outputs_released"] == []


def test_an_opted_out_patient_is_in_no_extract(world: World, db: Session) -> None:
    found = data_uses_for_patient(db, world.haven, OPTED_OUT, actor="custodian",
                                  channel="custodian-request")
    assert found["extracts"] == []


def test_each_look_up_is_in_the_ledger_under_the_reference_never_the_number(
    world: World, db: Session
) -> None:
    data_uses_for_patient(db, world.haven, NUMBERS[2], actor="staff-7",
                          channel="custodian-request")
    last = list(read_entries(world.haven, action_prefix="transparency.patient_lookup"))[-1]
    assert last.subject == patient_reference(world.haven, NUMBERS[2])
    assert last.actor == "staff-7"
    ledger_files = [p for p in (world.haven.home / "ledger").rglob("*") if p.is_file()]
    ledger_text = b"".join(p.read_bytes() for p in ledger_files).decode("utf-8", "replace")
    assert "transparency.patient_lookup" in ledger_text
    assert not any(number in ledger_text for number in NUMBERS)


def test_a_bad_nhs_number_is_refused_naming_the_field_not_the_value(
    world: World, db: Session
) -> None:
    with pytest.raises(InvalidInput) as refused:
        data_uses_for_patient(db, world.haven, "12345x7890", actor="custodian",
                              channel="custodian-request")
    assert refused.value.location is not None and refused.value.location.field == "nhs_number"
    assert "12345x7890" not in str(refused.value)
    with pytest.raises(InvalidInput, match="channel"):
        data_uses_for_patient(db, world.haven, NUMBERS[0], actor="x", channel="carrier pigeon")


def test_the_patient_sees_their_record_exactly_as_the_project_received_it(
    world: World, db: Session
) -> None:
    reference = world.references[0]
    received = record_as_received(db, world.haven, NUMBERS[3], reference, actor="custodian")
    expected = pseudonymise(project_key(world.haven.master_key(), reference),
                            patient_token(NUMBERS[3], "p3"))
    (extract,) = received["extracts"]
    patients = extract["tables"]["patients"]
    assert [row["pseudonym"] for row in patients] == [expected]
    assert patients[0]["date_of_birth_year"] == 1950 + 7 * 3  # generalised to the year
    assert patients[0]["postcode_district"] == "LS1"
    assert [row["code"] for row in extract["tables"]["conditions"]] == ["38341003"]
    assert NUMBERS[3] not in repr(received)


def test_no_record_is_shown_for_a_project_that_never_received_it(
    world: World, db: Session
) -> None:
    with pytest.raises(NotFound):
        record_as_received(db, world.haven, OPTED_OUT, world.references[0], actor="custodian")


def test_membership_store_lives_under_the_haven(world: World) -> None:
    assert membership_store(world.haven).folder == (world.haven.home / "transparency").resolve()
    assert Path(membership_store(world.haven).folder / "patient_index.sqlite").exists()


def test_a_look_up_needs_no_record_store_search(world: World, db: Session) -> None:
    """The keyed NHS-number digests recorded at provisioning answer on their own."""
    store_file = world.haven.paths.record_store
    moved = store_file.with_name("records.moved-aside")
    store_file.rename(moved)
    try:
        found = data_uses_for_patient(db, world.haven, NUMBERS[5], actor="custodian",
                                      channel="custodian-request")
    finally:
        moved.rename(store_file)
    assert [u["reference"] for u in found["extracts"]] == world.references
    index_bytes = (membership_store(world.haven).folder / "patient_index.sqlite").read_bytes()
    assert not any(number.encode() in index_bytes for number in NUMBERS)

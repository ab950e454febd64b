"""Released outputs reach the register and the patient's answer; checked-only ones do not."""

from __future__ import annotations

import pytest
from transparency_world import NUMBERS, World, build_world

from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.outputs import repository as outputs
from openhaven.provisioning import repository as extracts
from openhaven.transparency.patient_uses import data_uses_for_patient
from openhaven.transparency.register import register_entries


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Haven.open(tmp_path_factory.mktemp("released") / "haven"))


def test_only_released_outputs_are_listed_as_released(world: World) -> None:
    engine = make_engine(world.haven.settings.database_url)
    try:
        with unit_of_work(engine) as session:
            (extract,) = [e for e in extracts.list_extracts(session)
                          if e.project_id == extracts.list_extracts(session)[0].project_id]
            for name, status in (("Table 1", "released"), ("Draft table", "checked")):
                outputs.record_output(session, project_id=extract.project_id,
                                      extract_id=extract.id, kind="query", name=name,
                                      result={"rows": []}, verdict="pass", checks=[],
                                      status=status)
        with unit_of_work(engine) as session:
            row = next(r for r in register_entries(session, world.haven)
                       if r["reference"] == world.references[0])
            assert [o["name"] for o in row["outputs_released"]] == ["Table 1"]
            assert row["outputs_checked"] == 2
            found = data_uses_for_patient(session, world.haven, NUMBERS[0], actor="custodian",
                                          channel="custodian-request")
            released = {u["reference"]: [o["name"] for o in u["outputs_released"]]
                        for u in found["extracts"]}
            assert released == {world.references[0]: ["Table 1"], world.references[1]: []}
    finally:
        engine.dispose()

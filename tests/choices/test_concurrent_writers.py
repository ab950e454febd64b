"""Fifty writers recording choices for the same patient at once: none lost, none doubled.

Runs on a fresh database of each engine (not the rolled-back test session) so that every
writer commits for real, each in its own session and thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from choice_fixtures import POOL
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db_fixtures import ENGINES, empty_database
from openhaven.choices import service
from openhaven.choices.models import ChoiceEvent
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries

WRITERS = 50


@pytest.fixture(params=ENGINES)
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "db").mkdir()
    with empty_database(request.param, tmp_path / "db") as engine:
        migrate(engine)
        if engine.dialect.name == "postgresql":
            engine.pool.dispose()
        yield engine


def test_fifty_concurrent_writers_for_one_patient_lose_and_duplicate_nothing(
    committed_engine: Engine, haven: Haven
) -> None:
    patient = POOL[0]
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(index: int) -> None:
        try:
            start.wait()
            with unit_of_work(committed_engine) as session:
                service.record_choice(
                    session, haven, nhs_number=patient, channel="web",
                    recorded_by=f"writer:{index}",
                    value="opt_out" if index % 2 else "withdraw",
                )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(committed_engine) as session:
        writers = session.scalars(
            select(ChoiceEvent.recorded_by).where(ChoiceEvent.nhs_number == patient)
        ).all()
        assert sorted(writers) == sorted(f"writer:{i}" for i in range(WRITERS))
        assert session.scalar(select(func.count(func.distinct(ChoiceEvent.id)))) == WRITERS
        history = service.history(session, patient)
    assert len(history) == WRITERS
    recorded = [e for e in read_entries(haven) if e.action == "choice.recorded"]
    assert len(recorded) == WRITERS
    assert len({e.subject for e in recorded}) == WRITERS

"""SQLite writers that read first: deferred transactions lose the race, write-locked ones wait."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from openhaven.core.database import make_engine, unit_of_work


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = make_engine(f"sqlite:///{tmp_path / 'lock.sqlite'}")
    with made.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    return made


def _increment(session: object) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    current = session.execute(text("SELECT n FROM counter")).scalar_one()
    session.execute(text("UPDATE counter SET n = :n"), {"n": current + 1})


def test_a_deferred_writer_that_read_before_another_commit_fails(engine: Engine) -> None:
    with pytest.raises(OperationalError, match="database is locked"), \
            unit_of_work(engine) as first:
        first.execute(text("SELECT n FROM counter")).scalar_one()
        with unit_of_work(engine) as second:
            _increment(second)
        first.execute(text("UPDATE counter SET n = n + 100"))
    engine.dispose()


def test_write_locked_units_of_work_queue_and_lose_nothing(engine: Engine) -> None:
    started, errors = threading.Event(), []

    def other_writer() -> None:
        started.set()
        try:
            with unit_of_work(engine, write_lock=True) as second:
                _increment(second)
        except Exception as error:  # reported below, not swallowed
            errors.append(error)

    with unit_of_work(engine, write_lock=True) as first:
        read = first.execute(text("SELECT n FROM counter")).scalar_one()  # takes the lock
        thread = threading.Thread(target=other_writer)
        thread.start()
        started.wait()
        thread.join(timeout=0.3)
        assert thread.is_alive()  # the second writer waits for the lock ...
        first.execute(text("UPDATE counter SET n = :n"), {"n": read + 1})  # ... so this holds
    thread.join()
    assert errors == []
    with unit_of_work(engine) as check:
        assert check.execute(text("SELECT n FROM counter")).scalar_one() == 2
    engine.dispose()

"""The queue on each governance database: one claimant per job, cancels, stale workers.

Each test gets a brand-new database of each kind (SQLite file, PostgreSQL schema), migrated
for real, and commits for real: the claim race is run by threads with their own
connections, as separate workers would.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from openhaven.core.clock import utc_now
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.jobs import repository, service
from openhaven.jobs.models import AnalysisJob, JobState
from openhaven.jobs.worker import worker_running
from openhaven.ledger import read_entries

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "governance"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from governance_cast import project_fields

from db_fixtures import ENGINES, empty_database

WORKERS = 4
JOBS = 12


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with empty_database(request.param, tmp_path / "db") as made:
        migrate(made)
        yield made


@pytest.fixture
def project_id(engine: Engine, haven: Haven) -> int:
    with unit_of_work(engine) as session:
        university = governance.register_organisation(
            session, haven, name="University of Queues", kind="academic", actor="custodian")
        lead = governance.register_person(
            session, haven, display_name="Lead", email="lead@queues.ac.uk",
            roles=["researcher"], organisation=university, actor="custodian")
        cast = SimpleNamespace(university=university, lead=lead, colleague=None,
                               committee_colleague=None)
        project = governance.create_project(session, haven,
                                            **project_fields(cast, team=[]))  # type: ignore[arg-type]
        return project.id


def _queue(engine: Engine, project_id: int, count: int, **fields: object) -> list[int]:
    values: dict[str, object] = {"state": JobState.QUEUED, "worker": "", **fields}
    with unit_of_work(engine) as session:
        made = [repository.add_job(session, AnalysisJob(
            project_id=project_id, submitted_by="researcher-test", script_name=f"j{n}.py",
            code_hash=f"{n:064d}", reason="", queued_at=utc_now(), outputs=[], log="",
            limits={}, enforced_by="", cancel_requested_by="", **values))
            for n in range(count)]
        return [job.id for job in made]


def test_two_workers_never_claim_the_same_job(engine: Engine, project_id: int) -> None:
    ids = _queue(engine, project_id, JOBS)
    won: dict[int, list[str]] = {job_id: [] for job_id in ids}
    start = threading.Barrier(WORKERS)

    def worker(name: str) -> None:
        start.wait()
        for job_id in ids:
            with unit_of_work(engine) as session:
                if repository.change_state_if(session, job_id, JobState.QUEUED,
                                              state=JobState.RUNNING, worker=name):
                    won[job_id].append(name)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(names) == 1 for names in won.values()), won
    with unit_of_work(engine) as session:
        for job_id, names in won.items():
            job = service.get_job(session, job_id)
            assert (job.state, job.worker) == (JobState.RUNNING, names[0])


def test_a_cancelled_queued_job_never_starts(
    engine: Engine, project_id: int, haven: Haven
) -> None:
    [job_id] = _queue(engine, project_id, 1)
    with unit_of_work(engine) as session:
        cancelled = service.cancel_job(session, haven, job_id, actor="researcher-other")
        assert cancelled.state is JobState.CANCELLED
        assert "researcher-other" in cancelled.reason
    with unit_of_work(engine) as session:
        assert service.start_job(session, haven, job_id, worker="w1") is None
        assert service.get_job(session, job_id).state is JobState.CANCELLED
    entry = next(e for e in read_entries(haven, action_prefix="job.cancelled")
                 if e.details["job_id"] == job_id)
    assert entry.actor == "researcher-other" and entry.details["code_hash"] == "0" * 64


def test_cancelling_a_running_job_raises_the_flag_its_worker_polls(
    engine: Engine, project_id: int, haven: Haven
) -> None:
    [job_id] = _queue(engine, project_id, 1, state=JobState.RUNNING, worker="w1",
                      heartbeat_at=utc_now())
    with unit_of_work(engine) as session:
        assert service.poll_job(session, job_id, worker="w1") is False
    with unit_of_work(engine) as session:
        asked = service.cancel_job(session, haven, job_id, actor="researcher-other")
        assert asked.state is JobState.RUNNING and asked.cancel_requested_by == "researcher-other"
    with unit_of_work(engine) as session:
        assert service.poll_job(session, job_id, worker="w1") is True
        with pytest.raises(Exception, match="already being cancelled"):
            service.cancel_job(session, haven, job_id, actor="researcher-other")
    assert any(e.details["job_id"] == job_id
               for e in read_entries(haven, action_prefix="job.cancel_requested"))


def test_a_job_whose_worker_stopped_is_failed_not_left_running(
    engine: Engine, project_id: int, haven: Haven
) -> None:
    long_ago = utc_now() - timedelta(minutes=10)
    [stale] = _queue(engine, project_id, 1, state=JobState.RUNNING, worker="gone",
                     heartbeat_at=long_ago, started_at=long_ago)
    [alive] = _queue(engine, project_id, 1, state=JobState.RUNNING, worker="here",
                     heartbeat_at=utc_now(), started_at=long_ago)
    with unit_of_work(engine) as session:
        assert service.fail_stale_jobs(session, haven) == [stale]
    with unit_of_work(engine) as session:
        failed = service.get_job(session, stale)
        assert failed.state is JobState.FAILED and failed.reason == service.WORKER_STOPPED
        assert service.get_job(session, alive).state is JobState.RUNNING
        assert service.fail_stale_jobs(session, haven) == []
    entry = next(e for e in read_entries(haven, action_prefix="job.failed")
                 if e.details["job_id"] == stale)
    assert entry.details["worker"] == "gone"


def test_a_worker_is_running_only_while_it_beats(engine: Engine) -> None:
    now = utc_now()
    with unit_of_work(engine) as session:
        assert not worker_running(session)
        repository.register_worker(session, "w1", now)
        assert worker_running(session)
        repository.worker_beat(session, "w1", now, stopped=True)
        assert not worker_running(session)
        repository.register_worker(session, "w2", now - timedelta(minutes=5))
        assert not worker_running(session)


def test_a_job_its_worker_could_not_finish_is_failed_at_once(
    engine: Engine, project_id: int, haven: Haven
) -> None:
    [job_id] = _queue(engine, project_id, 1, state=JobState.RUNNING, worker="w1",
                      heartbeat_at=utc_now())
    with unit_of_work(engine) as session:
        assert not service.fail_running_job(session, haven, job_id, worker="w2", reason="x")
        assert service.fail_running_job(session, haven, job_id, worker="w1",
                                        reason="The worker failed (OSError)")
    with unit_of_work(engine) as session:
        job = service.get_job(session, job_id)
        assert (job.state, job.reason) == (JobState.FAILED, "The worker failed (OSError)")
        assert not service.fail_running_job(session, haven, job_id, worker="w1", reason="x")

"""Reading and writing job records: the only module here that touches the session.

The queue's state changes are *conditional* updates (``UPDATE ... WHERE state = 'queued'``)
whose row count says whether this caller won: two workers can never both claim a job, and a
cancel cannot overtake a claim unnoticed, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from openhaven.core.errors import Location, NotFound
from openhaven.governance.models import Project
from openhaven.jobs.models import AnalysisJob, JobState, JobWorker


def lock_for_writing(session: Session) -> None:
    """On SQLite, take the write lock now, before this transaction reads anything.

    SQLite (write-ahead log) cannot turn a transaction that has read into a writer once
    another connection has committed since: it fails at once with "database is locked"
    instead of waiting. The queue's transactions read, then write, while workers commit
    heartbeats every few seconds, so each starts with a write that changes nothing and then
    waits its turn (the busy timeout) like any writer. PostgreSQL needs nothing.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(JobWorker).where(JobWorker.name.is_(None))
                        .values(name=JobWorker.name))


def add_job(session: Session, job: AnalysisJob) -> AnalysisJob:
    session.add(job)
    session.flush()
    return job


def save(session: Session) -> None:
    session.flush()


def get_job(session: Session, job_id: int) -> AnalysisJob:
    job = session.get(AnalysisJob, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}", Location(field="job_id"))
    return job


def refresh(session: Session, job: AnalysisJob) -> AnalysisJob:
    """Read the row again: another process (a worker, a cancel) may have changed it."""
    session.refresh(job)
    return job


def list_jobs(session: Session, project_id: int) -> list[AnalysisJob]:
    return list(session.scalars(
        select(AnalysisJob).where(AnalysisJob.project_id == project_id).order_by(AnalysisJob.id)
    ))


def queued_job_ids(session: Session, limit: int = 20) -> list[int]:
    """The oldest queued jobs first."""
    return list(session.scalars(
        select(AnalysisJob.id).where(AnalysisJob.state == JobState.QUEUED)
        .order_by(AnalysisJob.id).limit(limit)
    ))


def running_without_heartbeat_since(session: Session, cutoff: datetime) -> list[int]:
    return list(session.scalars(
        select(AnalysisJob.id).where(AnalysisJob.state == JobState.RUNNING,
                                     AnalysisJob.heartbeat_at < cutoff)
    ))


def change_state_if(session: Session, job_id: int, expected: JobState,
                    extra: dict[str, Any] | None = None, **values: Any) -> bool:
    """Set ``values`` on the job only if it is still in ``expected``; True if this call won.

    ``extra`` adds conditions on other columns (``{"heartbeat_at": cutoff}`` means the
    heartbeat is older than ``cutoff``).
    """
    statement = update(AnalysisJob).where(AnalysisJob.id == job_id,
                                          AnalysisJob.state == expected)
    if extra and "heartbeat_at" in extra:
        statement = statement.where(AnalysisJob.heartbeat_at < extra["heartbeat_at"])
    result = session.execute(statement.values(**values)
                             .execution_options(synchronize_session=False))
    won = isinstance(result, CursorResult) and result.rowcount == 1
    job = session.get(AnalysisJob, job_id)
    if job is not None:
        session.refresh(job)
    return won


def cancel_requested(session: Session, job_id: int) -> tuple[str, datetime | None]:
    """Who asked to cancel the job and when (``("", None)`` if nobody), read afresh."""
    row = session.execute(
        select(AnalysisJob.cancel_requested_by, AnalysisJob.cancel_requested_at)
        .where(AnalysisJob.id == job_id)
    ).one_or_none()
    return ("", None) if row is None else (row[0], row[1])


def beat(session: Session, job_id: int, worker: str, now: datetime) -> None:
    session.execute(update(AnalysisJob)
                    .where(AnalysisJob.id == job_id, AnalysisJob.worker == worker)
                    .values(heartbeat_at=now).execution_options(synchronize_session=False))


def project_reference(session: Session, project_id: int) -> str:
    project = session.get(Project, project_id)
    return project.reference if project is not None else str(project_id)


def register_worker(session: Session, name: str, now: datetime) -> None:
    found = session.get(JobWorker, name)
    if found is None:
        session.add(JobWorker(name=name, started_at=now, heartbeat_at=now))
    else:
        found.heartbeat_at, found.stopped_at = now, None
    session.flush()


def worker_beat(session: Session, name: str, now: datetime, *, stopped: bool = False) -> None:
    session.execute(update(JobWorker).where(JobWorker.name == name).values(
        heartbeat_at=now, **({"stopped_at": now} if stopped else {})))


def live_workers(session: Session, since: datetime) -> list[str]:
    return list(session.scalars(
        select(JobWorker.name).where(JobWorker.stopped_at.is_(None),
                                     JobWorker.heartbeat_at >= since)
    ))

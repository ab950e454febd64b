"""Job records: one row per analysis job, from queued to its end state.

A row holds what the audit log also receives — the code's hash, the extract version, who
ran it, when, how it ended and what it wrote — so the project team can list their jobs
without reading the ledger. The log kept here is the *checked* log: a log that failed the
record-level check is never stored, only the reason it was withheld.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, JSONText, UTCDateTime, portable_enum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.BLOCKED, JobState.CANCELLED}
)


class AnalysisJob(Base):
    __tablename__ = "analysis_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    extract_id: Mapped[int | None] = mapped_column(
        ForeignKey("extracts.id"), nullable=True, index=True
    )
    extract_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    script_name: Mapped[str] = mapped_column(String(200), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[JobState] = mapped_column(
        portable_enum(JobState, "analysis_job_state"), nullable=False, default=JobState.QUEUED,
        index=True,
    )
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outputs: Mapped[Any] = mapped_column(JSONText, nullable=False, default=list)
    log: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The limits asked for (seconds, bytes, processes) and how they were enforced:
    #: "cgroup v2 and rlimits" or "rlimits" (where no writable cgroup v2 exists).
    limits: Mapped[Any] = mapped_column(JSONText, nullable=False, default=dict)
    enforced_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The worker that claimed the job and when it last said it was alive.
    worker: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: A cancel asked for while the job runs: the worker polls these and stops the sandbox.
    cancel_requested_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobWorker(Base):
    """A worker process: present while it heartbeats, so ``job run`` knows whether to wait."""

    __tablename__ = "analysis_job_workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

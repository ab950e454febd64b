"""Reading and writing job records: the only module here that touches the session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.core.errors import Location, NotFound
from openhaven.governance.models import Project
from openhaven.jobs.models import AnalysisJob


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


def list_jobs(session: Session, project_id: int) -> list[AnalysisJob]:
    return list(session.scalars(
        select(AnalysisJob).where(AnalysisJob.project_id == project_id).order_by(AnalysisJob.id)
    ))


def project_reference(session: Session, project_id: int) -> str:
    project = session.get(Project, project_id)
    return project.reference if project is not None else str(project_id)

"""Job states: a queued job can be cancelled (and the ledger told); an ended one cannot."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.jobs import repository
from openhaven.jobs.models import AnalysisJob, JobState
from openhaven.jobs.service import cancel_job, job_summary, list_jobs
from openhaven.ledger import read_entries


def test_a_queued_job_is_cancelled_once(
    session: Session, job_haven: Haven, project_reference: str
) -> None:
    project = governance.get_project(session, project_reference)
    job = repository.add_job(session, AnalysisJob(
        project_id=project.id, submitted_by="researcher-test", script_name="later.py",
        code_hash="0" * 64, state=JobState.QUEUED, reason="", queued_at=utc_now(),
        outputs=[], log=""))
    cancelled = cancel_job(session, job_haven, job.id, actor="researcher-test")
    assert cancelled.state is JobState.CANCELLED
    assert job_summary(cancelled)["state"] == "cancelled"
    assert job.id in [j.id for j in list_jobs(session, project_reference)]
    assert any(e.details.get("job_id") == job.id
               for e in read_entries(job_haven, action_prefix="job.cancelled"))
    with pytest.raises(Conflict):
        cancel_job(session, job_haven, job.id, actor="researcher-test")

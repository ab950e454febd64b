"""Queue, run and cancel a researcher's analysis jobs against a project's extract.

A job goes through fixed steps, each in its own short transaction so that a worker in
another process (or another machine sharing the governance database) can take it:

1. :func:`submit_job` — the project must be approved and in date (and, when the acting
   person is known, they must be allowed its data now: ``governance.access.may_access``)
   and have an extract; the script is checked, kept in the job's folder, and the job is
   recorded *queued*.
2. :func:`start_job` — a worker claims it with a conditional update (only one can win),
   marks it *running* with a heartbeat; if no sandbox can be built here the job is
   *blocked*, never run unconfined.
3. :func:`run_claimed` — the script runs in the sandbox with the extract read-only, while
   :func:`poll_job` beats the heart and reads the cancel flag; a cancel kills the sandbox.
4. :func:`finish_job` — the log is checked for record-level data before it is kept; the
   outputs stay in the job's folder, listed by name and size (release goes through the
   airlock); the end state is recorded: *succeeded*, *failed* or *cancelled*.

:func:`run_job` does all four in the caller's session (the demo and the tests use it).
Every step writes the audit log with the code's hash, the extract version, who, when and
what the job wrote.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.governance import service as governance
from openhaven.governance.models import Person
from openhaven.jobs import repository
from openhaven.jobs.log_check import check_log
from openhaven.jobs.models import AnalysisJob, JobState
from openhaven.jobs.sandbox import (
    SandboxLimits,
    SandboxRun,
    enforcement,
    isolation_problem,
    run_sandboxed,
)
from openhaven.ledger import record_event
from openhaven.provisioning import repository as extracts
from openhaven.provisioning.extract_access import extract_for_analysis

MAX_SCRIPT_BYTES = 256 * 1024
#: A running job whose worker has not beaten its heart for this long is failed: the worker
#: stopped. Workers beat every ``POLL_SECONDS``.
STALE_AFTER = timedelta(seconds=60)
POLL_SECONDS = 2.0
WORKER_STOPPED = "The worker running this job stopped before it ended"


@dataclass(frozen=True)
class JobReport:
    """The answer to ``openhaven job run``: the contract's three keys, then detail."""

    status: str
    reason: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    job_id: int | None = None
    log: str = ""
    code_hash: str = ""
    extract_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run_job(
    session: Session,
    haven: Haven,
    reference: str,
    script: Path,
    *,
    actor: str,
    limits: SandboxLimits | None = None,
    person: Person | None = None,
) -> JobReport:
    """Submit ``script`` and run it at once in the caller's session; return how it ended.

    ``person``, when given, is who submits it: refused (with the reason, and no job
    recorded) unless ``may_access`` allows them this project's data at this moment.
    """
    job = submit_job(session, haven, reference, script, actor=actor, limits=limits,
                     person=person)
    worker = f"in-process:{job.id}"
    claimed = start_job(session, haven, job.id, worker=worker)
    if claimed is None:
        return report_of(get_job(session, job.id))
    run = run_claimed(haven, claimed,
                      should_stop=lambda: poll_job(session, job.id, worker=worker))
    return finish_job(session, haven, claimed, run)


def submit_job(
    session: Session,
    haven: Haven,
    reference: str,
    script: Path,
    *,
    actor: str,
    limits: SandboxLimits | None = None,
    person: Person | None = None,
) -> AnalysisJob:
    """Check who asks and what, keep the script in the job's folder, record it *queued*."""
    repository.lock_for_writing(session)
    code = _read_script(script)
    code_hash = hashlib.sha256(code).hexdigest()
    project, extract = extract_for_analysis(session, haven, reference, person)
    job = AnalysisJob(
        project_id=project.id, extract_id=extract.id, extract_version=extract.version,
        submitted_by=actor, script_name=script.name[:200], code_hash=code_hash,
        state=JobState.QUEUED, reason="", queued_at=utc_now(), outputs=[], log="",
        limits=dataclasses.asdict(limits or SandboxLimits()), enforced_by="", worker="",
        cancel_requested_by="",
    )
    repository.add_job(session, job)
    folder = job_folder(haven, reference, job.id)
    (folder / "code").mkdir(parents=True, exist_ok=False)
    (folder / "code" / "script.py").write_bytes(code)
    record_event(haven, "job.submitted", actor=actor, subject=reference,
                 details={**_audit(job), "limits": job.limits})
    return job


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job it has claimed, with no session held."""

    job_id: int
    reference: str
    actor: str
    worker: str
    folder: Path
    extract: Path
    limits: SandboxLimits


def start_job(session: Session, haven: Haven, job_id: int, *,
              worker: str) -> ClaimedJob | None:
    """Claim a queued job for ``worker``: None if another worker (or a cancel) was first.

    A claimed job that cannot run here ends *blocked* (and None is returned): no sandbox
    can be built, or the project is no longer approved and in date.
    """
    now = utc_now()
    if not repository.change_state_if(session, job_id, JobState.QUEUED, state=JobState.RUNNING,
                                      worker=worker[:200], started_at=now, heartbeat_at=now):
        return None
    job = get_job(session, job_id)
    reference = repository.project_reference(session, job.project_id)
    record_event(haven, "job.started", actor=job.submitted_by, subject=reference,
                 details={**_audit(job), "worker": job.worker})
    problem = isolation_problem()
    if problem is not None:
        _finish(session, haven, reference, job, JobState.BLOCKED,
                f"No sandbox is available, so the haven refuses to run jobs: {problem}",
                actor=job.submitted_by)
        return None
    project = governance.get_project(session, reference)
    if not governance.is_active(project, now) or job.extract_id is None:
        _finish(session, haven, reference, job, JobState.BLOCKED,
                f"Project {reference} is no longer approved and in date",
                actor=job.submitted_by)
        return None
    extract = extracts.get_extract(session, job.extract_id)
    job.enforced_by = enforcement()[:200]
    repository.save(session)
    return ClaimedJob(job_id=job.id, reference=reference, actor=job.submitted_by,
                      worker=job.worker, folder=job_folder(haven, reference, job.id),
                      extract=haven.home / extract.path, limits=_limits(job.limits))


def run_claimed(haven: Haven, claimed: ClaimedJob,
                should_stop: Callable[[], bool] | None = None,
                poll_seconds: float = POLL_SECONDS) -> SandboxRun:
    """Run a claimed job's script in the sandbox; its scratch folder is removed after."""
    output, scratch = claimed.folder / "output", claimed.folder / "scratch"
    for made in (output, scratch):
        made.mkdir(parents=True, exist_ok=False)
    try:
        return run_sandboxed(claimed.folder / "code" / "script.py", extract=claimed.extract,
                             output=output, scratch=scratch, limits=claimed.limits,
                             should_stop=should_stop, poll_seconds=poll_seconds,
                             cgroup_name=str(claimed.job_id))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def poll_job(session: Session, job_id: int, *, worker: str) -> bool:
    """The worker's beat while a job runs: record the heartbeat; True if a cancel is asked."""
    repository.beat(session, job_id, worker, utc_now())
    who, _when = repository.cancel_requested(session, job_id)
    return bool(who)


def finish_job(session: Session, haven: Haven, claimed: ClaimedJob,
               run: SandboxRun) -> JobReport:
    """Record how the run ended: checked log, outputs, state, reason; tell the ledger."""
    job = repository.refresh(session, get_job(session, claimed.job_id))
    job.exit_code = run.exit_code
    verdict = check_log(run.log, _pseudonyms(claimed.extract), truncated=run.log_truncated)
    job.log = run.log if verdict.released else f"[log withheld: {verdict.reason}]"
    job.outputs = _list_outputs(claimed.folder / "output")
    if run.enforced_by != "rlimits":
        job.enforced_by = run.enforced_by
    limit = run.stopped_by_limit
    actor = claimed.actor
    who, when = repository.cancel_requested(session, job.id)
    if run.cancelled and who:
        actor = who
        state, reason = JobState.CANCELLED, f"Cancelled by {actor} at {_iso(when)}"
    elif run.cancelled:  # stopped with its worker (the server shut down)
        state, reason = JobState.FAILED, WORKER_STOPPED
    elif limit is not None:
        state, reason = JobState.FAILED, f"The job was stopped by the sandbox's {limit}"
    elif run.exit_code != 0:
        state, reason = JobState.FAILED, f"The script exited with status {run.exit_code}"
    else:
        state, reason = JobState.SUCCEEDED, "The script finished"
    if not verdict.released:
        reason += f"; its log was withheld because {verdict.reason}"
    if job.state is not JobState.RUNNING or job.worker != claimed.worker:
        return report_of(job)  # already ended elsewhere (failed as stale): keep that answer
    return _finish(session, haven, claimed.reference, job, state, reason, actor=actor,
                   extra={"log_released": verdict.released, "seconds": round(run.seconds, 2),
                          "limit": limit, "enforced_by": job.enforced_by,
                          "worker": claimed.worker})


def cancel_job(session: Session, haven: Haven, job_id: int, *, actor: str) -> AnalysisJob:
    """Cancel a job not yet finished; a finished job keeps its end state.

    A queued job is cancelled at once and never starts. A running job gets a cancel
    request that its worker reads within seconds: it kills the sandbox and records the job
    *cancelled* with who asked and when.
    """
    repository.lock_for_writing(session)
    job = get_job(session, job_id)
    reference = repository.project_reference(session, job.project_id)
    now = utc_now()
    if job.state is JobState.QUEUED and repository.change_state_if(
            session, job_id, JobState.QUEUED, state=JobState.CANCELLED,
            cancel_requested_by=actor[:200], cancel_requested_at=now):
        job = get_job(session, job_id)
        _finish(session, haven, reference, job, JobState.CANCELLED,
                f"Cancelled by {actor} at {_iso(now)} before it started", actor=actor)
        return job
    job = repository.refresh(session, job)
    if job.state is not JobState.RUNNING:
        raise Conflict(f"Job {job_id} has already ended ({job.state.value})")
    if job.cancel_requested_by:
        raise Conflict(f"Job {job_id} is already being cancelled")
    job.cancel_requested_by, job.cancel_requested_at = actor[:200], now
    repository.save(session)
    record_event(haven, "job.cancel_requested", actor=actor, subject=reference,
                 details={**_audit(job), "requested_at": _iso(now)})
    return job


def fail_stale_jobs(session: Session, haven: Haven, *, now: datetime | None = None,
                    stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Fail every running job whose worker stopped beating; return their numbers."""
    cutoff = (now or utc_now()) - stale_after
    failed = []
    for job_id in repository.running_without_heartbeat_since(session, cutoff):
        if repository.change_state_if(session, job_id, JobState.RUNNING,
                                      extra={"heartbeat_at": cutoff},
                                      state=JobState.FAILED):
            job = get_job(session, job_id)
            _finish(session, haven, repository.project_reference(session, job.project_id),
                    job, JobState.FAILED, WORKER_STOPPED, actor=job.submitted_by,
                    extra={"worker": job.worker})
            failed.append(job_id)
    return failed


def fail_running_job(session: Session, haven: Haven, job_id: int, *, worker: str,
                     reason: str) -> bool:
    """End a job its worker could not finish: *failed*, with the reason (no exception text)."""
    job = get_job(session, job_id)
    if job.worker != worker or not repository.change_state_if(
            session, job_id, JobState.RUNNING, state=JobState.FAILED):
        return False
    _finish(session, haven, repository.project_reference(session, job.project_id),
            get_job(session, job_id), JobState.FAILED, reason, actor=job.submitted_by,
            extra={"worker": worker})
    return True


def report_of(job: AnalysisJob) -> JobReport:
    """The ``job run`` answer for a job as recorded now."""
    return JobReport(status=job.state.value, reason=job.reason, outputs=list(job.outputs),
                     job_id=job.id, log=job.log, code_hash=job.code_hash,
                     extract_version=job.extract_version)


def job_folder(haven: Haven, reference: str, job_id: int) -> Path:
    return haven.paths.project(reference) / "jobs" / str(job_id)


def get_job(session: Session, job_id: int) -> AnalysisJob:
    return repository.get_job(session, job_id)


def list_jobs(session: Session, reference: str) -> list[AnalysisJob]:
    """Every job of project ``reference``, oldest first."""
    return repository.list_jobs(session, governance.get_project(session, reference).id)


def job_summary(job: AnalysisJob) -> dict[str, Any]:
    """What the project team sees of a job: state, reason, checked log, output names."""
    return {
        "job_id": job.id, "state": job.state.value, "reason": job.reason,
        "script": job.script_name, "code_hash": job.code_hash,
        "extract_version": job.extract_version, "submitted_by": job.submitted_by,
        "queued_at": _iso(job.queued_at), "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at), "exit_code": job.exit_code,
        "outputs": job.outputs, "log": job.log, "limits": job.limits,
        "enforced_by": job.enforced_by, "worker": job.worker,
        "heartbeat_at": _iso(job.heartbeat_at),
        "cancel_requested_by": job.cancel_requested_by or None,
        "cancel_requested_at": _iso(job.cancel_requested_at),
    }


def _finish(
    session: Session, haven: Haven, reference: str, job: AnalysisJob, state: JobState,
    reason: str, *, actor: str, extra: dict[str, Any] | None = None,
) -> JobReport:
    job.state, job.reason, job.finished_at = state, reason[:500], utc_now()
    repository.save(session)
    record_event(haven, f"job.{state.value}", actor=actor, subject=reference, details={
        **_audit(job), "finished_at": _iso(job.finished_at), "exit_code": job.exit_code,
        "reason": job.reason, "outputs": job.outputs, **(extra or {}),
    })
    return report_of(job)


def _audit(job: AnalysisJob) -> dict[str, Any]:
    """What every job entry in the ledger carries."""
    return {"job_id": job.id, "code_hash": job.code_hash,
            "extract_version": job.extract_version, "script": job.script_name,
            "submitted_by": job.submitted_by, "queued_at": _iso(job.queued_at),
            "started_at": _iso(job.started_at)}


def _limits(recorded: Any) -> SandboxLimits:
    known = {f.name for f in dataclasses.fields(SandboxLimits)}
    given = recorded if isinstance(recorded, dict) else {}
    return SandboxLimits(**{k: v for k, v in given.items() if k in known})


def _read_script(script: Path) -> bytes:
    if not script.is_file():
        raise InvalidInput("No such script file", Location(file=script.name))
    code = script.read_bytes()
    if len(code) > MAX_SCRIPT_BYTES:
        raise InvalidInput(f"A job script may be at most {MAX_SCRIPT_BYTES // 1024} KiB",
                           Location(file=script.name))
    try:
        compile(code, script.name, "exec")
    except SyntaxError as exc:
        raise InvalidInput("The script is not valid Python",
                           Location(file=script.name, line=exc.lineno)) from None
    except ValueError:
        raise InvalidInput("The script is not valid Python", Location(file=script.name)) from None
    return code


def _pseudonyms(extract: Path) -> list[str]:
    with open_session(extract, read_only=True) as data:
        tables = {r["table_name"] for r in data.query(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'pseudonym'"
        ).to_pylist()}
        if "patients" not in tables:
            return []
        return [str(v) for v in data.query(
            "SELECT DISTINCT pseudonym FROM patients").column("pseudonym").to_pylist()]


def _list_outputs(output: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(output.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append({"file": str(path.relative_to(output)), "bytes": path.stat().st_size})
    return found


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())

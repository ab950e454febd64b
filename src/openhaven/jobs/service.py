"""Run a researcher's analysis job against a project's extract, confined and recorded.

The order is fixed: the project must be approved and in date (and, when the acting person
is known, they must be allowed its data now: ``governance.access.may_access``) and have an
extract; the
sandbox must be available (otherwise the job is *blocked*, never run unconfined); the job
is recorded as queued, then running; the script runs in the sandbox with the extract
read-only; its log is checked for record-level data before it is kept; its outputs stay in
the job's own folder, listed by name and size (release goes through output checking). The
audit log receives the code's hash, the extract version, who ran it, when and what it wrote.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.governance import service as governance
from openhaven.governance.access import may_access
from openhaven.governance.models import Person
from openhaven.governance.policy import load_policy
from openhaven.jobs import repository
from openhaven.jobs.log_check import check_log
from openhaven.jobs.models import AnalysisJob, JobState
from openhaven.jobs.sandbox import SandboxLimits, isolation_problem, run_sandboxed
from openhaven.ledger import record_event
from openhaven.provisioning import repository as extracts

MAX_SCRIPT_BYTES = 256 * 1024


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
    """Run ``script`` on ``reference``'s current extract; record and return how it ended.

    ``person``, when given, is who submits it: refused (with the reason, and no job
    recorded) unless ``may_access`` allows them this project's data at this moment.
    """
    code = _read_script(script)
    code_hash = hashlib.sha256(code).hexdigest()
    project = governance.get_project(session, reference)
    now = utc_now()
    if person is not None:
        decision = may_access(session, person, project, now,
                              required=load_policy(haven.home).required_accreditations)
        if not decision:
            raise PermissionDenied(f"No access to {reference}'s data: {decision.reason}")
    elif not governance.is_active(project, now):
        raise PermissionDenied(f"Project {reference} is not approved and in date")
    extract = extracts.latest_extract(session, project.id)
    if extract is None:
        raise Conflict(f"Project {reference} has no extract yet: provision one first")
    job = AnalysisJob(
        project_id=project.id, extract_id=extract.id, extract_version=extract.version,
        submitted_by=actor, script_name=script.name[:200], code_hash=code_hash,
        state=JobState.QUEUED, reason="", queued_at=utc_now(), outputs=[], log="",
    )
    repository.add_job(session, job)
    problem = isolation_problem()
    if problem is not None:
        return _finish(session, haven, reference, job, JobState.BLOCKED,
                       f"No sandbox is available, so the haven refuses to run jobs: {problem}",
                       actor=actor)
    folder = haven.paths.project(reference) / "jobs" / str(job.id)
    output, scratch = folder / "output", folder / "scratch"
    for made in (output, scratch, folder / "code"):
        made.mkdir(parents=True, exist_ok=False)
    (folder / "code" / "script.py").write_bytes(code)
    job.state, job.started_at = JobState.RUNNING, utc_now()
    repository.save(session)
    record_event(haven, "job.started", actor=actor, subject=reference,
                 details={"job_id": job.id, "code_hash": code_hash,
                          "extract_version": extract.version, "script": job.script_name})
    try:
        run = run_sandboxed(folder / "code" / "script.py", extract=haven.home / extract.path,
                            output=output, scratch=scratch, limits=limits or SandboxLimits())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    job.exit_code = run.exit_code
    verdict = check_log(run.log, _pseudonyms(haven.home / extract.path),
                        truncated=run.log_truncated)
    job.log = run.log if verdict.released else f"[log withheld: {verdict.reason}]"
    job.outputs = _list_outputs(output)
    limit = run.stopped_by_limit
    if limit is not None:
        state, reason = JobState.FAILED, f"The job was stopped by the sandbox's {limit}"
    elif run.exit_code != 0:
        state, reason = JobState.FAILED, f"The script exited with status {run.exit_code}"
    else:
        state, reason = JobState.SUCCEEDED, "The script finished"
    if not verdict.released:
        reason += f"; its log was withheld because {verdict.reason}"
    return _finish(session, haven, reference, job, state, reason, actor=actor,
                   extra={"log_released": verdict.released, "seconds": round(run.seconds, 2),
                          "limit": limit})


def cancel_job(session: Session, haven: Haven, job_id: int, *, actor: str) -> AnalysisJob:
    """Cancel a job not yet finished; a finished job keeps its end state."""
    job = get_job(session, job_id)
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        raise Conflict(f"Job {job_id} has already ended ({job.state.value})")
    reference = repository.project_reference(session, job.project_id)
    _finish(session, haven, reference, job, JobState.CANCELLED, "Cancelled",
            actor=actor)
    return job


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
        "outputs": job.outputs, "log": job.log,
    }


def _finish(
    session: Session, haven: Haven, reference: str, job: AnalysisJob, state: JobState,
    reason: str, *, actor: str, extra: dict[str, Any] | None = None,
) -> JobReport:
    job.state, job.reason, job.finished_at = state, reason[:500], utc_now()
    repository.save(session)
    record_event(haven, f"job.{state.value}", actor=actor, subject=reference, details={
        "job_id": job.id, "code_hash": job.code_hash, "extract_version": job.extract_version,
        "script": job.script_name, "queued_at": _iso(job.queued_at),
        "started_at": _iso(job.started_at), "finished_at": _iso(job.finished_at),
        "exit_code": job.exit_code, "reason": job.reason, "outputs": job.outputs,
        **(extra or {}),
    })
    return JobReport(status=state.value, reason=job.reason, outputs=list(job.outputs),
                     job_id=job.id, log=job.log, code_hash=job.code_hash,
                     extract_version=job.extract_version)


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

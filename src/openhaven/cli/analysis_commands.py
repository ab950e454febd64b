"""``openhaven dummy`` and ``openhaven job ...``: dummy data and sandboxed analysis jobs.

``dummy`` writes data shaped exactly like a project's extract, generated from its dataset
specification (no real record is read), optionally aimed at a query so that the query finds
patients in it. ``job submit`` queues a Python script to run inside the sandbox against the
project's extract and returns at once; a worker (``openhaven worker``, or the one ``serve``
starts) runs it. ``job run`` submits and waits for the end state, running the job itself when
no worker is running, and answers ``{"status", "reason", "outputs"}``; a job's log is shown
only once checked. ``job list``, ``job show`` and ``job log`` show every job of the project,
whoever submitted it; ``job cancel`` stops a queued or running job. ``--as EMAIL`` acts as
that registered person, who must be allowed the project's data now; dummy data describes no
one, so it needs no such check.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from openhaven.cli.context import (
    HomeOption,
    JsonOption,
    acting_person,
    error_log,
    governance_session,
    haven_command,
    open_haven,
    resolve_home,
)
from openhaven.cli.project_commands import ActingResearcher
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.errors import InvalidInput, Location

job_app = typer.Typer(help="Analysis jobs: your Python script, run in the sandbox.",
                      no_args_is_help=True)
ActorOption = Annotated[str, typer.Option("--actor", help="Who is acting (recorded).")]


def dummy(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dummy extract to.")],
    patients: Annotated[int, typer.Option("--patients", help="Dummy patients to start with.")]
    = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 0,
    query_file: Annotated[Path | None, typer.Option(
        "--query", help="A query file: generate until it finds --min-matches patients.")] = None,
    min_matches: Annotated[int, typer.Option(
        "--min-matches", help="Dummy patients the query must find.")] = 50,
    home: HomeOption = None,
    actor: ActorOption = "researcher",
    as_json: JsonOption = False,
) -> None:
    """Write dummy data with the exact schema of a project's extract (no real records)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.analysis.dummy_service import project_dummy_data
        from openhaven.analysis.query_spec import AggregateQuery
        from openhaven.cli.project_commands import _read_query

        query = None
        if query_file is not None:
            raw = _read_query(query_file)
            if not isinstance(raw, dict):
                raise InvalidInput("A query file must hold a mapping",
                                   Location(file=query_file.name))
            query = AggregateQuery.from_dict(raw, source=query_file.name)
        haven = open_haven(home)
        with governance_session(haven) as session:
            report = project_dummy_data(
                session, haven, reference, out, actor=actor, patients=patients, seed=seed,
                query=query, min_matches=min_matches if query is not None else 0,
            )
        if as_json:
            emit_json(report.as_dict())
            return
        counts = ", ".join(f"{name} {rows:,}" for name, rows in report.row_counts.items())
        console.print(f"Dummy extract for {reference} in {report.path.parent}: {counts}"
                      + (f"; the query finds {report.matches:,} patients"
                         if report.matches is not None else ""), highlight=False)


def _limits(timeout: float, memory_mb: int) -> Any:
    from openhaven.jobs.sandbox import SandboxLimits

    if not 1 <= timeout <= 24 * 3600 or not 64 <= memory_mb <= 256 * 1024:
        raise InvalidInput("--timeout must be 1 s to 24 h and --memory-mb 64 to 262144",
                           Location(field="limits"))
    return SandboxLimits(wall_seconds=timeout, cpu_seconds=int(timeout),
                         memory_bytes=memory_mb * 1024**2)


TimeoutOption = Annotated[float, typer.Option("--timeout", help="Wall-clock limit, seconds.")]
MemoryOption = Annotated[int, typer.Option("--memory-mb", help="Memory limit, MiB.")]
WAIT_POLL_SECONDS = 1.0


@job_app.command("run")
def run_job_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    script: Annotated[Path, typer.Argument(help="The Python script to run.")],
    timeout: TimeoutOption = 300.0,
    memory_mb: MemoryOption = 4096,
    home: HomeOption = None,
    actor: ActorOption = "researcher",
    acting_as: ActingResearcher = None,
    as_json: JsonOption = False,
) -> None:
    """Run SCRIPT in the sandbox against the project's extract (read-only at /job/extract).

    The job is queued; if a worker is running it takes the job and this command waits for
    the end, otherwise this command runs the job itself. The job's own outcome is the
    answer's ``status`` (succeeded, failed, blocked or cancelled); the exit code is non-zero
    only when no job could be recorded (bad script, unknown project, ...).
    """
    with haven_command(ctx, home, as_json=as_json) as haven:
        job_id = _submit(haven, reference, script, actor, acting_as, _limits(timeout, memory_mb))
        report = _until_ended(haven, job_id)
        if as_json:
            emit_json(report.as_dict())
        else:
            console.print(f"Job {report.job_id}: {report.status} — {report.reason}",
                          highlight=False)
            for output in report.outputs:
                console.print(f"  output {output['file']} ({output['bytes']:,} bytes)",
                              highlight=False)
            if report.log:
                console.print(report.log, highlight=False, markup=False)


@job_app.command("submit")
def submit_job_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    script: Annotated[Path, typer.Argument(help="The Python script to run.")],
    timeout: TimeoutOption = 300.0,
    memory_mb: MemoryOption = 4096,
    home: HomeOption = None,
    actor: ActorOption = "researcher",
    acting_as: ActingResearcher = None,
    as_json: JsonOption = False,
) -> None:
    """Queue SCRIPT to run on the project's extract and return at once (a worker runs it)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.jobs.service import get_job, job_summary

        job_id = _submit(haven, reference, script, actor, acting_as, _limits(timeout, memory_mb))
        with governance_session(haven) as session:
            summary = job_summary(get_job(session, job_id))
        if as_json:
            emit_json(summary)
        else:
            console.print(f"Job {job_id} queued for {reference}: openhaven job show {job_id}",
                          highlight=False)


@job_app.command("cancel")
def cancel_job_command(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    home: HomeOption = None,
    actor: ActorOption = "researcher",
    acting_as: ActingResearcher = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a job: a queued one never starts; a running one is stopped by its worker."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.jobs.service import cancel_job, job_summary

        with governance_session(haven) as session:
            person = None if acting_as is None else acting_person(session, acting_as)
            summary = job_summary(cancel_job(
                session, haven, job_id, actor=actor if person is None else person.reference))
        if as_json:
            emit_json(summary)
        elif summary["state"] == "cancelled":
            console.print(f"Job {job_id} cancelled", highlight=False)
        else:
            console.print(f"Job {job_id} is running: its worker will stop it within seconds",
                          highlight=False)


@job_app.command("log")
def job_log_command(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a job's checked log (withheld, with the reason, if it carried record-level data)."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.jobs.service import get_job

        with governance_session(haven) as session:
            job = get_job(session, job_id)
            answer = {"job_id": job.id, "state": job.state.value, "log": job.log}
        if as_json:
            emit_json(answer)
        else:
            console.print(answer["log"], highlight=False, markup=False)


def _submit(haven: Any, reference: str, script: Path, actor: str, acting_as: str | None,
            limits: Any) -> int:
    from openhaven.jobs.service import submit_job

    with governance_session(haven) as session:
        person = None if acting_as is None else acting_person(session, acting_as)
        job = submit_job(session, haven, reference, script,
                         actor=actor if person is None else person.reference,
                         limits=limits, person=person)
        return job.id


def _until_ended(haven: Any, job_id: int) -> Any:
    """Wait for a worker to end the job; run it here when no worker is there to take it."""
    from openhaven.cli.worker_commands import units_for, worker_engine
    from openhaven.jobs.models import FINAL_STATES, JobState
    from openhaven.jobs.service import get_job, report_of
    from openhaven.jobs.worker import Worker, worker_running

    with worker_engine(haven) as engine:
        units = units_for(engine)
        while True:
            with units() as session:
                job = get_job(session, job_id)
                if job.state in FINAL_STATES:
                    return report_of(job)
                take = job.state is JobState.QUEUED and not worker_running(session)
            if take:
                report = Worker(units, haven).run_job(job_id)
                if report.status in {s.value for s in FINAL_STATES}:
                    return report
            time.sleep(WAIT_POLL_SECONDS)


@job_app.command("list")
def list_jobs_command(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Project reference.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a project's jobs with their states."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.jobs.service import job_summary, list_jobs

        with governance_session(haven) as session:
            jobs = [job_summary(j) for j in list_jobs(session, reference)]
        if as_json:
            emit_json({"project": reference, "jobs": jobs})
            return
        table = Table("Job", "State", "Script", "By", "Finished", "Reason")
        for job in jobs:
            table.add_row(str(job["job_id"]), job["state"], job["script"], job["submitted_by"],
                          str(job["finished_at"] or ""), job["reason"])
        console.print(table)


@job_app.command("show")
def show_job_command(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="Job number.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one job: its state, checked log and outputs."""
    with haven_command(ctx, home, as_json=as_json) as haven:
        from openhaven.jobs.service import get_job, job_summary

        with governance_session(haven) as session:
            summary = job_summary(get_job(session, job_id))
        if as_json:
            emit_json(summary)
            return
        for key, value in summary.items():
            if key != "log":
                console.print(f"{key:>16}: {value}", highlight=False)
        console.print(summary["log"], highlight=False, markup=False)

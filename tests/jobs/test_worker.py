"""Jobs through the queue for real: a worker in a thread, cancels from elsewhere, the CLI.

The job tests' demo haven (SQLite) is used with units of work that commit, as the worker,
``openhaven job ...`` and the web would; no test holds a session open while a worker runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.jobs import service
from openhaven.jobs.models import JobState
from openhaven.jobs.sandbox import SandboxLimits
from openhaven.jobs.worker import Worker
from openhaven.ledger import read_entries

pytestmark = pytest.mark.usefixtures("sandbox_available")
WAIT_LIMIT_SECONDS = 60


@pytest.fixture
def engine(job_haven: Haven) -> Iterator[Engine]:
    made = make_engine(job_haven.settings.database_url)
    yield made
    made.dispose()


def _cli(home: Path, *arguments: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, ["--home", str(home), *arguments, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def _submit(engine: Engine, haven: Haven, reference: str, folder: Path, code: str,
            **limits: float) -> int:
    script = folder / "analysis.py"
    script.write_text(code, encoding="utf-8")
    with unit_of_work(engine) as session:
        return service.submit_job(
            session, haven, reference, script, actor="researcher-submitter",
            limits=SandboxLimits(**limits) if limits else None,  # type: ignore[arg-type]
        ).id


def _state_becomes(engine: Engine, job_id: int, state: JobState) -> None:
    for _ in range(WAIT_LIMIT_SECONDS * 10):
        with unit_of_work(engine) as session:
            if service.get_job(session, job_id).state is state:
                return
        time.sleep(0.1)
    with unit_of_work(engine) as session:
        job = service.get_job(session, job_id)
        raise AssertionError(f"job {job_id} is {job.state.value}: {job.reason}")


def test_cancelling_a_running_job_kills_its_sandbox_and_records_who(
    engine: Engine, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    job_id = _submit(engine, job_haven, project_reference, tmp_path,
                     "import os, time\n"
                     "open(os.path.join(os.environ['OPENHAVEN_SCRATCH'], 'x'), 'w').write('1')\n"
                     "print('started', flush=True)\n"
                     "time.sleep(600)\n",
                     wall_seconds=120.0)
    worker = Worker(lambda: unit_of_work(engine), job_haven, poll_seconds=0.2)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    try:
        _state_becomes(engine, job_id, JobState.RUNNING)
        with unit_of_work(engine) as session:  # another process would do the same
            service.cancel_job(session, job_haven, job_id, actor="researcher-canceller")
    finally:
        thread.join()
    with unit_of_work(engine) as session:
        job = service.get_job(session, job_id)
        assert job.state is JobState.CANCELLED, job.reason
        assert job.reason.startswith("Cancelled by researcher-canceller at ")
        assert job.cancel_requested_by == "researcher-canceller" and job.finished_at
    folder = service.job_folder(job_haven, project_reference, job_id)
    assert not (folder / "scratch").exists()
    actions = [e.action for e in read_entries(job_haven, action_prefix="job.")
               if e.details.get("job_id") == job_id]
    assert actions == ["job.submitted", "job.started", "job.cancel_requested", "job.cancelled"]
    cancelled = next(e for e in read_entries(job_haven, action_prefix="job.cancelled")
                     if e.details["job_id"] == job_id)
    assert cancelled.actor == "researcher-canceller"
    assert cancelled.details["limit"] is None and cancelled.details["code_hash"]


def test_the_cli_queues_lists_runs_shows_and_cancels(
    job_demo: Any, engine: Engine, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    home = job_demo.home
    script = tmp_path / "count.py"
    script.write_text("import os\nopen(os.environ['OPENHAVEN_OUTPUT'] + '/n.txt', 'w')"
                      ".write('42')\nprint('counted')\n", encoding="utf-8")
    code, first = _cli(home, "job", "submit", project_reference, str(script),
                       "--actor", "researcher-one")
    assert code == 0 and first["state"] == "queued", first
    code, second = _cli(home, "job", "submit", project_reference, str(script),
                        "--actor", "researcher-two")
    assert code == 0, second
    code, listed = _cli(home, "job", "list", project_reference)
    states = {j["job_id"]: (j["state"], j["submitted_by"]) for j in listed["jobs"]}
    assert states[first["job_id"]] == ("queued", "researcher-one")
    assert states[second["job_id"]] == ("queued", "researcher-two")
    code, cancelled = _cli(home, "job", "cancel", str(second["job_id"]),
                           "--actor", "researcher-one")
    assert code == 0 and cancelled["state"] == "cancelled", cancelled
    code, ran = _cli(home, "worker", "--once")
    assert code == 0 and ran["jobs_run"] >= 1, ran
    code, shown = _cli(home, "job", "show", str(first["job_id"]))
    assert shown["state"] == "succeeded", shown
    assert shown["outputs"] == [{"file": "n.txt", "bytes": 2}]
    assert shown["enforced_by"].startswith(("rlimits", "cgroup v2"))
    code, log = _cli(home, "job", "log", str(first["job_id"]))
    assert code == 0 and "counted" in log["log"]
    code, again = _cli(home, "job", "show", str(second["job_id"]))
    assert again["state"] == "cancelled" and again["started_at"] is None
    code, refused = _cli(home, "job", "cancel", str(first["job_id"]))
    assert code != 0 and "already ended" in json.dumps(refused)


def test_job_run_keeps_its_contract_with_no_worker_running(
    job_demo: Any, project_reference: str, tmp_path: Path
) -> None:
    script = tmp_path / "hello.py"
    script.write_text("print('hello')\n", encoding="utf-8")
    code, answer = _cli(job_demo.home, "job", "run", project_reference, str(script))
    assert code == 0, answer
    assert answer["status"] == "succeeded" and answer["outputs"] == []
    assert {"status", "reason", "outputs"} <= set(answer)


def test_the_background_worker_serve_starts_runs_jobs_and_stops_cleanly(
    engine: Engine, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    from openhaven.cli.worker_commands import background_worker
    from openhaven.jobs.worker import worker_running

    with background_worker(job_haven, concurrency=2) as running:
        running.idle_seconds = 0.2
        first = _submit(engine, job_haven, project_reference, tmp_path, "print('one')\n")
        second = _submit(engine, job_haven, project_reference, tmp_path, "print('two')\n")
        _state_becomes(engine, first, JobState.SUCCEEDED)
        _state_becomes(engine, second, JobState.SUCCEEDED)
        with unit_of_work(engine) as session:
            assert worker_running(session)
            assert service.get_job(session, first).worker.startswith(running.name)
    with unit_of_work(engine) as session:
        assert not worker_running(session), "a stopped worker says so"


def test_the_worker_command_runs_jobs_until_sigterm_then_stops_cleanly(
    job_demo: Any, engine: Engine, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    from openhaven.jobs.worker import worker_running

    process = subprocess.Popen(
        [sys.executable, "-c", "from openhaven.cli.main import main; main()",
         "--home", str(job_demo.home), "worker", "--concurrency", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        job_id = _submit(engine, job_haven, project_reference, tmp_path, "print('hi')\n")
        _state_becomes(engine, job_id, JobState.SUCCEEDED)
        with unit_of_work(engine) as session:
            assert worker_running(session)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=WAIT_LIMIT_SECONDS)
    assert process.returncode == 0, output
    with unit_of_work(engine) as session:
        assert not worker_running(session)


def test_stopping_the_server_kills_its_workers_running_job_and_records_why(
    engine: Engine, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    from openhaven.cli.worker_commands import background_worker

    with background_worker(job_haven) as running:
        running.poll_seconds = 0.2
        job_id = _submit(engine, job_haven, project_reference, tmp_path,
                         "import time\ntime.sleep(600)\n", wall_seconds=300.0)
        _state_becomes(engine, job_id, JobState.RUNNING)
    with unit_of_work(engine) as session:
        job = service.get_job(session, job_id)
        assert (job.state, job.reason) == (JobState.FAILED, service.WORKER_STOPPED)
    assert not (service.job_folder(job_haven, project_reference, job_id) / "scratch").exists()

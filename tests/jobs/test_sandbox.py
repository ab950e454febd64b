"""A job cannot reach the network, write outside its folders, read another project's
extract or exceed its limits; each attempt stops the job and is recorded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.jobs import sandbox
from openhaven.jobs.sandbox import SandboxLimits, enforcement
from openhaven.jobs.service import run_job
from openhaven.ledger import read_entries

pytestmark = pytest.mark.usefixtures("sandbox_available")


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "analysis.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _run(session: Session, haven: Haven, reference: str, script: Path,
         **limits: float) -> dict:
    report = run_job(session, haven, reference, script, actor="researcher-test",
                     limits=SandboxLimits(**{"wall_seconds": 30.0, **limits}))  # type: ignore[arg-type]
    return report.as_dict()


def _recorded(haven: Haven, job_id: int | None) -> dict:
    """The ledger's record of how the job ended."""
    return next(e.details for e in read_entries(haven, action_prefix="job.failed")
                if e.details.get("job_id") == job_id)


def test_a_job_runs_as_nobody_and_writes_its_outputs(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, """
        import os, numpy, polars, pyarrow
        assert os.getuid() == 65534 and os.geteuid() == 65534
        with open(os.path.join(os.environ["OPENHAVEN_OUTPUT"], "result.txt"), "w") as out:
            out.write("done")
        print("finished")
    """)
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "succeeded", report["reason"]
    assert report["outputs"] == [{"file": "result.txt", "bytes": 4}]
    assert "finished" in report["log"]
    events = [e for e in read_entries(job_haven, action_prefix="job.")
              if e.details.get("job_id") == report["job_id"]]
    assert [e.action for e in events] == ["job.submitted", "job.started", "job.succeeded"]
    finished = events[-1].details
    assert finished["code_hash"] == report["code_hash"] and finished["extract_version"] >= 1
    assert finished["outputs"] == report["outputs"] and finished["started_at"]


def test_the_network_is_unreachable(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, """
        import socket
        socket.create_connection(("1.1.1.1", 53), timeout=3)
    """)
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "failed"
    assert "Network is unreachable" in report["log"]


@pytest.mark.parametrize("target", ["/job/extract/evil.txt", "/usr/evil.txt",
                                    "/opt/job-python/evil.txt", "/job/code/script.py"])
def test_a_job_cannot_write_outside_its_folders(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path, target: str
) -> None:
    script = _script(tmp_path, f"open({target!r}, 'w').write('x')\n")
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "failed"
    assert "Read-only file system" in report["log"] or "Permission denied" in report["log"]


def test_a_job_cannot_see_the_haven_or_another_projects_extract(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    other = job_haven.paths.project("OH-OTHER-9999") / "extracts" / "v1"
    other.mkdir(parents=True, exist_ok=True)
    (other / "extract.duckdb").write_bytes(b"another project's data")
    script = _script(tmp_path, f"""
        import os
        for path in [{str(other / "extract.duckdb")!r}, {str(job_haven.home)!r},
                     "/root/.ssh", "/work", "/home"]:
            assert not os.path.exists(path), path
        open({str(other / "extract.duckdb")!r}, "rb").read()
    """)
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "failed"
    assert "FileNotFoundError" in report["log"]


def test_a_job_that_runs_too_long_is_stopped_and_recorded(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, "import time\ntime.sleep(60)\n")
    report = _run(session, job_haven, project_reference, script, wall_seconds=2.0)
    assert report["status"] == "failed"
    assert "time limit" in report["reason"]
    recorded = [e for e in read_entries(job_haven, action_prefix="job.failed")
                if e.details.get("job_id") == report["job_id"]]
    assert recorded and recorded[0].details["limit"] == "time limit"


def test_a_job_over_its_memory_limit_is_stopped(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, "block = bytearray(1024 * 1024 * 1024)\n")
    report = run_job(session, job_haven, project_reference, script, actor="researcher-test",
                     limits=SandboxLimits(wall_seconds=30, memory_bytes=512 * 1024**2))
    assert report.status == "failed"
    assert "memory limit" in report.reason
    recorded = _recorded(job_haven, report.job_id)
    assert recorded["limit"] == "memory limit"
    assert recorded["enforced_by"] == enforcement()


def test_a_log_carrying_pseudonyms_or_rows_is_withheld(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, """
        import os, pyarrow.parquet as pq
        folder = os.path.dirname(os.environ["OPENHAVEN_EXTRACT"])
        table = pq.read_table(os.path.join(folder, "tables", "patients.parquet"))
        for row in table.slice(0, 5).to_pylist():
            print(row)
    """)
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "succeeded"
    assert "withheld" in report["reason"] and "pseudonym" in report["reason"]
    assert report["log"].startswith("[log withheld")


def test_without_isolation_jobs_are_blocked_not_run(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "no-bwrap-here"))
    script = _script(tmp_path, f"open({str(marker)!r}, 'w').write('x')\n")
    report = _run(session, job_haven, project_reference, script)
    assert report["status"] == "blocked"
    assert "bubblewrap" in report["reason"]
    assert not marker.exists()


def test_a_job_writing_too_large_a_file_is_stopped(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, """
        import os
        with open(os.path.join(os.environ["OPENHAVEN_OUTPUT"], "big.bin"), "wb") as out:
            out.write(b"x" * (8 * 1024 * 1024))
    """)
    report = run_job(session, job_haven, project_reference, script, actor="researcher-test",
                     limits=SandboxLimits(wall_seconds=30, file_bytes=1024 * 1024))
    assert report.status == "failed"
    assert "file size limit" in report.reason
    assert _recorded(job_haven, report.job_id)["limit"] == "file size limit"


def test_a_job_cannot_start_unlimited_processes(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = _script(tmp_path, """
        import os, time
        children = []
        try:
            for _ in range(200):
                pid = os.fork()
                if pid == 0:
                    time.sleep(5)
                    os._exit(0)
                children.append(pid)
        except OSError as refused:
            print("refused after", len(children), type(refused).__name__)
            raise
    """)
    report = run_job(session, job_haven, project_reference, script, actor="researcher-test",
                     limits=SandboxLimits(wall_seconds=30, processes=16))
    assert report.status == "failed"
    assert "refused after" in report.log
    assert "process limit" in report.reason
    assert _recorded(job_haven, report.job_id)["limit"] == "process limit"

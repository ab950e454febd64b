"""Run one researcher script confined: bubblewrap, its own user, no network, hard limits.

The sandbox is built from nothing: an empty root with only what the script needs bound in
(the system's libraries and the job interpreter read-only, the project's extract read-only
at ``/job/extract``, a private scratch folder and the job's output folder writable). The
network, process, IPC and host-name namespaces are private, so there is no network at all.
The script runs as the unprivileged ``nobody`` user (uid 65534) with no capabilities and
``no_new_privs``, under CPU, memory, file-size and process limits and a wall-clock timeout.
Where a writable cgroup v2 exists (see :mod:`openhaven.jobs.cgroups`) the whole process tree
is also put in its own group with ``memory.max``, ``pids.max`` and ``cpu.max``; the run says
which enforcement applied. While the script runs, ``should_stop`` is asked every
``poll_seconds`` (the worker's cancel check and heartbeat): when it answers yes, the
sandbox's process group is killed.

Where bubblewrap or ``setpriv`` is missing, or cannot build a sandbox on this kernel,
:func:`isolation_problem` says why and the caller refuses the job: a job never runs
unconfined.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openhaven.jobs.cgroups import JobCgroup, job_cgroup_parent

BWRAP = "/usr/bin/bwrap"
SANDBOX_UID = 65534
#: Where the pieces appear inside the sandbox; the script reads these paths (and the
#: OPENHAVEN_* variables that name them), so it runs unchanged on dummy and real data.
EXTRACT_MOUNT = "/job/extract"
OUTPUT_MOUNT = "/job/output"
SCRATCH_MOUNT = "/job/scratch"
SCRIPT_MOUNT = "/job/code/script.py"
INTERPRETER_MOUNT = "/opt/job-python"
SYSTEM_FOLDERS = ("/usr", "/etc/alternatives")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/localtime")


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one job; the defaults suit an analysis of a project extract."""

    wall_seconds: float = 300.0
    cpu_seconds: int = 240
    memory_bytes: int = 4 * 1024**3
    file_bytes: int = 512 * 1024**2
    processes: int = 64
    log_bytes: int = 64 * 1024


@dataclass(frozen=True)
class SandboxRun:
    """What happened: the exit status, the captured log (capped) and why it stopped."""

    exit_code: int
    log: str
    timed_out: bool
    log_truncated: bool
    seconds: float
    cancelled: bool = False
    enforced_by: str = "rlimits"
    out_of_memory: bool = False
    processes_refused: bool = False

    @property
    def stopped_by_limit(self) -> str | None:
        """Which limit stopped the script, if one did (the reason is recorded)."""
        if self.cancelled:
            return None
        if self.timed_out:
            return "time limit"
        if self.out_of_memory:
            return "memory limit"
        if self.processes_refused or (
                self.exit_code != 0 and "Resource temporarily unavailable" in self.log):
            return "process limit"
        if self.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return "CPU limit"
        if self.exit_code in (-signal.SIGKILL, 128 + signal.SIGKILL):
            return "killed (memory or process limit)"
        if self.exit_code in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ):
            return "file size limit"
        if "MemoryError" in self.log:
            return "memory limit"
        if "File too large" in self.log:  # Python ignores SIGXFSZ: the write fails instead
            return "file size limit"
        return None


def job_interpreter() -> tuple[Path, Path]:
    """The job's Python: this environment's interpreter and its installed base.

    Returns the virtual environment (or installation prefix) and the base installation the
    interpreter comes from; both are bound read-only so the allow-listed packages installed
    beside the haven (numpy, polars, pyarrow, and pandas, scipy, statsmodels and matplotlib
    where the ``jobs`` extra is installed) are what the script can import, and nothing else.
    """
    return Path(sys.prefix), Path(sys.base_prefix)


def isolation_problem() -> str | None:
    """Why a sandbox cannot be built here, or None when it can (checked by building one)."""
    if not sys.platform.startswith("linux"):
        return "analysis jobs need Linux namespaces; this system has none"
    if not Path(BWRAP).exists():
        return "bubblewrap (/usr/bin/bwrap) is not installed"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    if os.geteuid() != 0:
        return "the haven must start jobs as root so that each runs as its own unprivileged user"
    probe = subprocess.run(  # noqa: S603 - a fixed command line, no user input
        [*_sandbox_command(None, None, None), "/bin/true"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        return "bubblewrap could not build a sandbox on this system"
    return None


def run_sandboxed(
    script: Path,
    *,
    extract: Path,
    output: Path,
    scratch: Path,
    limits: SandboxLimits,
    should_stop: Callable[[], bool] | None = None,
    poll_seconds: float = 1.0,
    cgroup_name: str | None = None,
) -> SandboxRun:
    """Run ``script`` confined; ``output`` and ``scratch`` must exist and be empty folders.

    ``should_stop`` is called every ``poll_seconds`` while the script runs; a true answer
    kills the sandbox and the run comes back ``cancelled``. ``cgroup_name`` names the job's
    control group where cgroup v2 can be used.
    """
    for folder in (output, scratch):
        os.chown(folder, SANDBOX_UID, SANDBOX_UID)
        os.chmod(folder, 0o700)
    venv, _base = job_interpreter()
    command = [
        *_sandbox_command(extract, output, scratch),
        "--ro-bind", str(script), SCRIPT_MOUNT,
        "--chdir", SCRATCH_MOUNT,
        "/usr/bin/setpriv",
        f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups",
        "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all",
        f"{INTERPRETER_MOUNT}/bin/python{'' if (venv / 'bin' / 'python').exists() else '3'}",
        "-I", "-B", SCRIPT_MOUNT,
    ]
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": SCRATCH_MOUNT,
        "TMPDIR": SCRATCH_MOUNT,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OPENHAVEN_EXTRACT": f"{EXTRACT_MOUNT}/{extract.name}",
        "OPENHAVEN_OUTPUT": OUTPUT_MOUNT,
        "OPENHAVEN_SCRATCH": SCRATCH_MOUNT,
        "OMP_NUM_THREADS": "1",
        "POLARS_MAX_THREADS": "1",
    }
    group = _job_cgroup(cgroup_name or scratch.parent.name, limits)
    started = time.monotonic()
    log_path = scratch.with_name(scratch.name + ".log")
    try:
        with open(log_path, "w+b") as log_file:
            process = subprocess.Popen(  # noqa: S603 - the script is an argument, never a shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
                preexec_fn=_limiter(limits, group),
            )
            exit_code, timed_out, cancelled = _wait(process, started, limits.wall_seconds,
                                                    should_stop, poll_seconds)
            log_file.seek(0)
            raw = log_file.read(limits.log_bytes + 1)
        out_of_memory = group is not None and group.out_of_memory()
        refused = group is not None and group.pids_refused()
    finally:
        if group is not None:
            group.remove()
        log_path.unlink(missing_ok=True)
    return SandboxRun(
        exit_code=exit_code,
        log=raw[: limits.log_bytes].decode("utf-8", errors="replace"),
        timed_out=timed_out,
        log_truncated=len(raw) > limits.log_bytes,
        seconds=time.monotonic() - started,
        cancelled=cancelled,
        enforced_by="rlimits" if group is None else "cgroup v2 and rlimits",
        out_of_memory=out_of_memory,
        processes_refused=refused,
    )


def enforcement() -> str:
    """How limits are enforced on this system: what a job record will say, and why."""
    found = job_cgroup_parent()
    if found.path is None:
        return f"rlimits ({found.problem})"
    return "cgroup v2 and rlimits"


def _job_cgroup(name: str, limits: SandboxLimits) -> JobCgroup | None:
    found = job_cgroup_parent()
    if found.path is None:
        return None
    try:
        return JobCgroup.create(found.path, f"job-{name}-{os.getpid()}",
                                memory_bytes=limits.memory_bytes, processes=limits.processes)
    except OSError:
        return None


def _wait(
    process: subprocess.Popen[bytes], started: float, wall_seconds: float,
    should_stop: Callable[[], bool] | None, poll_seconds: float,
) -> tuple[int, bool, bool]:
    """Wait for the sandbox: (exit code, stopped by the wall clock, stopped by a cancel)."""
    deadline = started + wall_seconds
    while True:
        left = deadline - time.monotonic()
        try:
            return process.wait(timeout=max(0.01, min(poll_seconds, left))), False, False
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                return _kill(process), True, False
            if should_stop is not None and should_stop():
                return _kill(process), False, True


def _kill(process: subprocess.Popen[bytes]) -> int:
    """Kill the sandbox's whole process group; bubblewrap takes its namespace down with it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


def _sandbox_command(
    extract: Path | None, output: Path | None, scratch: Path | None
) -> list[str]:
    venv, base = job_interpreter()
    command = [BWRAP, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--hostname", "job", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108 - a private tmpfs inside the sandbox
    for folder in SYSTEM_FOLDERS:
        if Path(folder).exists():
            command += ["--ro-bind", folder, folder]
    for name in ("lib", "lib64", "bin", "sbin"):
        target = os.readlink(f"/{name}") if Path(f"/{name}").is_symlink() else None
        if target is not None:
            command += ["--symlink", target, f"/{name}"]
        elif Path(f"/{name}").is_dir():
            command += ["--ro-bind", f"/{name}", f"/{name}"]
    for file in SYSTEM_FILES:
        if Path(file).exists():
            command += ["--ro-bind", file, file]
    if not str(base).startswith("/usr/"):
        command += [*_parents(base), "--ro-bind", str(base), str(base)]
    command += [*_parents(Path(INTERPRETER_MOUNT)), "--ro-bind", str(venv), INTERPRETER_MOUNT]
    command += [*_parents(Path(SCRIPT_MOUNT).parent), "--perms", "0755", "--dir", "/job/code"]
    if extract is not None:
        command += ["--ro-bind", str(extract.parent), EXTRACT_MOUNT]
    if output is not None:
        command += ["--bind", str(output), OUTPUT_MOUNT]
    if scratch is not None:
        command += ["--bind", str(scratch), SCRATCH_MOUNT]
    return command


def _parents(path: Path) -> list[str]:
    """Create each missing parent of ``path`` world-readable (bubblewrap defaults to 0700)."""
    arguments: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) in ("/", "/usr") or str(parent).startswith("/usr/"):
            continue
        arguments += ["--perms", "0755", "--dir", str(parent)]
    return arguments


def _limiter(limits: SandboxLimits, group: JobCgroup | None = None) -> Callable[[], None]:
    def apply() -> None:
        if group is not None:
            group.join(os.getpid())
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply

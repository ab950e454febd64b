"""Per-job control groups (cgroup v2), where the system lets the haven write them.

Each job gets its own group under a parent the haven may write to (``$OPENHAVEN_JOB_CGROUP``,
else ``/sys/fs/cgroup/openhaven``): ``memory.max`` and ``memory.swap.max`` cap the memory of
the whole process tree, ``pids.max`` its processes and ``cpu.max`` its share of the CPU
(bandwidth, one CPU by default). The job's first process joins the group before it runs the
script, so nothing escapes it; at the end every process left in the group is killed and the
group removed.

Where cgroup v2 is not mounted, lacks the memory, pids or cpu controller, or cannot be written
(many containers), :func:`job_cgroup_parent` says why and the sandbox keeps to its rlimits
alone; the job record says which applied.
"""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

PARENT_ENV = "OPENHAVEN_JOB_CGROUP"
DEFAULT_PARENT = Path("/sys/fs/cgroup/openhaven")
CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_MICROSECONDS = 100_000


@dataclass(frozen=True)
class CgroupParent:
    """Where job groups go, or why there is nowhere (``path`` is None then)."""

    path: Path | None
    problem: str | None


def job_cgroup_parent(parent: Path | None = None) -> CgroupParent:
    """Find (and prepare) the parent group for jobs: controllers present and delegated."""
    chosen = parent or Path(os.environ.get(PARENT_ENV) or DEFAULT_PARENT)
    root = chosen.parent
    try:
        available = (root / "cgroup.controllers").read_text(encoding="utf-8").split()
    except OSError:
        return CgroupParent(None, f"no cgroup v2 hierarchy at {root}")
    missing = [c for c in CONTROLLERS if c not in available]
    if missing:
        return CgroupParent(None, "cgroup v2 lacks the " + ", ".join(missing) + " controller")
    try:
        chosen.mkdir(exist_ok=True)
        enabled = (chosen / "cgroup.subtree_control").read_text(encoding="utf-8").split()
        wanted = [c for c in CONTROLLERS if c not in enabled]
        if wanted:
            _enable(root, wanted)
            (chosen / "cgroup.subtree_control").write_text(
                " ".join(f"+{c}" for c in wanted), encoding="utf-8")
    except OSError:
        return CgroupParent(None, f"cgroup v2 at {chosen} cannot be written")
    return CgroupParent(chosen, None)


def _enable(root: Path, controllers: list[str]) -> None:
    enabled = (root / "cgroup.subtree_control").read_text(encoding="utf-8").split()
    needed = [c for c in controllers if c not in enabled]
    if needed:
        (root / "cgroup.subtree_control").write_text(
            " ".join(f"+{c}" for c in needed), encoding="utf-8")


@dataclass(frozen=True)
class JobCgroup:
    """One job's group: made with its limits, joined by the job, emptied and removed."""

    path: Path

    @classmethod
    def create(cls, parent: Path, name: str, *, memory_bytes: int, processes: int,
               cpus: float = 1.0) -> JobCgroup:
        path = parent / name
        path.mkdir()
        group = cls(path)
        group._write("memory.max", str(memory_bytes))
        group._write("memory.swap.max", "0", optional=True)
        group._write("pids.max", str(processes))
        quota = max(1000, int(cpus * CPU_PERIOD_MICROSECONDS))
        group._write("cpu.max", f"{quota} {CPU_PERIOD_MICROSECONDS}")
        return group

    def join(self, pid: int) -> None:
        """Move ``pid`` into the group (the sandbox's first process calls this on itself)."""
        self._write("cgroup.procs", str(pid))

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group for exceeding ``memory.max``."""
        return self._event("memory.events", "oom_kill") > 0

    def pids_refused(self) -> bool:
        """Whether a fork was refused because the group reached ``pids.max``."""
        return self._event("pids.events", "max") > 0

    def remove(self) -> None:
        """Kill whatever is left in the group, then remove it."""
        if (self.path / "cgroup.kill").exists():
            self._write("cgroup.kill", "1", optional=True)
        else:
            for line in self._read("cgroup.procs").split():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(line), signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.path.rmdir()

    def _event(self, file: str, key: str) -> int:
        for line in self._read(file).splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
        return 0

    def _read(self, file: str) -> str:
        try:
            return (self.path / file).read_text(encoding="utf-8")
        except OSError:
            return ""

    def _write(self, file: str, value: str, *, optional: bool = False) -> None:
        try:
            (self.path / file).write_text(value, encoding="utf-8")
        except OSError:
            if not optional:
                raise

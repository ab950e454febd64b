"""Per-job cgroups: found only where cgroup v2 has the controllers and can be written;
otherwise the sandbox says it keeps to rlimits, and why.

The file handling runs against a folder laid out like a cgroup v2 hierarchy; the kernel's
own enforcement runs only where this machine has a writable cgroup v2 (skipped, saying so,
elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.jobs import cgroups
from openhaven.jobs.cgroups import JobCgroup, job_cgroup_parent
from openhaven.jobs.sandbox import enforcement


def _hierarchy(root: Path, controllers: str) -> Path:
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers, encoding="utf-8")
    (root / "cgroup.subtree_control").write_text("", encoding="utf-8")
    parent = root / "openhaven"
    parent.mkdir()
    (parent / "cgroup.subtree_control").write_text("", encoding="utf-8")
    return parent


def test_without_a_hierarchy_or_its_controllers_there_is_no_parent(tmp_path: Path) -> None:
    assert "no cgroup v2 hierarchy" in str(job_cgroup_parent(tmp_path / "none" / "oh").problem)
    parent = _hierarchy(tmp_path / "v2", "cpu hugetlb")
    found = job_cgroup_parent(parent)
    assert found.path is None and found.problem == (
        "cgroup v2 lacks the memory, pids controller")


def test_a_parent_gets_its_controllers_and_a_job_group_its_limits(tmp_path: Path) -> None:
    parent = _hierarchy(tmp_path / "v2", "cpuset cpu io memory pids")
    found = job_cgroup_parent(parent)
    assert found.path == parent and found.problem is None
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert (parent.parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    group = JobCgroup.create(parent, "job-7", memory_bytes=256 * 1024**2, processes=16,
                             cpus=0.5)
    assert (group.path / "memory.max").read_text() == str(256 * 1024**2)
    assert (group.path / "memory.swap.max").read_text() == "0"
    assert (group.path / "pids.max").read_text() == "16"
    assert (group.path / "cpu.max").read_text() == f"50000 {cgroups.CPU_PERIOD_MICROSECONDS}"
    group.join(12345)
    assert (group.path / "cgroup.procs").read_text() == "12345"
    assert not group.out_of_memory() and not group.pids_refused()
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (group.path / "pids.events").write_text("max 2\n")
    assert group.out_of_memory() and group.pids_refused()


def test_the_sandbox_says_which_enforcement_applies(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv(cgroups.PARENT_ENV, str(tmp_path / "absent" / "openhaven"))
    assert enforcement().startswith("rlimits (no cgroup v2 hierarchy at ")
    parent = _hierarchy(tmp_path / "v2", "memory pids cpu")
    monkeypatch.setenv(cgroups.PARENT_ENV, str(parent))
    assert enforcement() == "cgroup v2 and rlimits"


def test_on_this_machine_the_kernel_enforces_memory_max_when_it_can() -> None:
    found = job_cgroup_parent()
    if found.path is None:
        pytest.skip(f"limits here are rlimits only: {found.problem}")
    group = JobCgroup.create(found.path, "job-selftest", memory_bytes=64 * 1024**2,
                             processes=8)
    try:
        assert (group.path / "memory.max").read_text().strip() == str(64 * 1024**2)
        assert (group.path / "pids.max").read_text().strip() == "8"
    finally:
        group.remove()
    assert not group.path.exists()

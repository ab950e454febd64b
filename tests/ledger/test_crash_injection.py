"""Fault injection: kill -9 a writer at random moments, many times; nothing acknowledged is lost.

A forked child appends events in a loop and, after each ``record_event`` returns, writes the
acknowledged ``seq`` to a pipe. The parent SIGKILLs it after a random delay (landing inside
entry writes, tree-head signing, checkpoint saving, lock waits), then checks that every
acknowledged entry is on disk and that the ledger still verifies.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from openhaven.core.haven import Haven
from openhaven.ledger import audit_log, read_entries, record_event, verify

ROUNDS = 60
TIME_BUDGET_S = 10.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")


def _append_forever(haven: Haven, acknowledgements: int) -> None:
    """The child: never returns into the test runner, whatever happens."""
    try:
        number = 0
        while True:
            entry = record_event(haven, "crash.append", actor="system",
                                 details={"pid": os.getpid(), "n": number})
            os.write(acknowledgements, f"{entry.seq}\n".encode())
            number += 1
    finally:
        os._exit(3)


def _run_and_kill(haven: Haven, delay: float) -> list[int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        _append_forever(haven, write_end)
    os.close(write_end)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status), "the writer died by itself: it should append until killed"
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    return [int(seq) for seq in b"".join(chunks).split()]


def test_no_acknowledged_entry_is_lost_when_the_writer_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "CHECKPOINT_EVERY", 3)  # kills land in checkpoints too
    haven = Haven.open(tmp_path / "haven")
    rng = random.Random(20261123)
    acknowledged: set[int] = set()
    started = time.monotonic()
    rounds = 0
    while (rounds < ROUNDS or len(acknowledged) < 50) and (
        time.monotonic() - started < TIME_BUDGET_S
    ):
        rounds += 1
        acknowledged.update(_run_and_kill(haven, rng.uniform(0.0, 0.12)))
        result = verify(haven)
        assert result.ok, (rounds, result)
        on_disk = [entry.seq for entry in read_entries(haven)]
        assert on_disk == list(range(len(on_disk))), rounds
        lost = acknowledged - set(on_disk)
        assert not lost, f"round {rounds}: acknowledged entries {sorted(lost)} were lost"
    assert rounds >= 20 and len(acknowledged) >= 10, (rounds, len(acknowledged))
    after = record_event(haven, "crash.recovered", actor="system")
    assert after.seq > max(acknowledged)
    final = verify(haven)
    assert final.ok and final.entries == after.seq + 1


def test_concurrent_writers_interleave_without_losing_or_breaking_anything(
    tmp_path: Path,
) -> None:
    haven = Haven.open(tmp_path / "shared")
    per_writer = 25
    children = []
    for writer in range(3):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                for n in range(per_writer):
                    record_event(haven, "concurrent.append", actor=f"writer:{writer}",
                                 details={"n": n})
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    entries = list(read_entries(haven))
    assert len(entries) == 3 * per_writer
    for writer in range(3):
        mine = [e.details["n"] for e in entries if e.actor == f"writer:{writer}"]
        assert mine == list(range(per_writer))
    assert verify(haven).ok

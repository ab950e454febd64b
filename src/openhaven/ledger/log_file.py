"""Durable, append-only line files: the only place the ledger writes its files' bytes.

Why each step is here:

- Appends go through one ``write`` of the whole line on a descriptor opened ``O_APPEND``,
  then ``fsync``: when the caller is told "done", the line is on disk.
- Creating a file also fsyncs its folder, or the file itself could vanish in a crash.
- A half-written last line (power lost mid-write) was never acknowledged; the next writer
  cuts it off before appending, so it can never glue itself onto an acknowledged line.
- Small state files are replaced atomically (temporary file, fsync, rename, fsync folder),
  so a reader sees the old version or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

NEWLINE = b"\n"
_CHUNK = 65536


@contextlib.contextmanager
def locked_for_append(path: Path) -> Iterator[int]:
    """Open ``path`` for appending under an exclusive lock, its torn tail already cut.

    The lock is the ledger's writer lock: everything written while it is held (entries,
    tree heads, the tree state) is written in one order by one process at a time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if created:
            fsync_directory(path.parent)
        cut_torn_tail(descriptor)
        yield descriptor
    finally:
        os.close(descriptor)


def append_line(descriptor: int, line: bytes) -> int:
    """Append ``line`` and a newline durably; return the file's size afterwards."""
    if NEWLINE in line:
        raise ValueError("a ledger line may not contain a newline")
    data = line + NEWLINE
    written = 0
    while written < len(data):
        written += os.write(descriptor, data[written:])
    os.fsync(descriptor)
    return os.fstat(descriptor).st_size


def append_line_to(path: Path, line: bytes) -> None:
    """Append one line to a side file (tree heads) while the caller holds the writer lock."""
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if created:
            fsync_directory(path.parent)
        cut_torn_tail(descriptor)
        append_line(descriptor, line)
    finally:
        os.close(descriptor)


def cut_torn_tail(descriptor: int) -> int:
    """Drop an unterminated last line (never acknowledged); return the file's size."""
    size = os.fstat(descriptor).st_size
    if size == 0 or os.pread(descriptor, 1, size - 1) == NEWLINE:
        return size
    keep = _last_newline_before(descriptor, size) + 1
    os.ftruncate(descriptor, keep)
    os.fsync(descriptor)
    return keep


def line_ending_at(descriptor: int, offset: int) -> bytes | None:
    """The complete line whose newline is the byte just before ``offset``, without it."""
    if offset <= 0 or os.pread(descriptor, 1, offset - 1) != NEWLINE:
        return None
    start = _last_newline_before(descriptor, offset - 1) + 1
    return os.pread(descriptor, offset - 1 - start, start)


def lines_from(descriptor: int, offset: int) -> Iterator[tuple[int, bytes]]:
    """Complete lines from ``offset`` on, each with the offset just after its newline."""
    pending = b""
    position = offset
    while True:
        chunk = os.pread(descriptor, _CHUNK, position)
        if not chunk:
            return
        position += len(chunk)
        pending += chunk
        consumed = position - len(pending)
        *complete, pending = pending.split(NEWLINE)
        for line in complete:
            consumed += len(line) + 1
            yield consumed, line


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file whole."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    fsync_directory(path.parent)


def fsync_directory(folder: Path) -> None:
    """Make a file's creation or renaming in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _last_newline_before(descriptor: int, end: int) -> int:
    """The offset of the last newline before ``end``, or -1 when there is none."""
    position = end
    while position > 0:
        start = max(0, position - _CHUNK)
        found = os.pread(descriptor, position - start, start).rfind(NEWLINE)
        if found >= 0:
            return start + found
        position = start
    return -1

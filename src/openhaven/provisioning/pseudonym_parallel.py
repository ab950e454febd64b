"""Keyed pseudonyms for a large cohort, as Arrow columns, spread over the machine's cores.

HMAC-SHA256 per token is CPU-bound Python work that holds the interpreter lock, so one
process pseudonymises about a quarter of a million patients a second. A national cohort is
split into contiguous slices, each pseudonymised by a forked worker process (which inherits
the tokens, so nothing is pickled on the way in) with the same key. Each worker hands back
two compact byte strings, the raw pseudonym bytes and the offset bytes, rather than millions
of Python objects; the parent turns them into Arrow columns without a per-row loop. The
values are exactly those of ``pseudonym.pseudonyms_and_offsets``: the pseudonym is the
digest's first 12 bytes in hex, the offset the next 4 read big-endian. Small cohorts stay in
this process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import array
import hashlib
import hmac
import multiprocessing
import os
import sys
from collections.abc import Sequence

import pyarrow as pa

from openhaven.provisioning.pseudonym import PSEUDONYM_HEX_CHARS

#: cohorts at or below this size are pseudonymised in this process
PARALLEL_THRESHOLD = 500_000
_PSEUDONYM_BYTES = PSEUDONYM_HEX_CHARS // 2
_OFFSET_END = _PSEUDONYM_BYTES + 4

# set just before the workers fork, so they read the tokens without a copy through a pipe
_shared_key: bytes = b""
_shared_tokens: Sequence[bytes] = ()


def worker_count() -> int:
    """Worker processes to use: the cores this process may run on (at least one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity masks
        return max(1, os.cpu_count() or 1)


def pseudonym_columns(
    key: bytes, tokens: Sequence[bytes], *, workers: int | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> tuple[pa.Array, pa.Array]:
    """Each token's pseudonym (string) and date-shift seed (uint64), in token order."""
    global _shared_key, _shared_tokens
    count = workers if workers is not None else worker_count()
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if count < 2 or len(tokens) <= threshold or not can_fork:
        pseudonym_bytes, offset_bytes = _digest_range(key, tokens, 0, len(tokens))
    else:
        size = -(-len(tokens) // count)
        ranges = [(start, min(start + size, len(tokens)))
                  for start in range(0, len(tokens), size)]
        _shared_key, _shared_tokens = key, tokens
        try:
            with multiprocessing.get_context("fork").Pool(len(ranges)) as pool:
                parts = pool.map(_digest_shared_range, ranges)
        finally:
            _shared_key, _shared_tokens = b"", ()
        pseudonym_bytes = b"".join(part[0] for part in parts)
        offset_bytes = b"".join(part[1] for part in parts)
    return _as_columns(pseudonym_bytes, offset_bytes, len(tokens))


def _digest_shared_range(bounds: tuple[int, int]) -> tuple[bytes, bytes]:
    return _digest_range(_shared_key, _shared_tokens, *bounds)


def _digest_range(key: bytes, tokens: Sequence[bytes], start: int,
                  end: int) -> tuple[bytes, bytes]:
    """Raw pseudonym bytes and offset bytes for ``tokens[start:end]``, concatenated."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    pseudonyms = bytearray()
    offsets = bytearray()
    for index in range(start, end):
        mac = base.copy()
        mac.update(tokens[index])
        digest = mac.digest()
        pseudonyms += digest[:_PSEUDONYM_BYTES]
        offsets += digest[_PSEUDONYM_BYTES:_OFFSET_END]
    return bytes(pseudonyms), bytes(offsets)


def _as_columns(pseudonym_bytes: bytes, offset_bytes: bytes,
                count: int) -> tuple[pa.Array, pa.Array]:
    hex_text = pseudonym_bytes.hex().encode("ascii")
    fixed = pa.Array.from_buffers(pa.binary(PSEUDONYM_HEX_CHARS), count,
                                  [None, pa.py_buffer(hex_text)])
    pseudonyms = fixed.cast(pa.binary()).cast(pa.string())
    seeds = array.array("I")
    seeds.frombytes(offset_bytes)
    if sys.byteorder == "little":
        seeds.byteswap()  # the digest's bytes are read big-endian, as the hex form is
    offsets = pa.Array.from_buffers(pa.uint32(), count, [None, pa.py_buffer(seeds.tobytes())])
    return pseudonyms, offsets.cast(pa.uint64())

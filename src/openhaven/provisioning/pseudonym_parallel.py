"""Keyed pseudonyms for a large cohort, spread over the machine's cores.

HMAC-SHA256 per token is CPU-bound Python work that holds the interpreter lock, so one
process pseudonymises about a quarter of a million patients a second. A national cohort is
split into contiguous slices, each slice pseudonymised by a forked worker process with the
same key, and the results joined back in the original order: the output is exactly that of
``pseudonym.pseudonyms_and_offsets``. Small cohorts stay in this process, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from openhaven.provisioning.pseudonym import pseudonyms_and_offsets

#: cohorts at or below this size are pseudonymised in this process
PARALLEL_THRESHOLD = 500_000


def worker_count() -> int:
    """Worker processes to use: the cores this process may run on (at least one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity masks
        return max(1, os.cpu_count() or 1)


def pseudonyms_and_offsets_parallel(
    key: bytes, tokens: Sequence[bytes], *, workers: int | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> tuple[list[str], list[int]]:
    """Each token's pseudonym and date-shift seed, in order; same values as the serial
    ``pseudonyms_and_offsets``, computed by ``workers`` forked processes for large inputs."""
    count = workers if workers is not None else worker_count()
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if count < 2 or len(tokens) <= threshold or not can_fork:
        return pseudonyms_and_offsets(key, tokens)
    size = -(-len(tokens) // count)
    slices = [tokens[start:start + size] for start in range(0, len(tokens), size)]
    context = multiprocessing.get_context("fork")
    pseudonyms: list[str] = []
    offsets: list[int] = []
    with ProcessPoolExecutor(max_workers=len(slices), mp_context=context) as pool:
        for part_pseudonyms, part_offsets in pool.map(
            pseudonyms_and_offsets, [key] * len(slices), slices
        ):
            pseudonyms.extend(part_pseudonyms)
            offsets.extend(part_offsets)
    return pseudonyms, offsets

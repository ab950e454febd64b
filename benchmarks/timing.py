"""Timing helpers the benchmarks share: best of a few runs, and the load they ran under."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any


def best_of(action: Callable[[], Any], runs: int = 3) -> float:
    """The fastest of ``runs`` runs of ``action``, in seconds (the least disturbed one)."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def load_average() -> str:
    """The machine's load averages, for the notes column: figures mean little without it."""
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())

"""The demo journey, timed stage by stage: generate, ingest, choices, approve, provision, query.

Run as ``python benchmarks/bench_demo.py [--patients N]`` or through ``benchmarks/run``.
The anchor is the demo's own budget: the README's demo command should finish building in
well under a minute for 50,000 patients on this 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from openhaven.journey.demo import run_demo


def measure(patients: int) -> tuple[float, list[tuple[str, float]], float]:
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def step(title: str) -> None:
        marks.append((title, time.perf_counter()))

    with tempfile.TemporaryDirectory() as folder:
        run_demo(Path(folder) / "haven", patients=patients, seed=2026, step=step)
    ended = time.perf_counter()
    stages = [
        (title, (marks[i + 1][1] if i + 1 < len(marks) else ended) - at)
        for i, (title, at) in enumerate(marks)
    ]
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return ended - started, stages, peak_gib


def run(quick: bool = False) -> list[dict[str, str]]:
    patients = 5_000 if quick else 50_000
    total, stages, peak = measure(patients)
    breakdown = "; ".join(f"{title.split(' ')[0].lower()} {seconds:.1f} s"
                          for title, seconds in stages)
    return [
        {
            "benchmark": f"demo journey, {patients:,} patients",
            "measured": f"{total:.1f} s, peak {peak:.2f} GiB",
            "anchor": "target < 60 s",
            "notes": breakdown,
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=50_000)
    arguments = parser.parse_args()
    seconds, parts, peak_memory = measure(arguments.patients)
    for name, took in parts:
        print(f"{took:7.2f} s  {name}")
    print(f"{seconds:7.2f} s  total; peak memory {peak_memory:.2f} GiB")

"""Benchmark: generate a synthetic population and write it to the project's Parquet layout.

The anchor is one million patients, with all their events, generated and written in under
60 seconds on a two-core machine. The work runs in a child process so that its peak memory
can be read exactly (``ru_maxrss`` of the terminated child), untouched by the parent.

    python benchmarks/bench_generate.py [--patients N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANCHOR_SECONDS = 60.0
FULL_PATIENTS = 1_000_000
QUICK_PATIENTS = 50_000


def _child(patients: int, seed: int, out_dir: Path) -> None:
    """Runs in the child process: generate, write, report counts and timings as JSON."""
    from openhaven.records.generator import generate_to_parquet
    from openhaven.records.generator.population import default_workers

    started = time.perf_counter()
    counts = generate_to_parquet(patients, out_dir, seed=seed)
    seconds = time.perf_counter() - started
    sizes = {p.stem: p.stat().st_size for p in out_dir.glob("*.parquet")}
    print(json.dumps({
        "seconds": seconds, "rows": counts, "bytes": sizes, "threads": default_workers(patients),
    }))


def measure(patients: int, seed: int = 0) -> dict[str, object]:
    """Generate ``patients`` in a child process; wall time, rows, bytes and peak memory."""
    with tempfile.TemporaryDirectory(prefix="openhaven-bench-") as folder:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = usage.ru_maxrss
        cpu_before = usage.ru_utime + usage.ru_stime
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, __file__, "--child", "--patients", str(patients),
             "--seed", str(seed), "--out", folder],
            check=True, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kib = usage.ru_maxrss
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    report["wall_seconds"] = wall
    # CPU time of the child (all its threads): the load-independent cost of the work.
    report["cpu_seconds"] = cpu
    report["load_average"] = max(load_before, os.getloadavg()[0])
    # ru_maxrss is the largest child so far; a larger earlier child would mask this one.
    report["peak_rss_mib"] = peak_kib / 1024 if peak_kib > before else None
    report["patients"] = patients
    return report


def run(quick: bool = False) -> list[dict[str, str]]:
    patients = QUICK_PATIENTS if quick else FULL_PATIENTS
    report = measure(patients)
    rows: dict[str, int] = report["rows"]  # type: ignore[assignment]
    total_rows = sum(rows.values())
    seconds = float(report["seconds"])  # type: ignore[arg-type]
    peak = report["peak_rss_mib"]
    scaled = seconds * FULL_PATIENTS / patients
    anchor = f"< {ANCHOR_SECONDS:.0f} s for {FULL_PATIENTS:,} patients (2 cores)"
    per_table = ", ".join(f"{name} {count:,}" for name, count in rows.items())
    return [
        {
            "benchmark": f"generate population to Parquet ({patients:,} patients)",
            "measured": f"{seconds:.1f} s ({total_rows / seconds:,.0f} rows/s)",
            "anchor": anchor,
            "notes": (
                f"CPU {float(report['cpu_seconds']):.0f} s; "  # type: ignore[arg-type]
                f"load average {float(report['load_average']):.1f} during the run; "  # type: ignore[arg-type]
                f"{total_rows:,} rows: {per_table}"
                + (f"; about {scaled:.0f} s at 1,000,000 if linear" if quick else "")
            ),
        },
        {
            "benchmark": f"generator peak memory ({patients:,} patients)",
            "measured": f"{peak:.0f} MiB" if isinstance(peak, float) else "not measured",
            "anchor": "bounded by block size, not population size",
            "notes": (
                "ru_maxrss of the child process that generated and wrote the files, "
                f"with {report['threads']} generating thread(s)"
            ),
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=FULL_PATIENTS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.patients, args.seed, args.out)
        return 0
    report = measure(args.patients, args.seed)
    rows: dict[str, int] = report["rows"]  # type: ignore[assignment]
    sizes: dict[str, int] = report["bytes"]  # type: ignore[assignment]
    print(f"patients:      {args.patients:,}")
    print(f"generate+write {float(report['seconds']):.1f} s "  # type: ignore[arg-type]
          f"(child wall {float(report['wall_seconds']):.1f} s; "  # type: ignore[arg-type]
          f"anchor < {ANCHOR_SECONDS:.0f} s for {FULL_PATIENTS:,})")
    print(f"cpu time       {float(report['cpu_seconds']):.1f} s "  # type: ignore[arg-type]
          f"(load average {float(report['load_average']):.1f} on {os.cpu_count()} CPUs)")  # type: ignore[arg-type]
    peak = report["peak_rss_mib"]
    print(f"peak memory    {peak:.0f} MiB ({report['threads']} generating thread(s))"
          if isinstance(peak, float) else "peak memory    n/a")
    for name, count in rows.items():
        print(f"  {name:<13} {count:>12,} rows  {sizes.get(name, 0) / 2**20:8.1f} MiB")
    print(f"  {'total':<13} {sum(rows.values()):>12,} rows  "
          f"{sum(sizes.values()) / 2**20:8.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

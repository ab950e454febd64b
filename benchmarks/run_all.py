"""Run every benchmark and write the table to docs/benchmarks.md.

Each ``benchmarks/bench_*.py`` exposes ``run(quick: bool = False) -> list[dict]`` whose rows
hold ``benchmark``, ``measured``, ``anchor`` and ``notes``. ``--quick`` runs small sizes (a
smoke test of the benchmarks themselves); the committed table comes from a full run.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "benchmarks.md"


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes; do not write the doc")
    parser.add_argument("only", nargs="*", help="run only these bench_<name>.py files")
    args = parser.parse_args()
    rows: list[dict[str, str]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem.removeprefix("bench_") not in args.only:
            continue
        print(f"== {path.stem}", flush=True)
        started = time.perf_counter()
        module = _load(path)
        results = module.run(quick=args.quick)  # type: ignore[attr-defined]
        for row in results:
            print(f"   {row['benchmark']}: {row['measured']}  (anchor: {row['anchor']})",
                  flush=True)
        rows.extend(results)
        print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
    if not args.quick:
        _write(rows, merge=bool(args.only))


def _write(rows: list[dict[str, str]], *, merge: bool) -> None:
    existing: dict[str, dict[str, str]] = {}
    if merge and DOC.exists():
        for line in DOC.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 5 and cells[0] not in ("benchmark", "---"):
                existing[cells[0]] = dict(zip(
                    ("benchmark", "measured", "anchor", "notes", "when"), cells, strict=True))
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    for row in rows:
        existing[row["benchmark"]] = {**row, "when": when}
    lines = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/run` (all) or `benchmarks/run NAME...` (some, merged in).",
        f"Machine: {platform.machine()}, {_cores()} cores, Python {platform.python_version()}.",
        "Each row shows what was measured beside its anchor (a target, or a reference",
        "measured in the same run where it can run here).",
        "",
        "| benchmark | measured | anchor | notes | when |",
        "|---|---|---|---|---|",
    ]
    for row in existing.values():
        lines.append(
            f"| {row['benchmark']} | {row['measured']} | {row['anchor']} | {row['notes']} | "
            f"{row['when']} |"
        )
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

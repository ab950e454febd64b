"""Analysis: dummy data, declarative queries and the job sandbox.

* dummy data for the demo's dataset specification: 5,000 patients, and the same aimed at a
  query (hypertension in 40-79 year-olds since 2015) until 1,000 dummy patients match it;
* declarative queries on a 20,000-patient dummy extract: count of patients, mean age,
  quartiles of age and a rate per 1,000, each grouped by sex and age band (compile + run);
* the sandbox's own cost: a script that does nothing, run as a job's sandbox runs it
  (bubblewrap, setpriv, limits), beside the same interpreter started directly.

Each figure is the best of three runs (one for the dummy data). Quick mode uses small sizes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openhaven.analysis.dummy_data import generate_dummy_extract
from openhaven.analysis.extract_schema import extract_schema
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import run_query_unsafe
from openhaven.jobs.sandbox import SandboxLimits, isolation_problem, run_sandboxed
from openhaven.provisioning.specification import DEMO_SPECIFICATION, DatasetSpecification
from timing import best_of, load_average

POPULATION = {"conditions": {"codes": ["38341003"], "between": ["2015-01-01", None]},
              "age": {"min": 40, "max": 79}}



def run(quick: bool = False) -> list[dict[str, str]]:
    schema = extract_schema(DatasetSpecification.from_dict(DEMO_SPECIFICATION))
    rows: list[dict[str, str]] = []
    small, large, matches = (500, 2_000, 100) if quick else (5_000, 20_000, 1_000)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        started = time.perf_counter()
        generate_dummy_extract(schema, base / "plain", patients=small, seed=1)
        plain = time.perf_counter() - started
        aimed_query = AggregateQuery.from_dict({"name": "aim", "population": POPULATION})
        started = time.perf_counter()
        report = generate_dummy_extract(schema, base / "aimed", patients=small, seed=1,
                                        query=aimed_query, min_matches=matches)
        aimed = time.perf_counter() - started
        rows.append({
            "benchmark": f"analysis: dummy data, {small:,} patients",
            "measured": f"{plain:.2f} s; aimed at a query until {matches:,} match: {aimed:.2f} s "
                        f"({report.patients:,} patients)",
            "anchor": "schema from the specification alone; values from public code lists",
            "notes": f"3 tables; {load_average()}",
        })
        generate_dummy_extract(schema, base / "large", patients=large, seed=2)
        extract = base / "large" / "extract.duckdb"
        timings = []
        for label, measure in (("count", "count_patients"),
                               ("mean age", {"kind": "mean", "of": "age"}),
                               ("quartiles", {"kind": "quantiles", "of": "age"}),
                               ("rate/1,000", "rate_per_1000")):
            query = AggregateQuery.from_dict({"name": label, "population": POPULATION,
                                              "measure": measure,
                                              "group_by": ["sex", "age_band"]})
            seconds = best_of(lambda q=query: run_query_unsafe(extract, q))
            timings.append(f"{label} {seconds * 1000:.0f} ms")
        rows.append({
            "benchmark": f"analysis: declarative query on {large:,} dummy patients",
            "measured": "; ".join(timings),
            "anchor": "compile + run on DuckDB, with the evidence output checks need",
            "notes": f"grouped by sex × age band; best of 3; {load_average()}",
        })
        rows.append(_sandbox_row(base))
    return rows


def _sandbox_row(base: Path) -> dict[str, str]:
    problem = isolation_problem()
    if problem is not None:
        return {"benchmark": "analysis: job sandbox start-up", "measured": "not measured",
                "anchor": "-", "notes": f"no sandbox here: {problem}"}
    script = base / "noop.py"
    script.write_text("pass\n", encoding="utf-8")
    extract_folder = base / "large"

    def confined() -> None:
        for name in ("out", "scratch"):
            folder = base / name
            if folder.exists():
                subprocess.run(["rm", "-rf", str(folder)], check=True)
            folder.mkdir()
        result = run_sandboxed(script, extract=extract_folder / "extract.duckdb",
                               output=base / "out", scratch=base / "scratch",
                               limits=SandboxLimits(wall_seconds=60))
        assert result.exit_code == 0, result.log

    sandboxed = best_of(confined)
    direct = best_of(lambda: subprocess.run([sys.executable, "-I", "-B", str(script)],
                                          check=True))
    return {
        "benchmark": "analysis: job sandbox start-up (empty script)",
        "measured": f"{sandboxed * 1000:.0f} ms confined vs {direct * 1000:.0f} ms direct",
        "anchor": "the same interpreter started without a sandbox",
        "notes": f"bubblewrap + setpriv + rlimits; best of 3; {load_average()}",
    }

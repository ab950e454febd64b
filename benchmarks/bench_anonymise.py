"""Optimal anonymisation of the adult benchmark, beside ARX's figures and Python anonymisers.

ARX's figures come from ../shared/data/arx/README.md (ARX 3.9.2 on this machine); the Python
tools are measured in the same run when installed: anonypy (Mondrian, no hierarchies, no
optimality) and pycanon (checks k of a table; its pinned numpy/scipy/typer clash with the
project's, so it is run from its own environment when ``PYCANON_PYTHON`` names that
environment's interpreter).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARX = ROOT / ".." / "shared" / "data" / "arx"
ATTRIBUTES = ("sex", "age", "race", "marital-status", "education", "native-country",
              "workclass", "occupation", "salary-class")

# (label, sensitive, suppression, metric, ARX levels, ARX suppressed, ARX ms, ARX evaluated)
SCENARIOS = [
    ("k=5, 0%, loss", None, 0.0, "loss", "0,4,1,1,3,2,2,1,0", 0, 146, 181),
    ("k=5, 4%, loss", None, 0.04, "loss", "0,3,0,1,1,1,1,2,0", 1178, 1244, 1468),
    ("k=5, 0%, entropy", None, 0.0, "entropy", "1,2,1,1,3,2,2,1,1", 0, 125, None),
    ("k=5, 4%, entropy", None, 0.04, "entropy", "1,0,1,1,3,2,2,0,1", 906, 2115, None),
    ("k=5 + 2-diversity(occupation), 0%", "occupation", 0.0, "loss", "0,4,1,2,3,2,0,-,0", 0,
     162, None),
    ("k=5 + 2-diversity(occupation), 4%", "occupation", 0.04, "loss", "0,3,0,1,1,1,1,-,0",
     1204, 1043, None),
    ("k=5 + 2-diversity(salary-class), 0%", "salary-class", 0.0, "loss", "0,4,0,2,3,2,2,1,-",
     0, 231, None),
    ("k=5 + 2-diversity(salary-class), 4%", "salary-class", 0.04, "loss", "0,4,0,2,2,1,0,1,-",
     1070, 1206, None),
]


def _skip(reason: str) -> list[dict[str, str]]:
    return [{"benchmark": "anonymise adult (optimal search)", "measured": "skipped",
             "anchor": "ARX 3.9.2 figures in ../shared/data/arx/README.md", "notes": reason}]


def run(quick: bool = False) -> list[dict[str, str]]:
    if not (ARX / "adult.csv").exists():
        return _skip("../shared/data/arx is not present")
    from openhaven.provisioning.deid import (
        PrivacySettings,
        anonymise_table,
        load_hierarchy,
        read_table,
    )

    table = read_table(ARX / "adult.csv", sep=";")
    hierarchies = {name: load_hierarchy(name, ARX / f"adult_hierarchy_{name}.csv")
                   for name in ATTRIBUTES}
    rows: list[dict[str, str]] = []
    repeats = 1 if quick else 3
    scenarios = SCENARIOS[:1] if quick else SCENARIOS
    chosen_table = None
    for label, sensitive, suppression, metric, levels, suppressed, arx_ms, arx_evaluated in (
            scenarios):
        quasi = tuple(name for name in ATTRIBUTES if name != sensitive)
        settings = PrivacySettings(quasi=quasi, k=5, suppression=suppression, metric=metric,
                                   sensitive=sensitive, l=2 if sensitive else None)
        subset = {name: hierarchies[name] for name in quasi}
        times = []
        for _ in range(repeats):
            result = anonymise_table(table, subset, settings)
            times.append(result.seconds)
        if chosen_table is None:
            chosen_table = result.table
        expected = [int(level) for level in levels.split(",") if level != "-"]
        same = list(result.levels.values()) == expected and result.suppressed == suppressed
        arx_checks = f", {arx_evaluated:,} evaluated" if arx_evaluated else ""
        rows.append({
            "benchmark": f"anonymise adult {label}: optimal search",
            "measured": f"{statistics.median(times) * 1000:,.0f} ms, {result.evaluated:,} of "
                        f"{result.lattice_size:,} evaluated",
            "anchor": f"ARX 3.9.2: {arx_ms:,} ms warm{arx_checks}",
            "notes": (f"levels {','.join(map(str, result.levels.values()))}, "
                      f"{result.suppressed:,} suppressed, {result.classes} classes, "
                      f"score {result.score:.10g}; "
                      + ("same transformation as ARX" if same else "DIFFERS from ARX")),
        })
    rows.append(_cold_process())
    assert chosen_table is not None
    rows.extend(_checkers(chosen_table))
    if not quick:
        rows.append(_mondrian(table))
    return rows


def _cold_process() -> dict[str, str]:
    """The whole command, interpreter start included, as a user runs it."""
    arguments = ["anonymise", str(ARX / "adult.csv"), "--sep", ";", "--quasi",
                 ",".join(ATTRIBUTES), "--k", "5", "--suppression", "0", "--metric", "loss",
                 "--json"]
    for name in ATTRIBUTES:
        arguments += ["--hierarchy", f"{name}={ARX / f'adult_hierarchy_{name}.csv'}"]
    command = Path(sys.executable).parent / "openhaven"
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run([str(command), *arguments, "--out", str(Path(folder) / "o.csv")],
                              capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    ok = done.returncode == 0 and json.loads(done.stdout)["suppressed"] == 0
    return {"benchmark": "anonymise adult k=5, 0%, loss: whole command (cold)",
            "measured": f"{elapsed:.2f} s" if ok else f"failed (exit {done.returncode})",
            "anchor": "ARX 3.9.2: 3.3-5.0 s (JVM included)",
            "notes": "CSV and hierarchies read, search, table written"}


def _checkers(output: Any) -> list[dict[str, str]]:
    """Checking k on the published table: the project's independent check beside pycanon."""
    quasi = list(ATTRIBUTES)
    started = time.perf_counter()
    groups = Counter(zip(*(output.columns[name] for name in quasi), strict=True))
    k = min(groups.values())
    ours = time.perf_counter() - started
    rows = [{"benchmark": "check k of the anonymised adult table: Counter over text values",
             "measured": f"{ours * 1000:,.0f} ms (k={k})", "anchor": "pycanon, next row",
             "notes": "the independent check the tests use"}]
    rows.append(_pycanon(output, quasi))
    return rows


def _pycanon(output: Any, quasi: list[str]) -> dict[str, str]:
    row = {"benchmark": "check k of the anonymised adult table: pycanon k_anonymity",
           "anchor": "Counter check, previous row"}
    script = ("import sys, time, pandas as pd\nfrom pycanon import anonymity\n"
              "df = pd.read_csv(sys.argv[1], sep=';', dtype=str)\n"
              "quasi = sys.argv[2].split(',')\n"
              "t = time.perf_counter(); k = anonymity.k_anonymity(df, quasi)\n"
              "print(k, time.perf_counter() - t)\n")
    interpreter = os.environ.get("PYCANON_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory() as folder:
        from openhaven.provisioning.deid import write_table

        path = Path(folder) / "out.csv"
        write_table(output, path, sep=";")
        done = subprocess.run([interpreter, "-c", script, str(path), ",".join(quasi)],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {**row, "measured": "not installed",
                "notes": "set PYCANON_PYTHON to an environment with pycanon"}
    k, seconds = done.stdout.split()
    return {**row, "measured": f"{float(seconds) * 1000:,.0f} ms (k={k})",
            "notes": "same run, its own environment"}


def _mondrian(table: Any) -> dict[str, str]:
    row = {"benchmark": "anonypy Mondrian on adult, k=5 (8 quasi-identifiers)",
           "anchor": "optimal search above; README: 17-39 s"}
    try:
        import pandas as pd
        from anonypy import anonypy
    except ImportError:
        return {**row, "measured": "not installed", "notes": "pip install anonypy"}
    frame = pd.DataFrame({name: table.columns[name] for name in ATTRIBUTES})
    frame["age"] = frame["age"].astype(int)
    features = [name for name in ATTRIBUTES if name != "salary-class"]
    for name in features:
        if name != "age":
            frame[name] = frame[name].astype("category")
    started = time.perf_counter()
    rows = anonypy.Preserver(frame, features, "salary-class").anonymize_k_anonymity(k=5)
    elapsed = time.perf_counter() - started
    return {**row, "measured": f"{elapsed:.1f} s ({len(rows):,} output rows)",
            "notes": "greedy partitioning, no hierarchies, no optimality; same run"}

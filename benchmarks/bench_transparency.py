"""How my data was used, at national scale: 10,000,000 patients, 1,000 extracts.

Synthetic cohorts (random subsets of the patient index, sizes log-uniform between 1,000 and
5,000,000 — random membership is the worst case for the bitmaps' compression) are written
through the real ``MembershipStore``, with a patient index of 10,000,000 ids and their keyed
NHS-number digests in its SQLite file. Measured: the store's size on disk, the first look-up
in a fresh process (every bitmap read from disk) and warm look-ups for random patients —
NHS number → keyed digest → index in SQLite, then the index against all 1,000 bitmaps — as
p50 and p99.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from pyroaring import BitMap

from openhaven.transparency.membership_store import INDEX_FILE, INDEX_SCHEMA, MembershipStore
from openhaven.transparency.patient_keys import nhs_key_with

MASTER_KEY = bytes(range(32))  # synthetic: the benchmark's own key


def _patient_id(index: int) -> str:
    return f"synthetic-patient-{index:010d}"


def _nhs_number(index: int) -> str:
    return f"{4_000_000_000 + index * 7:010d}"


def _build(folder: Path, patients: int, extracts: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    store = MembershipStore(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    with sqlite3.connect(folder / INDEX_FILE) as connection:
        for statement in INDEX_SCHEMA:
            connection.execute(statement)
        connection.executemany(
            "INSERT INTO patient_index (patient_id, idx) VALUES (?, ?)",
            ((_patient_id(i), i) for i in range(patients)),  # in key order, as a bulk load
        )
        connection.execute("UPDATE next_index SET idx = ?", [patients])
        connection.executemany(
            "INSERT OR IGNORE INTO nhs_keys (nhs_key, idx) VALUES (?, ?)",
            ((nhs_key_with(MASTER_KEY, _nhs_number(i)), i) for i in range(patients)),
        )
    largest = min(5_000_000, patients // 2)
    sizes = np.exp(rng.uniform(np.log(1_000), np.log(largest), extracts)).astype(int)
    for extract_id, size in enumerate(sizes):
        members = np.flatnonzero(rng.random(patients) < size / patients).astype(np.uint32)
        bitmap = BitMap(members)
        bitmap.run_optimize()
        store.write_serialised(extract_id, bitmap.serialize())
    return time.perf_counter() - started


def _look_up(store: MembershipStore, patient_index: int) -> list[int]:
    """What a patient's page does: NHS number → keyed digest → indices → every bitmap."""
    key = nhs_key_with(MASTER_KEY, _nhs_number(patient_index))
    return store.extracts_including(store.indices_for_key(key))


def run(quick: bool = False) -> list[dict[str, Any]]:
    patients, extracts, lookups = (200_000, 50, 200) if quick else (10_000_000, 1_000, 1_000)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-transparency-") as tmp:
        folder = Path(tmp) / "transparency"
        build_s = _build(folder, patients, extracts, seed=9)
        store = MembershipStore(folder)
        size = store.size_on_disk()
        bitmaps = sum(p.stat().st_size for p in store.bitmaps.glob("*"))
        rng = np.random.default_rng(10)
        started = time.perf_counter()
        _look_up(store, int(rng.integers(patients)))
        cold_s = time.perf_counter() - started
        timings = []
        found = 0
        for patient in rng.integers(0, patients, lookups):
            started = time.perf_counter()
            found += len(_look_up(store, int(patient)))
            timings.append(time.perf_counter() - started)
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[int(len(timings) * 0.99) - 1] * 1000
    scale = f"{patients:,} patients, {extracts:,} extracts"
    notes = (f"{scale}; random cohorts 1,000–{min(5_000_000, patients // 2):,} "
             f"(log-uniform); built in {build_s:.0f} s; "
             f"mean {found / lookups:.0f} extracts per patient; load average {load:.1f}")
    return [
        {"benchmark": "transparency: membership store size",
         "measured": f"{size / 2**30:.2f} GiB ({bitmaps / 2**30:.2f} GiB bitmaps)",
         "anchor": "< 2 GiB at 10M patients, 1,000 extracts", "notes": notes},
        {"benchmark": "transparency: patient look-up p50 / p99 (warm)",
         "measured": f"{p50:.1f} ms / {p99:.1f} ms",
         "anchor": "< 100 ms per patient page",
         "notes": f"{lookups:,} random patients; NHS number → keyed digest → index (SQLite) → "
                  f"all bitmaps; "
                  f"load average {load:.1f}"},
        {"benchmark": "transparency: first look-up (cold, loads every bitmap)",
         "measured": f"{cold_s * 1000:.0f} ms",
         "anchor": "once per process; later look-ups are warm",
         "notes": notes},
    ]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)

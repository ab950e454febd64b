"""Patients' choices, timed: the bulk check, reading opt-outs, and recording through the API.

* Bulk check of 10,000,000 NHS numbers against 600,000 opt-outs (anchor: under 5 s), in a
  child process so its peak memory (max RSS) is its own: read the list, check every
  number, write the usable ones; peak memory is the child's VmHWM.
* Reading 600,000 opt-outs in force from the governance database (SQLite), the step the
  check and provisioning start with.
* Recording a choice through the API (real HTTP to a uvicorn server, signed in as custodian
  staff) from concurrent clients, on SQLite and PostgreSQL: throughput and p50/p99 latency;
  then 50 concurrent writers for one patient, counting events lost or duplicated.

Run as ``python benchmarks/bench_choices.py [--quick]`` or through ``benchmarks/run``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

PEAK_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np
from openhaven.choices.bulk_check import check_numbers, read_list, write_list
def high_water_mib():
    # VmHWM is this process's own peak (ru_maxrss would carry the parent's over exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
folder = Path(sys.argv[1])
opted_out = np.load(folder / "opted_out.npy")
before = high_water_mib()
started = time.perf_counter()
lines = read_list(folder / "numbers.txt")
read = time.perf_counter()
result = check_numbers(lines, opted_out)
checked = time.perf_counter()
write_list(result.usable_numbers, folder / "usable.txt")
ended = time.perf_counter()
print(json.dumps({"read": read - started, "check": checked - read, "write": ended - checked,
                  "total": ended - started, "usable": result.usable, "removed": result.removed,
                  "invalid": result.invalid_count,
                  "peak_mib": high_water_mib(), "baseline_mib": before}))
"""


def bulk_check(count: int, opted_out_count: int) -> dict[str, str]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from openhaven.records.nhs_number import random_valid

    rng = np.random.default_rng(2026)
    numbers = random_valid(rng, count)
    opted_out = np.sort(rng.choice(numbers, size=opted_out_count, replace=False))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        pacsv.write_csv(pa.table({"n": pa.array(numbers).cast(pa.string())}),
                        folder / "numbers.txt",
                        write_options=pacsv.WriteOptions(include_header=False,
                                                         quoting_style="none"))
        np.save(folder / "opted_out.npy", opted_out)
        runs = []
        for _ in range(3):
            answer = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(folder)],
                                    check=True, capture_output=True, text=True)
            runs.append(json.loads(answer.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["total"])
    assert best["removed"] == opted_out_count and best["usable"] == count - opted_out_count
    return {
        "benchmark": f"choices: bulk check of {count:,} NHS numbers against "
                     f"{opted_out_count:,} opt-outs",
        "measured": f"{best['total']:.2f} s (best of 3), peak {best['peak_mib']:.0f} MiB",
        "anchor": "target < 5 s",
        "notes": f"read {best['read']:.2f} s, check {best['check']:.2f} s, write usable "
                 f"{best['write']:.2f} s; other runs "
                 + ", ".join(f"{r['total']:.2f} s" for r in runs if r is not best)
                 + f"; peak is the child's VmHWM, of which {best['baseline_mib']:.0f} MiB before "
                 "reading the list (interpreter, libraries, the opt-out array)",
    }


def read_opt_outs(count: int) -> dict[str, str]:
    from sqlalchemy.orm import Session

    from openhaven.choices import repository, service
    from openhaven.core.database import make_engine, migrate
    from openhaven.records.nhs_number import random_valid

    numbers = [f"{n:010d}" for n in random_valid(np.random.default_rng(7), count)]
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as name:
        engine = make_engine(f"sqlite:///{Path(name) / 'governance.sqlite'}")
        migrate(engine)
        with Session(engine) as session:
            for start in range(0, count, 50_000):
                repository.add_events(session, [
                    {"nhs_number": n, "choice": "research-and-planning", "value": "opt_out",
                     "channel": "bulk_file", "recorded_by": "bench", "acting_as": "self",
                     "recorded_at": when, "effective_at": when}
                    for n in numbers[start:start + 50_000]])
            session.commit()
        with Session(engine) as session:
            started = time.perf_counter()
            found = service.opted_out_nhs_numbers(session, at=when + dt.timedelta(days=1))
            took = time.perf_counter() - started
        engine.dispose()
    assert len(found) == count
    return {
        "benchmark": f"choices: reading {count:,} opt-outs in force (SQLite)",
        "measured": f"{took:.2f} s",
        "anchor": "part of the bulk check and of provisioning",
        "notes": "latest event per patient by a window function, derived in SQL",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[Any]:
    from sqlalchemy import text

    from openhaven.core.database import make_engine

    if kind == "sqlite":
        # One connection per concurrent request: the action check's first query runs on the
        # event loop, so a request waiting for a pooled connection would stall every other.
        engine = make_engine(f"sqlite:///{folder / 'governance.sqlite'}", pool_size=60,
                             max_overflow=0)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = os.environ.get("OPENHAVEN_TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = make_engine(url, pool_size=1, max_overflow=0)
    schema = f"openhaven_bench_{os.getpid()}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"},
                         pool_size=60, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def api_recording(kind: str, clients: int, per_client: int, patients: int) -> list[dict[str, str]]:
    import httpx
    import pyarrow as pa
    import uvicorn
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from openhaven.choices.models import ChoiceEvent
    from openhaven.core.database import migrate, unit_of_work
    from openhaven.core.haven import Haven
    from openhaven.governance import service as governance
    from openhaven.identity import accounts, sessions
    from openhaven.identity.passwords import PROFILE_ENV
    from openhaven.identity.repository import account_for_person
    from openhaven.records.nhs_number import random_valid
    from openhaven.records.store import open_store, upsert_all
    from openhaven.web.app import create_app
    from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE

    os.environ[PROFILE_ENV] = "fast"
    numbers = [f"{n:010d}" for n in random_valid(np.random.default_rng(11), patients)]
    with tempfile.TemporaryDirectory() as name, _database(kind, Path(name)) as engine:
        migrate(engine)
        haven = Haven.open(Path(name) / "haven")
        with open_store(haven.paths.record_store) as store:
            upsert_all(store, {"patients": pa.table({
                "patient_id": [f"p{i}" for i in range(patients)], "nhs_number": numbers,
                "date_of_birth": [dt.date(1970, 1, 1)] * patients,
                "sex": ["female"] * patients})})
        with unit_of_work(engine) as session:
            person = governance.register_person(
                session, haven, display_name="Bench", email="bench@example.org",
                roles=["custodian_admin"], organisation=None, actor="bench")
            accounts.create_account(session, haven, person, password="a long bench password",
                                    actor="bench")
            person_id = person.id

        def signed_in() -> tuple[str, str]:
            """A fresh sign-in session, so no request needs to refresh when it was last seen."""
            for attempt in range(60):
                try:
                    with unit_of_work(engine) as session:
                        account = account_for_person(session, person_id)
                        assert account is not None
                        started = sessions.start_session(session, account, stage=sessions.FULL)
                        return started.token, started.record.csrf_token
                except OperationalError:
                    print("signed_in retry", attempt, time.time(), flush=True)
                    time.sleep(0.5)
            raise RuntimeError("the governance database stayed locked")

        app = create_app(haven)
        app.state.engine.dispose()
        app.state.engine = engine
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"

        credentials = signed_in()

        def client() -> httpx.Client:
            made = httpx.Client(base_url=base, timeout=60)
            made.cookies.set(SESSION_COOKIE, credentials[0])
            made.headers[CSRF_HEADER] = credentials[1]
            return made

        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def work(index: int, requests: int, same_patient: str | None) -> None:
            rng = np.random.default_rng(index)
            with client() as http:
                for request in range(requests):
                    number = same_patient or numbers[int(rng.integers(patients))]
                    body = {"nhs_number": number, "channel": "web",
                            "decision": "opt-out" if request % 2 == 0 else "withdraw"}
                    began = time.perf_counter()
                    try:
                        status = http.post("/api/choices", json=body).status_code
                    except httpx.HTTPError:
                        status = 0
                    took = time.perf_counter() - began
                    with lock:
                        latencies.append(took)
                        if status != 201:
                            failures.append(status)

        def burst(count: int, requests: int, same_patient: str | None) -> float:
            threads = [threading.Thread(target=work, args=(i, requests, same_patient))
                       for i in range(count)]
            began = time.perf_counter()
            for each in threads:
                each.start()
            for each in threads:
                each.join()
            return time.perf_counter() - began

        wall = burst(clients, per_client, None)
        total = clients * per_client
        ordered = sorted(latencies)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        recorded_failures = list(failures)
        latencies.clear()
        failures.clear()
        target = numbers[0]
        credentials = signed_in()
        with Session(engine) as session:
            before = session.scalar(select(func.count()).select_from(ChoiceEvent)
                                    .where(ChoiceEvent.nhs_number == target)) or 0
        burst(50, 1, target)
        with Session(engine) as session:
            after = session.scalar(select(func.count(func.distinct(ChoiceEvent.id)))
                                   .where(ChoiceEvent.nhs_number == target)) or 0
        server.should_exit = True
        thread.join(timeout=10)
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        gained = after - before
        acknowledged = 50 - len(failures)
        return [
            {
                "benchmark": f"choices: recording a choice through the API ({label}), "
                             f"{clients} concurrent clients",
                "measured": f"{total / wall:.0f} requests/s, p50 {p50 * 1000:.0f} ms, "
                            f"p99 {p99 * 1000:.0f} ms",
                "anchor": "report",
                "notes": f"{total:,} requests over HTTP to uvicorn, signed in as custodian "
                         f"staff; each checks age in the record store, writes the event and "
                         f"a ledger entry; {len(recorded_failures)} failed",
            },
            {
                "benchmark": f"choices: 50 concurrent writers for one patient ({label})",
                "measured": f"{acknowledged} of 50 acknowledged, {gained} stored: "
                            f"{max(0, acknowledged - gained)} lost, "
                            f"{max(0, gained - acknowledged)} duplicated",
                "anchor": "none lost or duplicated",
                "notes": f"{len(failures)} refused or failed (statuses {sorted(set(failures))})"
                         " — a refused request stores nothing and says so",
            },
        ]


def _postgres_answers() -> bool:
    from sqlalchemy import text

    from openhaven.core.database import make_engine

    url = os.environ.get("OPENHAVEN_TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def run(quick: bool = False) -> list[dict[str, str]]:
    rows = [bulk_check(200_000, 12_000) if quick else bulk_check(10_000_000, 600_000),
            read_opt_outs(20_000 if quick else 600_000)]
    clients, per_client, patients = (4, 10, 200) if quick else (16, 40, 5_000)
    rows.extend(api_recording("sqlite", clients, per_client, patients))
    if _postgres_answers():
        rows.extend(api_recording("postgresql", clients, per_client, patients))
    else:
        rows.append({"benchmark": "choices: recording a choice through the API (PostgreSQL)",
                     "measured": "skipped", "anchor": "report",
                     "notes": "no PostgreSQL server answered"})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for row in run(quick=parser.parse_args().quick):
        print(f"{row['benchmark']}: {row['measured']}  ({row['anchor']}; {row['notes']})")

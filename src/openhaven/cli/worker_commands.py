"""``openhaven worker``: run queued analysis jobs; and the worker ``serve`` starts beside the app.

The worker gets its units of work from here (an interface), one per step, so no transaction
stays open while a script runs. ``--once`` runs what is queued and exits (for cron or a
test); without it the worker waits for new jobs until interrupted (Ctrl+C or SIGTERM), then
finishes the jobs it is running and stops.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from openhaven.cli.context import HomeOption, JsonOption, error_log, open_haven, resolve_home
from openhaven.cli.rendering import console, emit_json, reporting_errors
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven

ConcurrencyOption = Annotated[int, typer.Option(
    "--concurrency", help="How many jobs may run at once (1 to 32).")]


def units_for(engine: Engine) -> Callable[[], AbstractContextManager[Session]]:
    """One unit of work per call on ``engine``: what the worker is given."""
    return lambda: unit_of_work(engine)


@contextlib.contextmanager
def worker_engine(haven: Haven) -> Iterator[Engine]:
    engine = make_engine(haven.settings.database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def background_worker(haven: Haven, *, concurrency: int = 1) -> Iterator[Any]:
    """A worker in a background thread for as long as the block runs (``serve`` uses it).

    Leaving the block stops it promptly: a job still running is killed and recorded
    *failed* ("the worker stopped"), so shutting the server down never waits on a script.
    """
    from openhaven.jobs.worker import Worker

    with worker_engine(haven) as engine:
        worker = Worker(units_for(engine), haven, concurrency=concurrency,
                        stop_kills_jobs=True)
        thread = threading.Thread(target=worker.run_forever, name="openhaven-worker",
                                  daemon=True)
        thread.start()
        try:
            yield worker
        finally:
            worker.stop()
            thread.join()


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run what is queued, then exit.")]
    = False,
    concurrency: ConcurrencyOption = 1,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run queued analysis jobs in the sandbox (the queue is the governance database)."""
    home = resolve_home(ctx, home)
    with reporting_errors(as_json=as_json, error_log=error_log(home)):
        from openhaven.jobs.worker import Worker

        if not 1 <= concurrency <= 32:
            raise InvalidInput("--concurrency must be 1 to 32", Location(field="--concurrency"))
        haven = open_haven(home)
        with worker_engine(haven) as engine:
            running = Worker(units_for(engine), haven, concurrency=concurrency)
            if once:
                ran = running.run_once()
                if as_json:
                    emit_json({"worker": running.name, "jobs_run": ran})
                else:
                    console.print(f"Ran {ran} job(s)", highlight=False)
                return
            previous = signal.signal(signal.SIGTERM, lambda *_: running.stop())
            console.print(f"Worker {running.name} waiting for jobs (Ctrl+C to stop)",
                          highlight=False)
            try:
                running.run_forever()
            except KeyboardInterrupt:
                running.stop()
            finally:
                signal.signal(signal.SIGTERM, previous)

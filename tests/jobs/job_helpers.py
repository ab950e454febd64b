"""Helpers for the job tests: a real worker run against a haven's governance database."""

from __future__ import annotations

from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.jobs.worker import Worker


def run_queued_jobs(haven: Haven, **options: float) -> int:
    """Run what is queued with a real worker (its own engine and units of work)."""
    engine = make_engine(haven.settings.database_url)
    try:
        return Worker(lambda: unit_of_work(engine), haven, **options).run_once()  # type: ignore[arg-type]
    finally:
        engine.dispose()

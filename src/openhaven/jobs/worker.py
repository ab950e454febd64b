"""The job worker: takes queued jobs from the governance database and runs them.

The queue is the ``analysis_jobs`` table itself (see ``docs/decisions/0010``): a worker
claims a job with a conditional update, so any number of workers, in any processes, can
share one database without a job running twice. Each claimed job runs in the sandbox while
the worker beats its heart every few seconds and reads the job's cancel flag; a job whose
worker stopped beating is failed by the next worker ("the worker stopped").

The worker opens no database sessions itself: the interface that starts it (``openhaven
worker``, ``openhaven serve``, ``openhaven job run``) hands it ``units``, a callable giving
one unit of work per call, so each step commits on its own and no transaction stays open
while a script runs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.jobs import repository, service
from openhaven.jobs.service import JobReport

log = logging.getLogger("openhaven.jobs")
Units = Callable[[], AbstractContextManager[Session]]


def worker_name() -> str:
    """A name unique to this worker: host, process and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Worker:
    """Runs queued jobs, ``concurrency`` at a time, until told to stop."""

    units: Units
    haven: Haven
    concurrency: int = 1
    poll_seconds: float = service.POLL_SECONDS
    idle_seconds: float = 2.0
    stale_after: timedelta = service.STALE_AFTER
    name: str = field(default_factory=worker_name)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: When stopping, kill running jobs (recorded *failed*: the worker stopped) instead of
    #: letting them finish; ``serve`` does, so that shutting the server down is prompt.
    stop_kills_jobs: bool = False

    def run_once(self) -> int:
        """Fail stale jobs, then run queued jobs until none is left; how many ran."""
        self._register()
        counts = [0] * max(1, self.concurrency)

        def drain(slot: int) -> None:
            while self._take_one(slot):
                counts[slot] += 1

        try:
            threads = [threading.Thread(target=drain, args=(slot,), daemon=True)
                       for slot in range(len(counts))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return sum(counts)
        finally:
            self._beat(stopped=True)

    def run_forever(self) -> None:
        """Run jobs as they are queued until :meth:`stop` is called."""
        self._register()
        try:
            threads = [threading.Thread(target=self._loop, args=(slot,), daemon=True,
                                        name=f"openhaven-worker-{slot}")
                       for slot in range(self.concurrency)]
            for thread in threads:
                thread.start()
            try:
                while not self.stopping.wait(self.poll_seconds):
                    self._beat()
            except KeyboardInterrupt:
                self.stop()
            for thread in threads:
                thread.join()
        finally:
            self._beat(stopped=True)

    def stop(self) -> None:
        """Ask every slot to stop after its current job (or at once: ``stop_kills_jobs``)."""
        self.stopping.set()

    def run_job(self, job_id: int) -> JobReport:
        """Run one particular queued job now (``job run`` when no worker is running).

        Not registered as a worker: it takes no other job, so nobody should wait for it.
        """
        return self._run(job_id) or self._report(job_id)

    # --- inside ---------------------------------------------------------------------

    def _loop(self, slot: int) -> None:
        while not self.stopping.is_set():
            try:
                ran = self._take_one(slot)
            except Exception as error:  # keep serving; the job's own record says what failed
                log.error("worker slot %s: %s", slot, type(error).__name__)
                ran = False
            if not ran:
                self.stopping.wait(self.idle_seconds)

    def _take_one(self, slot: int) -> bool:
        with self._unit() as session:
            service.fail_stale_jobs(session, self.haven, stale_after=self.stale_after)
            waiting = repository.queued_job_ids(session)
        return any(self._run(job_id, slot) is not None for job_id in waiting)

    def _run(self, job_id: int, slot: int = 0) -> JobReport | None:
        claimant = f"{self.name}/{slot}"
        with self._unit() as session:
            claimed = service.start_job(session, self.haven, job_id, worker=claimant)
        if claimed is None:
            with self._unit() as session:
                job = service.get_job(session, job_id)
                ours = job.worker == claimant
            return self._report(job_id) if ours else None
        try:
            run = service.run_claimed(self.haven, claimed, should_stop=lambda: self._poll(
                job_id, claimant), poll_seconds=self.poll_seconds)
            with self._unit() as session:
                return service.finish_job(session, self.haven, claimed, run)
        except Exception as error:
            with self._unit() as session:  # end it now rather than when it goes stale
                service.fail_running_job(session, self.haven, job_id, worker=claimant,
                                         reason=f"The worker failed ({type(error).__name__})")
            raise

    def _poll(self, job_id: int, claimant: str) -> bool:
        if self.stop_kills_jobs and self.stopping.is_set():
            return True
        with self._unit() as session:
            repository.worker_beat(session, self.name, utc_now())
            return service.poll_job(session, job_id, worker=claimant)

    def _report(self, job_id: int) -> JobReport:
        with self._unit() as session:
            return service.report_of(service.get_job(session, job_id))

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        """One unit of work that takes SQLite's write lock first (see ``lock_for_writing``)."""
        with self.units() as session:
            repository.lock_for_writing(session)
            yield session

    def _register(self) -> None:
        with self._unit() as session:
            repository.register_worker(session, self.name, utc_now())

    def _beat(self, *, stopped: bool = False) -> None:
        with self._unit() as session:
            repository.worker_beat(session, self.name, utc_now(), stopped=stopped)


def worker_running(session: Session, *, within: timedelta = service.STALE_AFTER) -> bool:
    """Whether some worker has beaten its heart recently and not said it stopped."""
    return bool(repository.live_workers(session, utc_now() - within))

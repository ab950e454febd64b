"""One small demo haven with a provisioned extract, shared by the job and analysis tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.jobs.sandbox import isolation_problem
from openhaven.journey.demo import DemoReport, run_demo

PATIENTS = 600


@pytest.fixture(scope="session")
def job_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    home = tmp_path_factory.mktemp("jobs") / "haven"
    return run_demo(home, patients=PATIENTS, seed=11)


@pytest.fixture(scope="session")
def job_haven(job_demo: DemoReport) -> Haven:
    return Haven.open(job_demo.home)


@pytest.fixture(scope="session")
def project_reference(job_haven: Haven) -> str:
    return sorted(p.name for p in job_haven.paths.projects.iterdir())[0]


@pytest.fixture
def session(job_haven: Haven) -> Iterator[Session]:
    engine = make_engine(job_haven.settings.database_url)
    migrate(engine)
    try:
        with unit_of_work(engine) as opened:
            yield opened
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sandbox_available() -> None:
    problem = isolation_problem()
    if problem is not None:
        pytest.skip(f"no sandbox here: {problem}")

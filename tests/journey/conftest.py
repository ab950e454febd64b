"""One small demo haven, built once per test session and shared read-only by these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.journey.demo import DemoReport, run_demo

DEMO_PATIENTS = 3000


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    home = tmp_path_factory.mktemp("demo") / "haven"
    report = run_demo(home, patients=DEMO_PATIENTS, seed=7)
    import json

    (report.home / "demo-report.json").write_text(json.dumps(report.stages, default=str))
    return report


@pytest.fixture(scope="session")
def demo_patients() -> int:
    return DEMO_PATIENTS


@pytest.fixture(scope="session")
def demo_home(demo: DemoReport) -> Path:
    return demo.home

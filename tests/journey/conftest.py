"""One small demo haven, built once per test session and shared read-only by these tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openhaven.journey.demo import DemoReport, run_demo

DEMO_PATIENTS = 3000


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    home = tmp_path_factory.mktemp("demo") / "haven"
    report = run_demo(home, patients=DEMO_PATIENTS, seed=7)
    (report.home / "demo-report.json").write_text(json.dumps(report.stages, default=str))
    return report


@pytest.fixture(scope="session")
def demo_patients() -> int:
    return DEMO_PATIENTS


@pytest.fixture(scope="session")
def demo_home(demo: DemoReport) -> Path:
    return demo.home


@pytest.fixture(scope="session")
def demo_accounts(demo: DemoReport) -> dict[str, dict[str, Any]]:
    """role → the demo account for it (email, password, TOTP seed)."""
    return {account["role"]: account for account in demo.accounts}

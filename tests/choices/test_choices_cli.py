"""``openhaven choices ...`` as scripts use it: the JSON shapes the interface promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from choice_fixtures import POOL
from typer.testing import CliRunner

from openhaven.cli.main import app

runner = CliRunner()
A, B, C = POOL[:3]


def _run(home: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["--home", str(home), "choices", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "haven"


def test_set_show_withdraw_and_history(home: Path) -> None:
    code, confirmation = _run(home, "set", A, "--channel", "phone")
    assert code == 0 and confirmation["state"] == "opted-out"
    code, shown = _run(home, "show", A)
    assert shown["nhs_number"] == A
    assert shown["current"] == {"research-and-planning": "opted-out", "type-1": "not-set"}
    assert [e["channel"] for e in shown["history"]] == ["phone"]
    _run(home, "withdraw", A)
    assert _run(home, "show", A)[1]["current"] == {"research-and-planning": "not-set",
                                                  "type-1": "not-set"}
    code, history = _run(home, "history", A)
    assert [e["state"] for e in history["history"]] == ["opted-out", "not-set"]
    code, error = _run(home, "show", "1234567890")
    assert code == 3 and "1234567890" not in json.dumps(error)


def test_import_export_and_check(home: Path, tmp_path: Path) -> None:
    csv = tmp_path / "type1.csv"
    csv.write_text(f"nhs_number,status,effective_date,practice_code\n{B},opt-out,2026-01-01,"
                   "A81001\n")
    assert _run(home, "import", str(csv))[1] == {"imported": 1, "format": "gp-csv",
                                                 "stale_extracts": 0}
    _run(home, "set", A)
    bundle = tmp_path / "out.json"
    assert _run(home, "export", str(bundle))[0] == 0
    fresh = tmp_path / "fresh"
    assert _run(fresh, "import", str(bundle))[1]["imported"] == 2
    assert _run(fresh, "show", B)[1]["current"]["type-1"] == "opted-out"
    numbers = tmp_path / "numbers.txt"
    numbers.write_text(f"{A}\n{B}\n{C}\nnot-a-number\n")
    usable = tmp_path / "usable.txt"
    code, result = _run(home, "check", str(numbers), "--purpose", "research", "--out",
                        str(usable))
    assert code == 0
    assert result == {"submitted": 4, "usable": 2, "removed": 1, "invalid": [
        {"line": 4, "value": "not-a-number", "reason": "must contain digits only"}]}
    assert usable.read_text().split() == [B, C]
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"resourceType": "Patient"}\n')
    code, error = _run(home, "import", str(bad))
    assert code == 3
    assert error["error"]["location"] == {"file": "bad.ndjson", "line": 1,
                                          "field": "resourceType"}

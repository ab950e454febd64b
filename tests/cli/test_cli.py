"""The command line: help everywhere, JSON for scripts, exit codes scripts can rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from openhaven.cli.main import app

runner = CliRunner()


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(root, [])
    assert len(paths) > 10, "the command tree was not walked"
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "openhaven")
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_init_creates_a_haven(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--home", str(tmp_path / "h"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert Path(body["home"]) == (tmp_path / "h").resolve()
    assert (tmp_path / "h" / "records" / "records.duckdb").exists()


def test_home_from_environment_and_global_option(tmp_path: Path) -> None:
    env_home, flag_home = tmp_path / "env", tmp_path / "flag"
    result = runner.invoke(app, ["init"], env={"OPENHAVEN_HOME": str(env_home)})
    assert result.exit_code == 0 and env_home.is_dir()
    result = runner.invoke(app, ["--home", str(flag_home), "project", "list", "--json"])
    assert result.exit_code == 0 and flag_home.is_dir()
    assert json.loads(result.stdout) == {"projects": []}


def test_missing_input_file_is_exit_3_with_json_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.json"), "--home", str(tmp_path / "h"), "--json"]
    )
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["code"] == "invalid_input"


def test_unknown_project_is_exit_4(tmp_path: Path) -> None:
    result = runner.invoke(app, ["project", "show", "OH-1999-0001", "--home",
                                 str(tmp_path / "h"), "--json"])
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == "not_found"


def test_bad_query_file_names_line(tmp_path: Path) -> None:
    query = tmp_path / "q.yaml"
    query.write_text("name: q\ngroup_by: [sex\n")
    result = runner.invoke(app, ["query", "run", "OH-1", str(query), "--home",
                                 str(tmp_path / "h"), "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["location"]["file"] == "q.yaml"
    assert error["location"]["line"] >= 2


def test_ledger_verify_reports_tampering_with_nonzero_exit(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    from openhaven.core.haven import Haven
    from openhaven.ledger import record_event

    haven = Haven.open(home)
    for i in range(3):
        record_event(haven, "test.step", actor="system", details={"i": i})
    ok = runner.invoke(app, ["ledger", "verify", "--home", str(home), "--json"])
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"ok": True, "entries": 3, "first_bad": None,
                                     "reason": "every entry verified"}
    log = home / "ledger" / "entries.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"i":1', b'"i":7'))
    bad = runner.invoke(app, ["ledger", "verify", "--home", str(home), "--json"])
    assert bad.exit_code != 0
    assert json.loads(bad.stdout)["first_bad"] == 1


def test_installed_entry_point_runs() -> None:
    openhaven = Path(sys.executable).parent / "openhaven"
    result = subprocess.run([str(openhaven), "--version"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("openhaven ")

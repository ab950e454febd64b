"""``openhaven release``: request, review twice, show, verify the manifest, catch tampering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airlock_world import build_world
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import ExitCode
from openhaven.core.haven import Haven
from openhaven.ledger.signing_key import public_key_path

runner = CliRunner()


def cli(home: Path, *args: str) -> tuple[int, Any]:
    result = runner.invoke(app, [*args, "--home", str(home), "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_release_from_the_command_line(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "haven")
    engine = make_engine(haven.settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            world = build_world(session, haven)
            output_id = world.output(session).id
            reference = world.project.reference
            figure = world.job_file(haven, "figure.csv", "sex,count\nf,40\nm,35\n")
    finally:
        engine.dispose()
    home = haven.home
    code, body = cli(home, "release", "request", reference, "--as", "lead@testing.ac.uk",
                     "--title", "Table 1", "--output", f"{output_id}=Admissions by sex",
                     "--file", f"{figure}=The same as CSV")
    assert code == 0, body
    request_id = str(body["id"])
    assert body["status"] == "submitted" and len(body["items"]) == 2
    code, body = cli(home, "release", "review", request_id, "--as", "lead@testing.ac.uk",
                     "--decision", "approve")
    assert code == ExitCode.DENIED and body["error"]["code"] == "permission_denied"
    code, body = cli(home, "release", "review", request_id, "--as", "checkera@testing.ac.uk",
                     "--decision", "approve")
    assert code == 0 and body["status"] == "submitted"
    code, body = cli(home, "release", "show", request_id, "--as", "checkerb@testing.ac.uk")
    assert code == 0 and body["reviews"] == [] and body["votes_in"] == 1
    code, body = cli(home, "release", "review", request_id, "--as", "checkerb@testing.ac.uk",
                     "--decision", "approve")
    assert code == 0 and body["status"] == "released"
    folder = home / "projects" / reference / "airlock" / f"request-{request_id}"
    key = public_key_path(haven)
    result = runner.invoke(app, ["release", "verify-manifest", str(folder), "--public-key",
                                 str(key), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["valid"] is True
    (folder / "figure.csv").write_text("sex,count\nf,41\nm,35\n")
    result = runner.invoke(app, ["release", "verify-manifest", str(folder), "--public-key",
                                 str(key), "--json"])
    assert result.exit_code == ExitCode.DENIED
    assert json.loads(result.stdout)["problems"] == [
        "figure.csv: its bytes do not match the manifest"]


def test_bad_item_options_say_which(tmp_path: Path) -> None:
    code, body = cli(tmp_path / "h", "release", "request", "OH-2026-0001", "--as", "a@b.c",
                     "--title", "T", "--output", "x=desc")
    assert code == ExitCode.INVALID_INPUT
    assert body["error"]["location"] == {"field": "--output"}

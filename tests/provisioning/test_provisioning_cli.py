"""``openhaven reidentify`` and ``openhaven extract rotate-key`` on a real haven home."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
from pipeline_fixtures import GENERALISED, NHS_NUMBERS, approved_project, write_population
from typer.testing import CliRunner

from openhaven.cli.context import governance_session, open_haven
from openhaven.cli.main import app
from openhaven.provisioning.service import provision_extract

runner = CliRunner()
REASON = "Incident 2026/17: clinical safety follow-up"


def test_rotate_then_reidentify_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "haven"
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    haven = open_haven(home)
    write_population(haven.paths.record_store)
    with governance_session(haven) as session:
        reference = str(approved_project(session, haven, GENERALISED).reference)
        report = provision_extract(session, haven, reference, actor="custodian",
                                   cut_off=dt.datetime(2026, 6, 30, tzinfo=dt.UTC))
    table = pq.read_table(home / Path(report.path).parent / "tables" / "patients.parquet")
    pseudonym = str(table.column("pseudonym")[0].as_py())

    rotated = runner.invoke(app, ["extract", "rotate-key", reference, "--reason", REASON,
                                  "--home", str(home), "--json"])
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["key_epoch"] == 2

    found = runner.invoke(app, ["reidentify", reference, pseudonym, "--reason", REASON,
                                "--home", str(home), "--json"])
    assert found.exit_code == 0, found.output
    answer = json.loads(found.output)
    assert answer["found"] and answer["key_epoch"] == 1
    assert answer["nhs_number"] in NHS_NUMBERS

    no_reason = runner.invoke(app, ["reidentify", reference, pseudonym, "--reason", "x",
                                    "--home", str(home), "--json"])
    assert no_reason.exit_code != 0
    assert "reason" in no_reason.output

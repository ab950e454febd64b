"""Every CLI command is classified: what a researcher can reach is run and leaks nothing.

The CLI works on the haven's own folder, so most commands are the custodian's. Those a
researcher uses (``--as EMAIL`` names them, or they read only what the team may see) are run
here against the demo haven after a job tried to carry the patients table out; none may
print a pseudonym of the extract. A command missing from both lists fails the test.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.haven import Haven
from openhaven.journey.demo import DemoReport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_researcher_routes import PEEK, _leaks, _pseudonyms

RESEARCHER = "asha.patel@example.org"
#: Commands a researcher may use, with the arguments the walk runs them with ({ref}, {job},
#: {script}, {query}, {out} filled in) or, for those not run, why they cannot leak.
RESEARCHER_COMMANDS: dict[str, list[str] | str] = {
    "dummy": ["{ref}", "--out", "{out}", "--patients", "40"],
    "query run": ["{ref}", "{query}", "--as", RESEARCHER],
    "job run": ["{ref}", "{script}", "--as", RESEARCHER],
    "job submit": ["{ref}", "{script}", "--as", RESEARCHER],
    "job list": ["{ref}"],
    "job show": ["{job}"],
    "job log": ["{job}"],
    "job cancel": ["{job}", "--as", RESEARCHER],
    "project list": [],
    "project show": ["{ref}"],
    "request show": ["{ref}"],
    "ledger show": ["--action", "job."],
    "policy show": [],
    "policy duo-match": ["--purpose", "HMB", "--dataset", "GRU"],
    "policy check": "checks a request file the researcher wrote; reads no data",
    "request create": "creates a request from the researcher's own file",
    "request submit": "changes a request's state; answers with the request",
    "request revise": "changes a request's state; answers with the request",
    "release request": "answers with the release request (names, verdicts)",
    "release withdraw": "answers with the release request (names, verdicts)",
    "release resubmit": "answers with the release request (names, verdicts)",
    "release show": "answers with the release request (names, verdicts)",
    "outputs crosstab": "tabulates a file the researcher already holds (dummy data)",
    "ledger verify": "recomputes the ledger's hashes; prints counts",
    "ledger public-key": "prints the ledger's public key",
    "ledger key-history": "prints the ledger's public keys and when each was in force",
    "ledger proof inclusion": "prints hashes",
    "ledger proof consistency": "prints hashes",
    "register export": "the public register",
}
#: Commands that make something (a job, dummy data): run once, in their JSON form.
COSTLY = {"dummy", "job run", "job submit"}
#: The custodian's and operators' commands: a researcher has no way to run them.
STAFF_COMMANDS = {
    "init", "demo", "serve", "worker", "generate", "ingest", "anonymise", "reidentify",
    "text deidentify", "project suspend", "project reinstate", "project close",
    "people add-organisation", "people add", "people list", "people accredit",
    "people refresh-access", "request vote", "request conflict", "request queue",
    "extract provision", "extract rotate-key", "ledger sign", "ledger rotate-key", "choices set",
    "choices withdraw", "choices show", "choices history", "choices import",
    "choices export", "choices check", "choices exempt", "choices ingest-gp",
    "choices link-proxy", "choices end-proxy",
    "release review", "release verify-manifest", "outputs cell-key", "account create",
    "account list",
    "account set-password", "account reset-totp", "account disable", "account set-roles",
    "token issue", "token list", "token revoke", "transparency patient",
    "transparency link", "transparency benefit",
}


def _commands() -> set[str]:
    found: set[str] = set()

    def walk(command: object, prefix: list[str]) -> None:
        subs = getattr(command, "commands", {})
        if not subs:
            found.add(" ".join(prefix))
        for name, sub in subs.items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_classified() -> None:
    commands = _commands()
    unclassified = commands - set(RESEARCHER_COMMANDS) - STAFF_COMMANDS
    assert not unclassified, f"classify these in {Path(__file__).name}: {sorted(unclassified)}"
    assert not set(RESEARCHER_COMMANDS) & STAFF_COMMANDS
    assert not (set(RESEARCHER_COMMANDS) | STAFF_COMMANDS) - commands, "stale entries"


@pytest.mark.usefixtures("sandbox_available")
def test_no_command_a_researcher_runs_prints_record_level_data(
    job_demo: DemoReport, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    pseudonyms = _pseudonyms(job_haven, project_reference)
    script = tmp_path / "peek.py"
    script.write_text(PEEK, encoding="utf-8")
    query = tmp_path / "query.json"
    query.write_text(json.dumps({"name": "by-sex", "group_by": ["sex"]}), encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["--home", str(job_demo.home), "job", "run", project_reference,
                                str(script), "--as", RESEARCHER, "--json"])
    job_id = json.loads(first.stdout)["job_id"]
    values = {"ref": project_reference, "job": str(job_id), "script": str(script),
              "query": str(query), "out": str(tmp_path / "dummy")}
    ran = []
    for command, arguments in sorted(RESEARCHER_COMMANDS.items()):
        if isinstance(arguments, str):
            continue
        filled = [re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], a) for a in arguments]
        for as_json in ([["--json"]] if command in COSTLY else [[], ["--json"]]):
            result = runner.invoke(app, ["--home", str(job_demo.home), *command.split(),
                                         *filled, *as_json])
            assert _leaks(result.stdout, pseudonyms) == [], (command, as_json)
            ran.append((command, result.exit_code))
    assert all(code == 0 for command, code in ran if command != "job cancel"), ran
    assert len(ran) == sum((1 if c in COSTLY else 2) for c, a in RESEARCHER_COMMANDS.items()
                           if isinstance(a, list))

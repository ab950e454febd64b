"""The governance commands, end to end on a haven folder: people, a request, the committee."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from openhaven.cli.main import app

REQUEST = {
    "organisation": "CLI University",
    "lead": "lead@cli.ac.uk",
    "team": [],
    "title": "Blood pressure by area",
    "lay_summary": "How blood pressure control differs between areas.",
    "purpose": "Health research",
    "purpose_codes": "HMB",
    "public_benefit": "Fairer services.",
    "commercial": False,
    "declared_uses": ["research"],
    "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
    "identifiability": "pseudonymised",
    "safeguards_accepted": True,
    "data": {"tables": {"patients": {"patient_id": "pseudonymise", "sex": "keep"}}},
}


def run(home: Path, *arguments: str, code: int = 0) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["--home", str(home), *arguments, "--json"])
    assert result.exit_code == code, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_from_registration_to_closure(tmp_path: Path) -> None:
    home = tmp_path / "haven"
    run(home, "people", "add-organisation", "CLI University", "--kind", "academic")
    run(home, "people", "add", "lead@cli.ac.uk", "--name", "Lead", "--roles", "researcher",
        "--organisation", "CLI University")
    for name in ("chair", "vice"):
        run(home, "people", "add", f"{name}@cli.ac.uk", "--name", name.title(),
            "--roles", "committee_member")
    for kind in ("accredited_researcher", "ig_training"):
        run(home, "people", "accredit", "lead@cli.ac.uk", "--kind", kind,
            "--from", "2020-01-01", "--expires", "2099-01-01")
    request_file = tmp_path / "request.yaml"
    request_file.write_text(yaml.safe_dump(REQUEST), encoding="utf-8")
    assert run(home, "policy", "check", str(request_file))["outcome"] == "allow"
    reference = run(home, "request", "create", str(request_file),
                    "--as", "lead@cli.ac.uk")["reference"]
    assert run(home, "request", "submit", reference,
               "--as", "lead@cli.ac.uk")["status"] == "committee_review"
    assert [e["reference"] for e in run(home, "request", "queue")["queue"]] == [reference]
    refused = run(home, "request", "vote", reference, "--as", "lead@cli.ac.uk",
                  "--vote", "approve", "--reasons", "Mine.", code=5)
    assert refused["error"]["code"] == "permission_denied"
    for name in ("chair", "vice"):
        run(home, "request", "vote", reference, "--as", f"{name}@cli.ac.uk",
            "--vote", "approve", "--reasons", "Proportionate.")
    listed = run(home, "project", "list")["projects"]
    assert [(p["reference"], p["status"]) for p in listed] == [(reference, "approved")]
    shown = run(home, "request", "show", reference)
    assert [h["to"] for h in shown["history"]][-1] == "approved"
    refused = run(home, "project", "close", reference, "--as", "chair@cli.ac.uk",
                  "--reasons", "Finished.", code=3)
    assert refused["error"]["location"] == {"field": "extracts_destroyed"}
    closed = run(home, "project", "close", reference, "--as", "chair@cli.ac.uk",
                 "--reasons", "Finished.", "--extracts-destroyed")
    assert closed["status"] == "closed"
    people = run(home, "people", "list")["people"]
    assert people[0]["accreditations"] == ["accredited_researcher", "ig_training"]
    policy = run(home, "policy", "show")
    assert policy["quorum"] == 2


def test_a_bad_request_file_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    request_file = tmp_path / "request.yaml"
    request_file.write_text(yaml.safe_dump({**REQUEST, "identifiability": "everything"}),
                            encoding="utf-8")
    refused = run(tmp_path / "haven", "policy", "check", str(request_file), code=3)
    assert refused["error"]["location"] == {"file": "request.yaml", "field": "identifiability"}

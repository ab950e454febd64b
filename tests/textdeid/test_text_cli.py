"""``openhaven text deidentify`` on a text file and on NDJSON notes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openhaven.cli.main import app

NOTE = "Seen by Dr Okafor on 05/11/2024. NHS 943 476 5919. Asthma reviewed.\n"


def test_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "deidentify", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "Seen by Dr [NAME] on [DATE]. NHS [NHS_NUMBER]. Asthma reviewed.\n"


def test_json_lists_findings_without_the_text_found(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text(NOTE, encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "deidentify", str(path), "--json"])
    body = json.loads(result.output)
    assert body["counts"] == {"DATE": 1, "NAME": 1, "NHS_NUMBER": 1}
    assert {f["recognizer"] for f in body["findings"]} == {"person_name", "date", "nhs_number"}
    assert "Okafor" not in result.output and "5919" not in result.output


def test_ndjson_notes_with_their_patients(tmp_path: Path) -> None:
    path = tmp_path / "notes.ndjson"
    lines = [
        {"id": "a", "text": "ngozi rang about her knee",
         "patient": {"given_name": "Ngozi", "date_of_birth": "1950-03-04"}},
        {"id": "b", "text": "No identifiers here."},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "deidentify", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows == [{"id": "a", "text": "[NAME] rang about her knee"},
                    {"id": "b", "text": "No identifiers here."}]


def test_a_bad_line_is_named_and_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"text": "fine"}\n{"words": "Jane Doe 9434765919"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["text", "deidentify", str(path), "--json"])
    assert result.exit_code != 0
    body = json.loads(result.output)
    assert body["error"]["location"]["line"] == 2
    assert "9434765919" not in result.output and "Jane" not in result.output

"""``openhaven anonymise``: the JSON it prints, the files it writes, the errors it gives."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.haven import Haven
from openhaven.ledger import read_entries

runner = CliRunner()


def _files(tmp_path: Path) -> list[str]:
    data = tmp_path / "people.csv"
    rows = ["age;sex;diagnosis"]
    rows += [f"{age};{sex};{diagnosis}" for age, sex, diagnosis in [
        (31, "F", "flu"), (33, "F", "asthma"), (35, "M", "flu"), (37, "M", "copd"),
        (41, "F", "flu"), (42, "M", "asthma"), (44, "F", "copd"), (48, "M", "flu"),
        (52, "F", "asthma"), (55, "F", "flu"),
    ]]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ages = tmp_path / "age.csv"
    ages.write_text("".join(f"{a};{a // 10 * 10}-{a // 10 * 10 + 9};*\n" for a in range(30, 60)),
                    encoding="utf-8")
    sexes = tmp_path / "sex.csv"
    sexes.write_text("F;*\nM;*\n", encoding="utf-8")
    return [str(data), "--sep", ";", "--hierarchy", f"age={ages}", "--hierarchy",
            f"sex={sexes}", "--quasi", "age,sex"]


def test_the_json_answer_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "out" / "anonymised.csv"
    risk = tmp_path / "risk.json"
    result = runner.invoke(app, ["anonymise", *_files(tmp_path), "--k", "2", "--suppression",
                                 "0", "--metric", "loss", "--json", "--out", str(out),
                                 "--risk-report", str(risk)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"levels", "suppressed", "classes", "score", "evaluated", "seconds"}
    assert answer["levels"] == {"age": 1, "sex": 0}
    assert answer["suppressed"] == 0 and answer["classes"] == 5
    assert isinstance(answer["score"], float) and isinstance(answer["seconds"], float)
    assert 1 <= answer["evaluated"] <= 6
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "age;sex;diagnosis" and lines[1] == "30-39;F;flu" and len(lines) == 11
    report = json.loads(risk.read_text(encoding="utf-8"))
    assert report["highest_risk"] == 0.5 and report["summary"]


def test_l_diversity_and_entropy_metric_from_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["anonymise", *_files(tmp_path), "--k", "2", "--sensitive",
                                 "diagnosis", "--l", "2", "--metric", "entropy", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["levels"] == {"age": 1, "sex": 0}


def test_a_value_missing_from_a_hierarchy_exits_3_naming_file_line_and_column(
        tmp_path: Path) -> None:
    arguments = _files(tmp_path)
    data = Path(arguments[0])
    data.write_text(data.read_text(encoding="utf-8") + "77;F;flu\n", encoding="utf-8")
    result = runner.invoke(app, ["anonymise", *arguments, "--k", "2", "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid_input"
    assert error["location"] == {"file": str(data), "line": 12, "field": "age"}
    assert "77" not in result.stdout.replace(str(tmp_path), "<tmp>")


def test_a_ragged_row_exits_3_naming_the_line(tmp_path: Path) -> None:
    arguments = _files(tmp_path)
    data = Path(arguments[0])
    data.write_text(data.read_text(encoding="utf-8") + "40;F\n", encoding="utf-8")
    result = runner.invoke(app, ["anonymise", *arguments, "--k", "2", "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["location"] == {"file": str(data), "line": 12}


def test_a_quasi_identifier_without_hierarchy_is_a_usage_error(tmp_path: Path) -> None:
    arguments = _files(tmp_path)
    arguments[arguments.index("age,sex")] = "age,sex,diagnosis"
    result = runner.invoke(app, ["anonymise", *arguments, "--k", "2", "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["location"] == {"field": "--hierarchy"}


def test_a_run_inside_a_haven_is_recorded_without_data_values(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "haven")
    result = runner.invoke(app, ["anonymise", *_files(tmp_path), "--k", "2", "--json",
                                 "--home", str(haven.home)])
    assert result.exit_code == 0, result.output
    entries = [entry for entry in read_entries(haven) if entry.action == "deid.anonymised"]
    assert len(entries) == 1
    details = entries[0].details
    assert details["levels"] == {"age": 1, "sex": 0}
    assert details["settings"]["quasi_identifiers"] == ["age", "sex"]
    assert "30-39" not in json.dumps(entries[0].as_dict())


def test_every_option_of_the_command_is_documented() -> None:
    import typer

    command = typer.main.get_command(app).commands["anonymise"]  # type: ignore[attr-defined]
    options = {name for parameter in command.params for name in parameter.opts
               if name.startswith("--") and name != "--help"}
    assert {"--quasi", "--hierarchy", "--k", "--suppression", "--metric", "--out"} <= options
    doc = (Path(__file__).resolve().parents[2] / "docs" / "anonymisation.md").read_text(
        encoding="utf-8")
    missing = sorted(option for option in options if option not in doc)
    assert missing == [], f"undocumented options of openhaven anonymise: {missing}"

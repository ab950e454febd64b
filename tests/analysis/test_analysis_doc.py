"""docs/analysis.md: its query parses, its script compiles, its commands and routes exist."""

from __future__ import annotations

import re
import tempfile
import textwrap
from pathlib import Path

import yaml
from typer.testing import CliRunner

from openhaven.analysis.query_spec import MEASURES, AggregateQuery
from openhaven.cli.main import app
from openhaven.core.haven import Haven
from openhaven.web.actions import api_routes
from openhaven.web.app import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "analysis.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_documented_query_is_valid() -> None:
    (query_text,) = _blocks("yaml")
    query = AggregateQuery.from_dict(yaml.safe_load(query_text), source="analysis.md")
    assert query.measure == "mean" and query.group_by == ("sex", "age_band")


def test_the_documented_script_compiles() -> None:
    (script,) = _blocks("python")
    compile(textwrap.dedent(script), "analysis.py", "exec")


def test_every_measure_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{measure}`" in text or measure in text for measure in MEASURES)


def test_the_documented_commands_exist() -> None:
    runner = CliRunner()
    text = DOC.read_text(encoding="utf-8")
    for command in (["dummy"], ["query", "run"], ["job", "run"], ["job", "list"],
                    ["job", "show"], ["job", "submit"], ["job", "cancel"], ["job", "log"],
                    ["worker"], ["serve"]):
        assert runner.invoke(app, [*command, "--help"]).exit_code == 0, command
        assert f"openhaven {' '.join(command)}" in text or \
            f"openhaven --home demo-haven {' '.join(command)}" in text, command


def test_the_documented_routes_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(?:GET|POST) (/api/projects/\{ref\}[^`? ]*)", text))
    documented |= set(re.findall(r"`(/projects/\{ref\}/[^`? ]*)`", text))
    assert len(documented) >= 6
    with tempfile.TemporaryDirectory() as folder:
        paths = {r.path.replace("{reference}", "{ref}").replace("{job_id}", "{id}")
                 for r in api_routes(create_app(Haven.open(Path(folder) / "haven")))}
    assert documented <= paths, documented - paths

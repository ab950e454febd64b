"""docs/analysis.md: its query parses, its script compiles, its commands exist."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml
from typer.testing import CliRunner

from openhaven.analysis.query_spec import MEASURES, AggregateQuery
from openhaven.cli.main import app

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
    for command in (["dummy"], ["query", "run"], ["job", "run"], ["job", "list"],
                    ["job", "show"]):
        assert runner.invoke(app, [*command, "--help"]).exit_code == 0, command

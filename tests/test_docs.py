"""Docs checked by tests: the data model page, the README's commands, CI's command."""

from __future__ import annotations

from pathlib import Path

from openhaven.records.data_model_doc import BEGIN, END, render_tables

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_matches_the_schema() -> None:
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == render_tables().strip(), (
        "docs/data-model.md is stale: run python -m openhaven.records.data_model_doc"
    )


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["scripts/demo", "scripts/test"]
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "exec scripts/test" in ci


def test_every_doc_link_in_readme_exists() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / target).exists(), target

"""The same query file and the same job script, on dummy data and on the real extract, give
outputs of the same shape; and what a researcher's commands return is never record-level."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from openhaven.analysis.dummy_service import project_dummy_data
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import extract_columns, run_query_unsafe
from openhaven.cli.main import app
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.governance import service as governance
from openhaven.jobs.sandbox import SandboxLimits
from openhaven.jobs.service import run_job
from openhaven.provisioning import repository as extracts

QUERY = {
    "name": "hypertension-mean-age",
    "population": {"conditions": {"code_system": "snomed", "codes": ["38341003"],
                                  "between": ["2000-01-01", None]}, "age": {"min": 18}},
    "measure": {"kind": "mean", "of": "age"},
    "group_by": ["sex", "age_band"],
}
SCRIPT = """
    import os
    import polars as pl
    folder = os.path.dirname(os.environ["OPENHAVEN_EXTRACT"])
    patients = pl.read_parquet(os.path.join(folder, "tables", "patients.parquet"))
    conditions = pl.read_parquet(os.path.join(folder, "tables", "conditions.parquet"))
    counts = (conditions.join(patients, on="pseudonym").group_by("sex")
              .agg(pl.col("pseudonym").n_unique().alias("patients")).sort("sex"))
    counts.write_csv(os.path.join(os.environ["OPENHAVEN_OUTPUT"], "patients_by_sex.csv"))
    print("wrote a table of", counts.height, "groups")
"""


def _real_extract(session: Session, haven: Haven, reference: str) -> Path:
    project = governance.get_project(session, reference)
    extract = extracts.latest_extract(session, project.id)
    assert extract is not None
    return haven.home / extract.path


def _dummy(session: Session, haven: Haven, reference: str, folder: Path,
           min_matches: int = 30) -> Path:
    query = AggregateQuery.from_dict(QUERY)
    report = project_dummy_data(session, haven, reference, folder, actor="researcher-test",
                                patients=200, seed=3, query=query, min_matches=min_matches)
    assert report.matches is not None and report.matches >= min_matches
    return report.path


def test_dummy_data_has_the_extracts_exact_schema(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    dummy = _dummy(session, job_haven, project_reference, tmp_path / "dummy")
    real = _real_extract(session, job_haven, project_reference)
    with open_session(dummy, read_only=True) as d, open_session(real, read_only=True) as r:
        assert extract_columns(d)[1] == extract_columns(r)[1]
        dummy_pseudonyms = set(d.query("SELECT pseudonym FROM patients").column(0).to_pylist())
        real_pseudonyms = set(r.query("SELECT pseudonym FROM patients").column(0).to_pylist())
    assert not dummy_pseudonyms & real_pseudonyms


def test_the_same_query_gives_the_same_shape(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    query = AggregateQuery.from_dict(QUERY)
    dummy = run_query_unsafe(_dummy(session, job_haven, project_reference, tmp_path / "d"),
                             query)
    real = run_query_unsafe(_real_extract(session, job_haven, project_reference), query)
    assert dummy.dimensions == real.dimensions == ("sex", "age_band")
    assert {len(r) for r in dummy.rows} == {len(r) for r in real.rows} == {3}
    assert {type(r[-1]) for r in dummy.rows} == {type(r[-1]) for r in real.rows}


@pytest.mark.usefixtures("sandbox_available")
def test_the_same_job_script_gives_the_same_shape(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    script = tmp_path / "analysis.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    # Outside the haven: the researcher runs the script on dummy data with their own Python.
    dummy = _dummy(session, job_haven, project_reference, tmp_path / "dummy")
    local_output = tmp_path / "local-output"
    local_output.mkdir()
    env = {**os.environ, "OPENHAVEN_EXTRACT": str(dummy), "OPENHAVEN_OUTPUT": str(local_output)}
    subprocess.run([sys.executable, str(script)], env=env, check=True, capture_output=True)
    # Inside: the same file runs as a job on the real extract.
    report = run_job(session, job_haven, project_reference, script, actor="researcher-test",
                     limits=SandboxLimits(wall_seconds=60))
    assert report.status == "succeeded", report.reason
    assert [o["file"] for o in report.outputs] == ["patients_by_sex.csv"]
    job_output = job_haven.paths.project(project_reference) / "jobs" / str(report.job_id)
    real_header = (job_output / "output" / "patients_by_sex.csv").read_text().splitlines()[0]
    dummy_header = (local_output / "patients_by_sex.csv").read_text().splitlines()[0]
    assert real_header == dummy_header == "sex,patients"


@pytest.mark.usefixtures("sandbox_available")
def test_the_researchers_commands_answer_in_the_contracts_shape_without_records(
    session: Session, job_haven: Haven, project_reference: str, tmp_path: Path
) -> None:
    real = _real_extract(session, job_haven, project_reference)
    with open_session(real, read_only=True) as r:
        pseudonyms = r.query("SELECT pseudonym FROM patients").column(0).to_pylist()
    query_file = tmp_path / "query.yaml"
    query_file.write_text(yaml.safe_dump(QUERY), encoding="utf-8")
    script = tmp_path / "analysis.py"
    script.write_text(textwrap.dedent(SCRIPT) + "print(patients.head(30))\n", encoding="utf-8")
    home = ["--home", str(job_haven.home)]
    runner = CliRunner()
    answers = {}
    for name, arguments in {
        "query": ["query", "run", project_reference, str(query_file), "--json", *home],
        "job": ["job", "run", project_reference, str(script), "--json", *home],
        "jobs": ["job", "list", project_reference, "--json", *home],
        "dummy": ["dummy", project_reference, "--out", str(tmp_path / "dummy"), "--query",
                  str(query_file), "--min-matches", "20", "--json", *home],
    }.items():
        result = runner.invoke(app, arguments)
        answers[name] = json.loads(result.stdout)
        assert not any(p in result.stdout for p in pseudonyms), name
    assert answers["query"]["columns"] == ["sex", "age_band", "value"]
    assert {"status", "reason", "outputs"} <= set(answers["job"])
    assert answers["job"]["status"] == "succeeded"
    assert "withheld" in answers["job"]["reason"]
    assert answers["dummy"]["matches"] >= 20

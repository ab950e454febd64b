"""The public register: rows equal the governance records; downloads validate; proofs link."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from transparency_world import World, build_world
from typer.testing import CliRunner

from openhaven.cli.main import app as cli
from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.errors import InvalidInput
from openhaven.core.haven import Haven
from openhaven.governance.models import Project
from openhaven.ledger import read_entries
from openhaven.provisioning.models import Extract
from openhaven.transparency.benefits import record_benefit
from openhaven.transparency.register import register_entries
from openhaven.transparency.register_export import (
    RegisterSchemaMismatch,
    register_csv,
    register_document,
    register_schema,
    rows_from_csv,
    rows_to_csv,
)
from openhaven.web.app import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(Haven.open(tmp_path_factory.mktemp("register") / "haven"))
    engine = make_engine(built.haven.settings.database_url)
    with unit_of_work(engine) as session:
        record_benefit(session, built.haven, built.references[0],
                       reported_on=dt.date(2026, 11, 1), summary="Guideline changed.",
                       link="https://example.org/paper", recorded_by="custodian")
    engine.dispose()
    return built


@pytest.fixture
def db(world: World) -> Iterator[Session]:
    engine = make_engine(world.haven.settings.database_url)
    try:
        with unit_of_work(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_rows_match_the_governance_records_exactly(world: World, db: Session) -> None:
    rows = {row["reference"]: row for row in register_entries(db, world.haven)}
    projects = list(db.scalars(select(Project).order_by(Project.reference)))
    assert sorted(rows) == [p.reference for p in projects]
    for project in projects:
        row = rows[project.reference]
        assert row["title"] == project.title
        assert row["organisation"] == project.organisation.name
        assert row["organisation_kind"] == str(project.organisation.kind)
        assert row["commercial"] is project.commercial
        assert row["purpose"] == project.purpose and row["lay_summary"] == project.lay_summary
        assert row["legal_basis"] == project.legal_basis
        assert row["identifiability"] == str(project.identifiability)
        assert row["opt_outs"] == "applied" and row["exemptions"] == []
        assert row["datasets"] == sorted(project.dataset_specification["tables"])
        assert row["agreements"] == [
            {"starts": a.starts_at.date().isoformat(), "ends": a.ends_at.date().isoformat()}
            for a in project.agreements
        ]
        extracts = list(db.scalars(select(Extract).where(Extract.project_id == project.id)))
        assert row["extracts"] == [
            {"version": e.version, "provisioned": e.created_at.date().isoformat(),
             "patients": e.patient_count, "removed_by_opt_outs": e.removed_by_choices}
            for e in extracts
        ]
        about = [e.seq for e in read_entries(world.haven) if e.subject == project.reference]
        assert [e["seq"] for e in row["ledger_entries"]] == about
        assert all(e["proof"] == f"/api/ledger/proof/{e['seq']}" for e in row["ledger_entries"])
    first, second = (rows[r] for r in world.references)
    assert first["benefits"] == [{"reported_on": "2026-11-01", "summary": "Guideline changed.",
                                  "link": "https://example.org/paper"}]
    assert second["benefits"] == [] and second["commercial"] is True
    assert first["extracts"][0]["removed_by_opt_outs"] == 1


def test_json_and_csv_downloads_validate_and_say_the_same(world: World, db: Session) -> None:
    document = register_document(db, world.haven)
    jsonschema.validate(document, register_schema())
    decoded = rows_from_csv(register_csv(db, world.haven))
    assert decoded == document["projects"]


def test_a_row_off_the_schema_is_an_error_not_a_download(world: World, db: Session) -> None:
    rows = register_entries(db, world.haven)
    rows[0]["commercial"] = "maybe"
    with pytest.raises(RegisterSchemaMismatch, match="csv_row"):
        rows_to_csv(rows)
    document = register_document(db, world.haven)
    document["projects"][0]["extracts"][0]["patients"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, register_schema())


def test_a_benefit_needs_a_summary_and_a_web_link(world: World, db: Session) -> None:
    with pytest.raises(InvalidInput, match="summary"):
        record_benefit(db, world.haven, world.references[0], reported_on=dt.date(2026, 1, 1),
                       summary="  ", link=None, recorded_by="custodian")
    with pytest.raises(InvalidInput, match="link"):
        record_benefit(db, world.haven, world.references[0], reported_on=dt.date(2026, 1, 1),
                       summary="x", link="javascript:alert(1)", recorded_by="custodian")


def test_downloads_schema_and_proofs_are_public_on_the_web(world: World) -> None:
    with TestClient(create_app(world.haven)) as client:
        document = client.get("/register.json")
        assert document.status_code == 200
        schema = client.get("/register.schema.json").json()
        jsonschema.validate(document.json(), schema)
        table = client.get("/register.csv")
        assert table.headers["content-type"].startswith("text/csv")
        assert rows_from_csv(table.text) == document.json()["projects"]
        entry = document.json()["projects"][0]["ledger_entries"][-1]
        proof = client.get(entry["proof"])
        assert proof.status_code == 200
        assert proof.json()["leaf_index"] == entry["seq"]
        assert json.loads(proof.json()["entry"])["subject"] == world.references[0]
        page = client.get("/register").text
        assert f'href="{entry["proof"]}"' in page and "Guideline changed." in page
        assert client.get("/api/ledger/proof/999999").status_code == 404


def test_cli_exports_both_formats(world: World, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = str(world.haven.home)
    as_json = CliRunner().invoke(cli, ["register", "export", "--format", "json", "--home", home])
    assert as_json.exit_code == 0, as_json.output
    jsonschema.validate(json.loads(as_json.output), register_schema())
    target = tmp_path_factory.mktemp("out") / "register.csv"
    as_csv = CliRunner().invoke(cli, ["register", "export", "--format", "csv", "--output",
                                      str(target), "--home", home])
    assert as_csv.exit_code == 0, as_csv.output
    assert rows_from_csv(target.read_text()) == json.loads(as_json.output)["projects"]
    wrong = CliRunner().invoke(cli, ["register", "export", "--format", "xml", "--home", home])
    assert wrong.exit_code != 0 and "format" in wrong.output

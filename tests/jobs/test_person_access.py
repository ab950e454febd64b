"""Researcher data access checks the person, not only the project.

When the acting person is known, a query or a job reaches the project's extract only if
``may_access`` allows that person now: on the team, holding the researcher role, accredited
in date, under an agreement in force. A refusal says why and records nothing. The module
builds its own small demo haven so that the people it adds touch no other test's haven.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from openhaven.analysis.query_spec import AggregateQuery
from openhaven.cli.main import app
from openhaven.core.clock import utc_now
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.access import record_accreditation
from openhaven.governance.models import Person, ProjectMember
from openhaven.identity.accounts import create_account
from openhaven.jobs import service as jobs_service
from openhaven.jobs.models import AnalysisJob
from openhaven.journey.demo import DemoReport, run_demo
from openhaven.outputs import service as outputs_service
from openhaven.outputs.models import Output
from openhaven.provisioning import extract_access
from openhaven.web.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journey"))
from signing_in import CSRF, sign_in

QUERY = {"name": "by-sex", "group_by": ["sex"]}
SCRIPT = "print('hello from the sandbox')\n"
PASSWORD = "a long password for this test only"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    report = run_demo(tmp_path_factory.mktemp("person-access") / "haven", patients=200,
                      seed=5)
    haven = Haven.open(report.home)
    engine = make_engine(haven.settings.database_url)
    migrate(engine)
    try:
        with unit_of_work(engine) as session:
            project = governance.list_projects(session)[0]
            for name in ("unaccredited", "outsider"):
                person = governance.register_person(
                    session, haven, display_name=name.title(),
                    email=f"{name}@testing.ac.uk", roles=["researcher"], organisation=None,
                    actor="custodian")
                start = utc_now() - timedelta(days=30)
                if name == "outsider":  # accredited, but not on the team
                    for kind in ("accredited_researcher", "ig_training"):
                        record_accreditation(session, haven, person, kind=kind,
                                             valid_from=start,
                                             expires_at=start + timedelta(days=365),
                                             actor="custodian")
                else:  # on the team, but its accreditation has lapsed
                    record_accreditation(session, haven, person, kind="accredited_researcher",
                                         valid_from=start, expires_at=start + timedelta(days=1),
                                         actor="custodian")
                    project.members.append(ProjectMember(person=person,
                                                         role_in_project="member"))
                    made = create_account(session, haven, person, password=PASSWORD,
                                          actor="custodian")
                    report.accounts.append({"role": "unaccredited", "email": person.email,
                                            "password": PASSWORD,
                                            "totp_secret": made.totp_secret})
    finally:
        engine.dispose()
    return report


@pytest.fixture
def haven(demo: DemoReport) -> Haven:
    return Haven.open(demo.home)


@pytest.fixture
def session(haven: Haven) -> Iterator[Session]:
    engine = make_engine(haven.settings.database_url)
    try:
        with unit_of_work(engine) as opened:
            yield opened
    finally:
        engine.dispose()


def _person(session: Session, email: str) -> Person:
    found = governance.find_person_by_email(session, email)
    assert found is not None
    return found


def _reference(session: Session) -> str:
    return governance.list_projects(session)[0].reference


def _after_the_agreement(session: Session) -> datetime:
    project = governance.list_projects(session)[0]
    assert project.agreements, "the demo project has a data sharing agreement"
    return max(a.ends_at for a in project.agreements) + timedelta(days=1)


def _run(path: str, session: Session, haven: Haven, person: Person, tmp_path: Path) -> Any:
    reference = _reference(session)
    if path == "query":
        return outputs_service.run_checked_query(
            session, haven, reference, AggregateQuery.from_dict(QUERY),
            actor=person.reference, person=person)
    script = tmp_path / "hello.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return jobs_service.run_job(session, haven, reference, script, actor=person.reference,
                                person=person)


def _counts(session: Session) -> tuple[int, int]:
    return session.query(Output).count(), session.query(AnalysisJob).count()


@pytest.mark.parametrize("path", ["query", "job"])
@pytest.mark.parametrize(
    ("case", "email", "reason"),
    [
        ("unaccredited team member", "unaccredited@testing.ac.uk",
         "lacks current accreditation: accredited_researcher, ig_training"),
        ("not on the team", "outsider@testing.ac.uk", "is not on the project's team"),
        ("agreement ended", "asha.patel@example.org", "no data sharing agreement in force"),
    ],
)
def test_a_person_without_access_is_refused_with_the_reason_and_nothing_runs(
    session: Session, haven: Haven, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    path: str, case: str, email: str, reason: str,
) -> None:
    person = _person(session, email)
    if case == "agreement ended":
        later = _after_the_agreement(session)
        # queries and jobs pass the same gate, which reads the clock
        monkeypatch.setattr(extract_access, "utc_now", lambda: later)
    before = _counts(session)
    with pytest.raises(PermissionDenied) as refused:
        _run(path, session, haven, person, tmp_path)
    assert reason in refused.value.message, case
    assert "@" not in refused.value.message  # the person by reference, never by email
    assert _counts(session) == before


@pytest.mark.parametrize("path", ["query", "job"])
def test_an_accredited_team_member_passes(
    session: Session, haven: Haven, tmp_path: Path, path: str
) -> None:
    researcher = _person(session, "asha.patel@example.org")
    before = _counts(session)
    answer = _run(path, session, haven, researcher, tmp_path)
    if path == "query":
        assert answer["project"] == _reference(session)
        assert _counts(session)[0] == before[0] + 1
    else:  # recorded; it runs where a sandbox exists and is blocked where none does
        assert answer.job_id is not None
        assert answer.status in ("succeeded", "blocked"), answer.reason
        assert _counts(session)[1] == before[1] + 1


def test_without_a_person_the_project_check_alone_still_applies(
    session: Session, haven: Haven
) -> None:
    answer = outputs_service.run_checked_query(
        session, haven, _reference(session), AggregateQuery.from_dict(QUERY), actor="demo")
    assert answer["output_id"] > 0


def _cli(home: Path, *arguments: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["--home", str(home), *arguments, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("email", "allowed", "words"),
    [
        ("asha.patel@example.org", True, ""),
        ("unaccredited@testing.ac.uk", False, "lacks current accreditation"),
        ("outsider@testing.ac.uk", False, "not on the project's team"),
        ("nobody@testing.ac.uk", False, "No registered person"),
    ],
)
def test_the_cli_acts_as_the_named_researcher(
    demo: DemoReport, haven: Haven, session: Session, tmp_path: Path, email: str,
    allowed: bool, words: str,
) -> None:
    reference = _reference(session)
    session.commit()  # let the command's own session see the haven as it is
    query_file = tmp_path / "query.json"
    query_file.write_text(json.dumps(QUERY), encoding="utf-8")
    script = tmp_path / "hello.py"
    script.write_text(SCRIPT, encoding="utf-8")
    for arguments in (["query", "run", reference, str(query_file)],
                      ["job", "run", reference, str(script)]):
        code, answer = _cli(demo.home, *arguments, "--as", email)
        text = json.dumps(answer)
        assert email not in text, arguments
        if allowed:
            assert code == 0, text
        else:
            assert code != 0, text
            assert words in text, arguments


def test_the_web_routes_check_the_signed_in_person(demo: DemoReport, haven: Haven) -> None:
    client = TestClient(create_app(haven))
    sign_in(client, next(a for a in demo.accounts if a["role"] == "unaccredited"))
    token = CSRF.search(client.get("/account").text)
    assert token is not None
    client.headers["x-csrf-token"] = token.group(1)
    engine = make_engine(haven.settings.database_url)
    try:
        with unit_of_work(engine) as session:
            reference, before = _reference(session), _counts(session)
        for path, body in (("queries", QUERY), ("jobs", {"code": SCRIPT})):
            answer = client.post(f"/api/projects/{reference}/{path}", json=body)
            assert answer.status_code == 403, answer.text
            assert "lacks current accreditation" in answer.text, path
        with unit_of_work(engine) as session:
            assert _counts(session) == before
    finally:
        engine.dispose()

"""A small haven with one signed-up person per role, a project and an output, per engine.

The web app under test is pointed at the test engine (``app.state.engine``), so every
request runs through the real action check, policy, sessions and tokens on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db_fixtures import empty_database
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import Role
from openhaven.identity import accounts, api_tokens, sessions
from openhaven.identity.repository import account_for_person
from openhaven.outputs.models import Output, OutputKind, Verdict
from openhaven.provisioning.specification import DEMO_SPECIFICATION
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

PASSWORD = "a long test password"


@dataclass
class World:
    kind: str
    haven: Haven
    engine: Engine
    app: FastAPI
    project: str
    other_project: str
    output_id: int
    #: role → (email, person id, TOTP seed)
    people: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)

    def client(self, role: str | None = None) -> TestClient:
        """A client signed in as ``role`` (a fresh full session), or anonymous; the CSRF
        token is sent with every request, so tests of permissions test only permissions."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if role is None:
            client.cookies.set(CSRF_COOKIE, "anonymous-csrf-token")
            client.headers[CSRF_HEADER] = "anonymous-csrf-token"
            return client
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.people[role][1])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
            csrf = started.record.csrf_token
        client.cookies.set(SESSION_COOKIE, started.token)
        client.headers[CSRF_HEADER] = csrf
        return client

    def token(self, role: str, scope: str, project: str | None = None, days: int = 30) -> str:
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.people[role][1])
            assert account is not None
            return api_tokens.issue_token(session, self.haven, account, label="test",
                                          scope=scope, project=project, days=days,
                                          actor="test").token


def build_world(kind: str, folder: Path) -> Iterator[World]:
    with empty_database(kind, folder) as engine:
        migrate(engine)
        haven = Haven.open(folder / "haven")
        people: dict[str, tuple[str, int, str | None]] = {}
        with unit_of_work(engine) as session:
            organisation = governance.register_organisation(
                session, haven, name="Test Institute", kind="academic", actor="test")
            persons = {}
            for role in Role:
                email = f"{role.value.replace('_', '-')}@example.org"
                person = governance.register_person(
                    session, haven, display_name=f"Test {role.value}", email=email,
                    roles=[role.value], organisation=organisation, actor="test")
                made = accounts.create_account(session, haven, person, password=PASSWORD,
                                               actor="test")
                persons[role.value] = person
                people[role.value] = (email, person.id, made.totp_secret)
            references = []
            for title in ("Ours", "Theirs"):
                project = governance.create_project(
                    session, haven, title=f"{title} project", lay_summary="A test project.",
                    purpose="Health/medical/biomedical research", purpose_codes="HMB",
                    organisation=organisation, lead=persons["researcher"] if title == "Ours"
                    else persons["committee_member"],
                    legal_basis="UK GDPR 6(1)(e) and 9(2)(j); pseudonymised data",
                    identifiability="pseudonymised", commercial=False,
                    dataset_specification=DEMO_SPECIFICATION,
                    team=[persons["researcher"]] if title == "Ours" else [], actor="test",
                )
                references.append(project.reference)
                if title == "Ours":
                    output = Output(project_id=project.id, kind=OutputKind.QUERY,
                                    name="count", verdict=Verdict.PASS,
                                    checks={"minimum_cell_count": {"reason": "no small cells"}},
                                    result={"columns": ["sex", "count"], "rows": [["F", 12]]})
                    session.add(output)
                    session.flush()
                    output_id = output.id
        app = create_app(haven)
        app.state.engine = engine
        yield World(kind, haven, engine, app, references[0], references[1], output_id, people)



"""A governance web site for tests: people with accounts, an accredited researcher, the app.

Shared by the web tests of the governance workflow and of the request form, so both build
the same site the same way (on SQLite or PostgreSQL) and sign people in alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from governance_cast import REQUIRED
from sqlalchemy import Engine

from db_fixtures import empty_database
from openhaven.core.clock import utc_now
from openhaven.core.database import migrate, unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.access import record_accreditation
from openhaven.identity import accounts, api_tokens, sessions
from openhaven.identity.passwords import PROFILE_ENV
from openhaven.identity.repository import account_for_person
from openhaven.web.app import create_app
from openhaven.web.credentials import CSRF_HEADER, SESSION_COOKIE


@dataclass
class Site:
    app: Any
    engine: Engine
    ids: dict[str, int]

    def api(self, who: str) -> TestClient:
        """A client holding a write-scoped API token of ``who``."""
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.ids[who])
            assert account is not None
            token = api_tokens.issue_token(session, self.app.state.haven, account,
                                           label="t", scope="write", actor="test").token
        client = TestClient(self.app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    def browser(self, who: str, *, csrf_header: bool = True) -> TestClient:
        """A client signed in as ``who`` (the CSRF token sent as a header unless told not)."""
        with unit_of_work(self.engine) as session:
            account = account_for_person(session, self.ids[who])
            assert account is not None
            started = sessions.start_session(session, account, stage=sessions.FULL)
        client = TestClient(self.app, raise_server_exceptions=False)
        client.cookies.set(SESSION_COOKIE, started.token)
        if csrf_header:
            client.headers[CSRF_HEADER] = started.record.csrf_token
        return client

    def project_count(self) -> int:
        with unit_of_work(self.engine) as session:
            return len(governance.list_projects(session))


@contextlib.contextmanager
def governance_site(kind: str, folder: Path, people: dict[str, list[str]], *,
                    organisation: str, domain: str) -> Iterator[Site]:
    """``people`` (name → roles) with accounts, in ``organisation``; "researcher" accredited."""
    with pytest.MonkeyPatch.context() as patch, empty_database(kind, folder) as engine:
        patch.setenv(PROFILE_ENV, "fast")
        migrate(engine)
        haven = Haven.open(folder / "haven")
        ids = {}
        with unit_of_work(engine) as session:
            registered = governance.register_organisation(
                session, haven, name=organisation, kind="academic", actor="test")
            for name, roles in people.items():
                person = governance.register_person(
                    session, haven, display_name=name, email=f"{name}@{domain}", roles=roles,
                    organisation=registered, actor="test")
                accounts.create_account(session, haven, person, password="a long passphrase",
                                        actor="test")
                ids[name] = person.id
            researcher = governance.get_person(session, ids["researcher"])
            for kind_of in REQUIRED:
                record_accreditation(session, haven, researcher, kind=kind_of,
                                     valid_from=utc_now().date(),
                                     expires_at=utc_now().replace(year=utc_now().year + 1),
                                     actor="test")
        app = create_app(haven)
        app.state.engine.dispose()
        app.state.engine = engine
        yield Site(app, engine, ids)

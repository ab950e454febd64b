"""Sessions time out and end everywhere; API tokens are hashed, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

from identity_world import World
from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.database import unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.identity import accounts, api_tokens, sessions
from openhaven.identity.models import ApiToken, SignInSession
from openhaven.ledger import read_entries


def _account(session: Session, haven: Haven) -> accounts.NewAccount:
    person = governance.register_person(session, haven, display_name="Some One",
                                        email="someone@example.org", roles=["researcher"],
                                        organisation=None, actor="test")
    return accounts.create_account(session, haven, person, password="a long test password",
                                   actor="test")


def test_sessions_end_when_idle_or_too_old_or_everywhere(session: Session, haven: Haven) -> None:
    account = _account(session, haven).account
    first = sessions.start_session(session, account, stage=sessions.FULL)
    second = sessions.start_session(session, account, stage=sessions.FULL)
    assert first.token not in {r for r in session.scalars(select(SignInSession.token_hash))}
    now = utc_now()
    assert sessions.find_session(session, first.token, now=now) is not None
    idle = now + sessions.IDLE_TIMEOUT + timedelta(seconds=1)
    assert sessions.find_session(session, first.token, now=idle) is None
    assert sessions.find_session(session, second.token, now=now + timedelta(minutes=20))
    too_old = second.record.created_at + sessions.ABSOLUTE_TIMEOUT + timedelta(seconds=1)
    second.record.last_seen_at = too_old - timedelta(minutes=1)
    assert sessions.find_session(session, second.token, now=too_old) is None
    third = sessions.start_session(session, account, stage=sessions.FULL)
    fourth = sessions.start_session(session, account, stage=sessions.PASSWORD_STAGE)
    assert sessions.end_all_sessions(session, haven, account) == 2
    assert sessions.find_session(session, third.token) is None
    assert sessions.find_session(session, fourth.token) is None


def test_promotion_gives_the_session_a_new_token(session: Session, haven: Haven) -> None:
    account = _account(session, haven).account
    started = sessions.start_session(session, account, stage=sessions.PASSWORD_STAGE)
    new_token = sessions.promote(session, started.record)
    assert sessions.find_session(session, started.token) is None
    found = sessions.find_session(session, new_token)
    assert found is not None and found.stage == sessions.FULL


def test_tokens_are_stored_hashed_and_expire_and_revoke(session: Session, haven: Haven) -> None:
    account = _account(session, haven).account
    issued = api_tokens.issue_token(session, haven, account, label="cli", scope="read",
                                    days=1, actor="test")
    assert issued.token.startswith("oh_") and len(issued.token) > 40
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert issued.token not in stored
    assert api_tokens.find_token(session, issued.token) is not None
    assert api_tokens.find_token(session, issued.token, now=utc_now() + timedelta(days=2)) \
        is None
    api_tokens.revoke_token(session, haven, issued.record.id, actor="test")
    assert api_tokens.find_token(session, issued.token) is None
    actions = [e.action for e in read_entries(haven)]
    assert "api_token.issued" in actions and "api_token.revoked" in actions
    assert all(issued.token not in str(e) for e in read_entries(haven))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_scope_is_enforced_over_http(world: World) -> None:
    client = world.client(None)
    client.headers.pop("x-csrf-token")
    read = world.token("custodian_admin", "read")
    assert client.get("/api/records/counts", headers=_bearer(read)).status_code == 200
    answer = client.post("/api/tokens", json={"label": "more"}, headers=_bearer(read))
    assert answer.status_code == 403
    assert "scope (read)" in answer.json()["error"]["message"]
    admin = world.token("custodian_admin", "admin")
    answer = client.post("/api/tokens", json={"label": "more"}, headers=_bearer(admin))
    assert answer.status_code == 201  # no CSRF needed with a bearer token
    minted = answer.json()["token"]
    assert client.get("/api/me", headers=_bearer(minted)).json()["token_scope"] == "read"
    assert client.delete(f"/api/tokens/{answer.json()['id']}",
                         headers=_bearer(admin)).status_code == 200
    assert client.get("/api/me", headers=_bearer(minted)).status_code == 401


def test_a_project_token_reaches_that_project_only(world: World) -> None:
    client = world.client(None)
    token = world.token("custodian_admin", "read", project=world.project)
    assert client.get(f"/api/projects/{world.project}", headers=_bearer(token)).status_code \
        == 200
    assert client.get(f"/api/projects/{world.other_project}",
                      headers=_bearer(token)).status_code == 403
    assert client.get("/api/records/counts", headers=_bearer(token)).status_code == 403
    assert client.get("/api/health", headers=_bearer(token)).status_code == 200


def test_a_token_cannot_do_more_than_its_person(world: World) -> None:
    client = world.client(None)
    token = world.token("researcher", "admin")
    assert client.get("/api/records/counts", headers=_bearer(token)).status_code == 403
    assert client.get(f"/api/projects/{world.other_project}",
                      headers=_bearer(token)).status_code == 403
    assert client.get(f"/api/projects/{world.project}", headers=_bearer(token)).status_code \
        == 200


def test_expired_unknown_and_revoked_tokens_get_401(world: World) -> None:
    client = world.client(None)
    token = world.token("auditor", "read")
    with unit_of_work(world.engine) as session:
        record = api_tokens.find_token(session, token)
        assert record is not None
        record.expires_at = utc_now() - timedelta(seconds=1)
    for bad in (token, "oh_not-a-real-token", "garbage"):
        answer = client.get("/api/projects", headers=_bearer(bad))
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_listings_show_a_researcher_only_their_projects(world: World) -> None:
    def listed(role: str | None, headers: dict[str, str] | None = None) -> set[str]:
        answer = world.client(role).get("/api/projects", headers=headers or {})
        return {project["reference"] for project in answer.json()["projects"]}

    assert listed("researcher") == {world.project}
    assert listed("auditor") == {world.project, world.other_project}
    bound = world.token("auditor", "read", project=world.other_project)
    assert listed(None, _bearer(bound)) == {world.other_project}
    page = world.client("researcher").get("/projects").text
    assert world.project in page and world.other_project not in page

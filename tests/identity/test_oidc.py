"""Signing in through an organisation's identity provider: a real OpenID Connect provider
(``oidc-provider-mock``, a complete provider for tests) runs on a local port in a thread."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from identity_world import World

from openhaven.identity.oidc import CLIENT_ID_ENV, CLIENT_SECRET_ENV, ISSUER_ENV
from openhaven.ledger import read_entries

# The provider is built on an older authlib interface and says so; that is its business.
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:authlib", "ignore::DeprecationWarning:oidc_provider_mock",
    "ignore::authlib.deprecate.AuthlibDeprecationWarning",
)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        provider_mock = pytest.importorskip("oidc_provider_mock")
    with provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def configured(provider: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ISSUER_ENV, provider)
    monkeypatch.setenv(CLIENT_ID_ENV, "openhaven-test")
    monkeypatch.setenv(CLIENT_SECRET_ENV, "a client secret")
    return provider


def _through_provider(client: TestClient, email: str, next_path: str = "/") -> httpx.Response:
    """Start at the haven, sign in at the provider as ``email``, come back to the haven."""
    start = client.get(f"/sign-in/oidc?next={next_path}", follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    consent = httpx.post(authorize, data={"sub": email}, follow_redirects=False)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["location"])
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_a_patient_signs_in_through_the_provider(world: World, configured: str) -> None:
    client = TestClient(world.app)
    assert "Sign in with your organisation" in client.get("/sign-in").text
    answer = _through_provider(client, world.people["patient"][0], "/account")
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    assert client.get("/account").status_code == 200
    actions = [e.action for e in read_entries(world.haven)]
    assert "account.identity_linked" in actions and "sign_in.provider_accepted" in actions


def test_staff_still_give_the_havens_second_factor(world: World, configured: str) -> None:
    client = TestClient(world.app)
    answer = _through_provider(client, world.people["auditor"][0], "/records")
    assert answer.headers["location"] == "/sign-in/second-factor?next=%2Frecords"
    assert client.get("/records", follow_redirects=False).status_code == 303


def test_someone_without_an_account_is_refused(world: World, configured: str) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    answer = _through_provider(client, "stranger@example.org")
    assert answer.status_code == 403
    assert "no account here" in answer.text


def test_a_forged_state_is_refused(world: World, configured: str) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    client.get("/sign-in/oidc", follow_redirects=False)
    answer = client.get("/sign-in/oidc/callback?code=abc&state=forged", follow_redirects=False)
    assert answer.status_code == 403


def test_without_a_provider_the_option_is_off(world: World) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    assert "Sign in with your organisation" not in client.get("/sign-in").text
    assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404

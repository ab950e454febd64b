"""CSRF on every state-changing form; the sign-in pages end to end; no enumeration."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from identity_world import PASSWORD, World
from sqlalchemy import func, select

from openhaven.core.database import unit_of_work
from openhaven.identity.models import ApiToken
from openhaven.identity.second_factor import current_code
from openhaven.web.credentials import CSRF_HEADER

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token_count(world: World) -> int:
    with unit_of_work(world.engine) as session:
        return int(session.scalar(select(func.count()).select_from(ApiToken)) or 0)


def test_a_form_without_the_right_csrf_token_changes_nothing(world: World) -> None:
    client = world.client("researcher")
    right = client.headers.pop(CSRF_HEADER)
    before = _token_count(world)
    for token in (None, "forged", right[:-1]):
        data = {"label": "x", "scope": "read"}
        if token is not None:
            data["csrf_token"] = token
        answer = client.post("/account/tokens", data=data)
        assert answer.status_code == 403, token
        assert "form was out of date" in answer.text
    assert _token_count(world) == before
    answer = client.post("/account/tokens", data={"label": "x", "csrf_token": right})
    assert answer.status_code == 200
    assert re.search(r'id="new-token">oh_', answer.text)
    assert _token_count(world) == before + 1


def test_sign_out_needs_the_csrf_token(world: World) -> None:
    client = world.client("auditor")
    right = client.headers.pop(CSRF_HEADER)
    assert client.post("/sign-out", follow_redirects=False).status_code == 403
    assert client.get("/account").status_code == 200  # still signed in
    answer = client.post("/sign-out", data={"csrf_token": right}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_the_sign_in_form_uses_a_double_submit_token(world: World) -> None:
    client = TestClient(world.app)
    email = world.people["patient"][0]
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 403  # no token at all
    form = client.get("/sign-in")
    token = CSRF.search(form.text)
    assert token is not None
    assert "httponly" in form.headers["set-cookie"].lower()
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/account"})
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/account").status_code == 200


def test_sign_in_with_a_second_factor_through_the_pages(world: World) -> None:
    client = TestClient(world.app)
    email, _, secret = world.people["output_checker"]
    assert secret is not None
    token = CSRF.search(client.get("/sign-in?next=/projects").text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/projects"})
    assert answer.headers["location"] == "/sign-in/second-factor?next=%2Fprojects"
    assert client.get("/projects", follow_redirects=False).status_code == 303  # not yet
    page = client.get(answer.headers["location"])
    token = CSRF.search(page.text)
    assert token is not None
    wrong = client.post("/sign-in/second-factor", data={
        "code": "000000", "csrf_token": token.group(1), "next": "/projects"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    answer = client.post("/sign-in/second-factor", follow_redirects=False, data={
        "code": current_code(secret), "csrf_token": token.group(1), "next": "/projects"})
    assert answer.status_code == 303 and answer.headers["location"] == "/projects"
    assert client.get("/projects").status_code == 200


def test_an_offsite_next_is_ignored(world: World) -> None:
    client = TestClient(world.app)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": world.people["patient"][0], "password": PASSWORD,
        "csrf_token": token.group(1), "next": "//evil.example/"})
    assert answer.headers["location"] == "/"


def test_unknown_and_known_accounts_get_the_same_page(world: World) -> None:
    client = TestClient(world.app)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answers = [
        client.post("/sign-in", data={"email": email, "password": "wrong password!",
                                      "csrf_token": token.group(1)})
        for email in (world.people["proxy"][0], "no-such-person@example.org")
    ]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].text == answers[1].text


def test_totp_enrolment_for_a_patient_shows_the_seed_without_inline_script(
    world: World,
) -> None:
    client = world.client("patient")
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    assert "otpauth://totp/" in page.text
    assert "<script" not in page.text and "style=" not in page.text
    seed = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert seed is not None
    answer = client.post("/account/second-factor", data={"code": current_code(seed.group(1))})
    assert answer.status_code == 200 and "second factor is on" in answer.text
    codes = client.post("/account/recovery-codes")
    assert codes.status_code == 200 and codes.text.count("<li><code>") == 10


def test_a_nul_byte_in_the_sign_in_name_is_just_a_wrong_name(world: World) -> None:
    client = TestClient(world.app)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", data={"email": "a\x00b@example.org",
                                            "password": "wrong password!",
                                            "csrf_token": token.group(1)})
    assert answer.status_code == 401

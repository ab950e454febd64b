"""Signing a test client in through the real pages (password, then a TOTP code)."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient

from openhaven.identity.second_factor import STEP_SECONDS, current_code

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: TOTP steps already used per seed in this test run (the haven refuses a code twice)
_used_steps: dict[str, int] = {}


def fresh_totp_code(secret: str) -> str:
    """A code the haven has not yet seen: the earliest step it accepts that is still unused."""
    now_step = int(time.time() // STEP_SECONDS)
    for step in (now_step - 1, now_step, now_step + 1):
        if step > _used_steps.get(secret, -1):
            _used_steps[secret] = step
            return current_code(secret, step * STEP_SECONDS)
    raise AssertionError("three sign-ins in one TOTP window for one account: use another role")


def sign_in(client: TestClient, account: dict[str, Any]) -> None:
    """Sign ``client`` in through the real pages: password, then the TOTP code if required."""
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": account["email"], "password": account["password"],
        "csrf_token": token.group(1), "next": "/",
    })
    assert answer.status_code == 303, answer.text
    if account["totp_secret"]:
        assert answer.headers["location"].startswith("/sign-in/second-factor")
        token = CSRF.search(client.get(answer.headers["location"]).text)
        assert token is not None
        answer = client.post("/sign-in/second-factor", follow_redirects=False, data={
            "code": fresh_totp_code(account["totp_secret"]), "csrf_token": token.group(1),
            "next": "/",
        })
        assert answer.status_code == 303, answer.text

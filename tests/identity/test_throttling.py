"""Sign-in throttling per client address: a sliding window, 429 with Retry-After, no address
kept anywhere but a keyed hash in memory."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from identity_world import PASSWORD, World

from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.identity.second_factor import current_code
from openhaven.identity.throttle import (
    DEFAULT_FAILURES,
    DEFAULT_WINDOW,
    AddressThrottle,
    throttle_settings,
)
from openhaven.ledger import read_entries

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ATTACKER = "203.0.113.7"
NEIGHBOUR = "198.51.100.9"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_window_slides_and_each_address_has_its_own() -> None:
    clock = Clock()
    throttle = AddressThrottle(3, timedelta(minutes=15), clock=clock)
    for minutes in (0, 5, 10):
        assert throttle.retry_after(ATTACKER) is None
        clock.now += timedelta(minutes=minutes and 5)
        reached = throttle.failed(ATTACKER)
        assert reached == (minutes == 10)
    # failures at 9:05, 9:10, 9:15: free once the 9:05 one is 15 minutes old
    assert throttle.retry_after(ATTACKER) == 5 * 60
    assert throttle.retry_after(NEIGHBOUR) is None
    clock.now += timedelta(minutes=4, seconds=59)
    assert throttle.retry_after(ATTACKER) == 1
    clock.now += timedelta(seconds=1)
    assert throttle.retry_after(ATTACKER) is None
    throttle.failed(ATTACKER)  # back at the limit: two old failures are still in the window
    assert throttle.retry_after(ATTACKER) == 5 * 60
    clock.now += timedelta(minutes=16)
    assert throttle.retry_after(ATTACKER) is None
    assert throttle.addresses_held() == 0  # aged-out addresses are forgotten
    assert throttle.stats.throttled_addresses == 2
    assert throttle.stats.refused_attempts == 3


def test_addresses_are_held_only_as_keyed_hashes_and_memory_is_bounded() -> None:
    throttle = AddressThrottle(2, timedelta(minutes=15), max_addresses=3)
    for number in range(10):
        throttle.failed(f"192.0.2.{number}")
    assert throttle.addresses_held() == 3
    held = b"".join(throttle._failures)
    assert b"192.0.2" not in held
    other = AddressThrottle(2, timedelta(minutes=15))
    assert other._digest("192.0.2.9") != throttle._digest("192.0.2.9")  # per-process key


def test_a_limit_of_zero_turns_throttling_off() -> None:
    throttle = AddressThrottle(0, timedelta(minutes=15))
    for _ in range(50):
        assert throttle.failed(ATTACKER) is False
    assert throttle.retry_after(ATTACKER) is None


def test_settings_come_from_the_sign_in_table(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "haven")
    assert throttle_settings(haven) == (DEFAULT_FAILURES, DEFAULT_WINDOW)
    (haven.home / "openhaven.toml").write_text(
        "[sign_in]\nthrottle_failures = 7\nthrottle_window_minutes = 5\n")
    assert throttle_settings(haven) == (7, timedelta(minutes=5))
    (haven.home / "openhaven.toml").write_text("[sign_in]\nthrottle_window_minutes = 0\n")
    with pytest.raises(ConfigurationError, match="more than 0"):
        throttle_settings(haven)
    (haven.home / "openhaven.toml").write_text('[sign_in]\nthrottle_failures = "many"\n')
    with pytest.raises(ConfigurationError, match="must be numbers"):
        throttle_settings(haven)


@pytest.fixture
def clock(world: World) -> Iterator[Clock]:
    """A throttle of 3 failures per 15 minutes on the world's app, on a clock we move."""
    made = Clock()
    world.app.state.sign_in_throttle = AddressThrottle(3, timedelta(minutes=15), clock=made)
    yield made
    del world.app.state.sign_in_throttle


def _client(world: World, address: str) -> tuple[TestClient, str]:
    client = TestClient(world.app, client=(address, 40000), raise_server_exceptions=False)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    return client, token.group(1)


def _sign_in(client: TestClient, token: str, email: str, password: str) -> int:
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": email, "password": password, "csrf_token": token})
    return answer.status_code


def test_the_limit_refuses_that_address_only_until_the_window_moves_on(
    world: World, clock: Clock, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entries_before = len(list(read_entries(world.haven)))
    attacker, token = _client(world, ATTACKER)
    email = world.people["patient"][0]
    for number in range(3):  # different names: the per-name lock is not what stops this
        assert _sign_in(attacker, token, f"guess{number}@example.org", "wrong password!") == 401
    refused = attacker.post("/sign-in", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert "Too many attempts from your network" in refused.text
    unknown = attacker.post("/sign-in", data={"email": "nobody@example.org",
                                              "password": PASSWORD, "csrf_token": token})
    assert unknown.status_code == 429 and unknown.text == refused.text  # no enumeration

    neighbour, other_token = _client(world, NEIGHBOUR)
    assert _sign_in(neighbour, other_token, email, PASSWORD) == 303

    clock.now += timedelta(minutes=15)
    assert _sign_in(attacker, token, email, PASSWORD) == 303

    new = list(read_entries(world.haven))[entries_before:]
    throttled = [entry for entry in new if entry.action == "sign_in.throttled"]
    assert len(throttled) == 1 and throttled[0].subject is None
    ledger_text = "".join(path.read_text(errors="replace")
                          for path in (world.haven.home / "ledger").glob("*.jsonl"))
    assert "sign_in.throttled" in ledger_text
    logged = caplog.text
    for address in (ATTACKER, NEIGHBOUR):
        assert address not in ledger_text
        assert address not in logged


def test_second_factor_and_recovery_code_guesses_count_too(
    world: World, clock: Clock,
) -> None:
    client, token = _client(world, ATTACKER)
    email, _, secret = world.people["committee_member"]
    assert secret is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303
    step = client.get(answer.headers["location"])
    found = CSRF.search(step.text)
    assert found is not None
    for code in ("000000", "ABCD-EFGH-JKLM", "111111"):
        wrong = client.post("/sign-in/second-factor", data={
            "code": code, "csrf_token": found.group(1)})
        assert wrong.status_code == 401
    refused = client.post("/sign-in/second-factor", data={
        "code": current_code(secret), "csrf_token": found.group(1)})
    assert refused.status_code == 429 and "retry-after" in refused.headers
    clock.now += timedelta(minutes=15)
    answer = client.post("/sign-in/second-factor", follow_redirects=False, data={
        "code": current_code(secret), "csrf_token": found.group(1)})
    assert answer.status_code == 303

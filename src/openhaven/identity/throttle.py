"""Throttling sign-in per client address: a sliding window of failures, kept in memory only.

The per-name lock in ``sign_in`` stops guessing one account's password; this stops one
address guessing across many names (or many second-factor and recovery codes). After
``limit`` failed attempts from one address within ``window``, every further attempt from it
— right or wrong, for any name — is refused with 429 and ``Retry-After`` until the oldest
failure in the window has aged out. The refusal does not depend on the name typed, so it
says nothing about whether an account exists.

A client address is personal data. It is never stored as given: each address is keyed by
an HMAC under a random key made when the process starts (and never written anywhere), held
only in this process's memory, and forgotten when its failures age out. Nothing here writes
an address to a log, the ledger or the database; the ledger records only that an address
became throttled (``sign_in.throttled``, with the limit and window), and the throttle keeps
counts (``stats``). Several processes behind one load balancer each keep their own window,
so the effective limit is the limit times the number of processes.

Settings, in ``<home>/openhaven.toml``::

    [sign_in]
    throttle_failures = 20        # failures per address within the window (0 turns it off)
    throttle_window_minutes = 15
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import tomllib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openhaven.core.clock import utc_now
from openhaven.core.config import SETTINGS_FILE
from openhaven.core.errors import ConfigurationError, OpenHavenError
from openhaven.core.haven import Haven
from openhaven.ledger import record_event

DEFAULT_FAILURES = 20
DEFAULT_WINDOW = timedelta(minutes=15)
#: most addresses remembered at once; past it the address whose last failure is oldest goes
MAX_ADDRESSES = 100_000
SETTINGS_TABLE = "sign_in"


class TooManyAttempts(OpenHavenError):
    """Too many failed sign-in attempts from one client address (HTTP 429)."""

    code = "too_many_attempts"
    http_status = 429

    retry_after: int = 0


def too_many_attempts(retry_after: int) -> TooManyAttempts:
    minutes = max(1, math.ceil(retry_after / 60))
    error = TooManyAttempts(
        f"Too many attempts from your network. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}."
    )
    error.retry_after = retry_after
    return error


@dataclass
class ThrottleStats:
    """Counts only: how often an address became throttled, and attempts refused."""

    throttled_addresses: int = 0
    refused_attempts: int = 0


class AddressThrottle:
    """A sliding window of failures per client address, in memory, keyed by a keyed hash."""

    def __init__(
        self,
        limit: int = DEFAULT_FAILURES,
        window: timedelta = DEFAULT_WINDOW,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        if limit < 0:
            raise ConfigurationError("throttle_failures must be 0 (off) or more")
        if window <= timedelta(0):
            raise ConfigurationError("throttle_window_minutes must be more than 0")
        self.limit = limit
        self.window = window
        self.stats = ThrottleStats()
        self._clock = clock
        self._max_addresses = max_addresses
        self._key = secrets.token_bytes(32)
        self._failures: dict[bytes, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _digest(self, address: str) -> bytes:
        return hmac.new(self._key, address.encode("utf-8", "replace"), hashlib.sha256).digest()

    def _recent(self, key: bytes, now: datetime) -> deque[datetime] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may try now."""
        if self.limit == 0:
            return None
        now = self._clock()
        with self._lock:
            failures = self._recent(self._digest(address), now)
            if failures is None or len(failures) < self.limit:
                return None
            self.stats.refused_attempts += 1
            # the window slides: the address may try once the oldest counted failure
            # that keeps it at the limit has aged out
            freed_at = failures[len(failures) - self.limit] + self.window
        return max(1, math.ceil((freed_at - now).total_seconds()))

    def check(self, address: str) -> None:
        """Raise ``TooManyAttempts`` when ``address`` is throttled now."""
        wait = self.retry_after(address)
        if wait is not None:
            raise too_many_attempts(wait)

    def failed(self, address: str) -> bool:
        """Count one failure; True when this failure brought the address to the limit."""
        if self.limit == 0:
            return False
        now = self._clock()
        with self._lock:
            key = self._digest(address)
            failures = self._recent(key, now)
            if failures is None:
                if len(self._failures) >= self._max_addresses:
                    self._forget_oldest()
                failures = self._failures.setdefault(key, deque())
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()
            reached = len(failures) == self.limit
            if reached:
                self.stats.throttled_addresses += 1
        return reached

    def _forget_oldest(self) -> None:
        oldest = min(self._failures, key=lambda key: self._failures[key][-1])
        del self._failures[oldest]

    def addresses_held(self) -> int:
        with self._lock:
            return len(self._failures)


def throttle_settings(haven: Haven) -> tuple[int, timedelta]:
    """The limit and window from ``[sign_in]`` in ``openhaven.toml``, else the defaults."""
    path = haven.home / SETTINGS_FILE
    table: dict[str, Any] = {}
    if path.exists():
        try:
            with path.open("rb") as handle:
                table = dict(tomllib.load(handle).get(SETTINGS_TABLE, {}))
        except tomllib.TOMLDecodeError:
            raise ConfigurationError(f"{SETTINGS_FILE} is not valid TOML") from None
    try:
        limit = int(table.get("throttle_failures", DEFAULT_FAILURES))
        minutes = float(table.get("throttle_window_minutes", DEFAULT_WINDOW.total_seconds() / 60))
    except (TypeError, ValueError):
        raise ConfigurationError(
            "[sign_in] throttle_failures and throttle_window_minutes must be numbers"
        ) from None
    if minutes <= 0:
        raise ConfigurationError("[sign_in] throttle_window_minutes must be more than 0")
    return limit, timedelta(minutes=minutes)


def throttle_for(haven: Haven) -> AddressThrottle:
    limit, window = throttle_settings(haven)
    return AddressThrottle(limit, window)


def record_failure(haven: Haven, throttle: AddressThrottle, address: str) -> None:
    """Count a failed attempt from ``address``; the ledger hears (without the address) when
    it brings the address to the limit."""
    if throttle.failed(address):
        record_event(haven, "sign_in.throttled", actor="system", details={
            "failures": throttle.limit,
            "window_minutes": int(throttle.window.total_seconds() // 60),
        })

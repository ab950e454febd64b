"""The second factor: time-based one-time passwords (RFC 6238) and single-use recovery codes.

A TOTP code is accepted for the current 30-second step or one step either side (clock
drift), and never for a step at or before the last one accepted, so an observed code cannot
be replayed. Recovery codes are random, shown once, and stored as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp

ISSUER = "OpenHaven"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_label: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (label: the person reference)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_label, issuer_name=ISSUER)


def current_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator would show now (for the demo and tests)."""
    return pyotp.TOTP(secret).at(int(at if at is not None else time.time()))


def accepted_step(
    secret: str, code: str, last_step: int | None, at: float | None = None
) -> int | None:
    """The time step ``code`` belongs to if it is valid and newer than ``last_step``."""
    cleaned = "".join(code.split())
    if not (cleaned.isdigit() and len(cleaned) == 6):
        return None
    now = at if at is not None else time.time()
    step_now = int(now // STEP_SECONDS)
    totp = pyotp.TOTP(secret)
    for step in (step_now - 1, step_now, step_now + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), cleaned):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes like ``k7mq-x2pd-9hfa`` (about 70 bits each)."""
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (session or API token), hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def recovery_code_digest(code: str) -> str:
    """The digest of a recovery code as typed: spaces and letter case do not matter."""
    return digest("".join(code.split()).lower())

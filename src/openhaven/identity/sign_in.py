"""Signing in: password, then the second factor; throttled, locked out, never enumerable.

Attempts are counted per sign-in name (a digest of the email as typed, lower-cased), whether
or not an account has that name, and an unknown name costs the same password check as a
known one. So the answers — and their timing — are the same for an account that exists and
one that does not: a wrong password, an unknown email, a disabled account and a locked name
all get a refusal with one of a few fixed messages.

Refusals are returned, not raised: the failed attempt must be committed with the request
(raising would roll it back, and the lock would never come).

After ``MAX_FAILURES`` failures within ``LOCKOUT_WINDOW`` (with no success in between) the
name is locked for ``LOCKOUT_DURATION`` from the last failure; even the right password is
refused until then. Failures of the second factor count towards the same lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.identity import repository
from openhaven.identity.models import Account, SignInAttempt
from openhaven.identity.passwords import hash_password, needs_rehash, verify_password
from openhaven.identity.second_factor import accepted_step, recovery_code_digest
from openhaven.ledger import record_event

MAX_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
WRONG = "The email or password is not right."
WRONG_CODE = "That code is not right."
LOCKED = "Too many attempts. Try again in 15 minutes."


@dataclass(frozen=True)
class PasswordCheck:
    """The first step's outcome: the account, or a refusal message (never both)."""

    account: Account | None
    needs_second_factor: bool = False
    refusal: str | None = None


def name_digest(email: str) -> str:
    """How attempts are keyed: a digest of the sign-in name, so no email is stored."""
    salted = b"openhaven sign-in name\x00" + email.strip().lower().encode()
    return hashlib.sha256(salted).hexdigest()


def locked_until(session: Session, email: str, now: datetime | None = None) -> datetime | None:
    now = now or utc_now()
    failures = repository.failures_since(session, name_digest(email), now - LOCKOUT_WINDOW)
    if len(failures) < MAX_FAILURES:
        return None
    until = failures[-1] + LOCKOUT_DURATION
    return until if until > now else None


def check_password(
    session: Session, haven: Haven, email: str, password: str, *, now: datetime | None = None
) -> PasswordCheck:
    """The first step: the password."""
    now = now or utc_now()
    if locked_until(session, email, now) is not None:
        record_event(haven, "sign_in.refused_locked", actor="anonymous",
                     subject=_subject_for(session, email))
        return PasswordCheck(None, refusal=LOCKED)
    account = repository.account_by_email(session, email)
    usable = account is not None and account.disabled_at is None
    matched = verify_password(account.password_hash if usable and account else None, password)
    if not (usable and matched and account is not None):
        _failed(session, haven, email, account, "password", now)
        return PasswordCheck(None, refusal=WRONG)
    if account.password_hash is not None and needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if not account.totp_enabled:
        _succeeded(session, haven, email, account, now, "password")
        return PasswordCheck(account, needs_second_factor=False)
    return PasswordCheck(account, needs_second_factor=True)


def check_second_factor(
    session: Session, haven: Haven, account: Account, code: str, *, now: datetime | None = None
) -> str | None:
    """The second step: a TOTP code or an unused recovery code; a refusal message or None."""
    now = now or utc_now()
    email = account.person.email
    if locked_until(session, email, now) is not None:
        record_event(haven, "sign_in.refused_locked", actor="anonymous",
                     subject=account.reference)
        return LOCKED
    if account.disabled_at is None and account.totp_secret is not None:
        step = accepted_step(account.totp_secret, code, account.totp_last_step, now.timestamp())
        if step is not None:
            account.totp_last_step = step
            _succeeded(session, haven, email, account, now, "totp")
            return None
        wanted = recovery_code_digest(code)
        for recovery in repository.unused_recovery_codes(session, account.id):
            if recovery.code_hash == wanted:
                recovery.used_at = now
                _succeeded(session, haven, email, account, now, "recovery_code")
                return None
    _failed(session, haven, email, account, "second_factor", now)
    return WRONG_CODE


def _subject_for(session: Session, email: str) -> str | None:
    account = repository.account_by_email(session, email)
    return None if account is None else account.reference


def _failed(
    session: Session, haven: Haven, email: str, account: Account | None, step: str,
    now: datetime,
) -> None:
    repository.add(session, SignInAttempt(name_digest=name_digest(email), succeeded=False, at=now))
    subject = None if account is None else account.reference
    record_event(haven, "sign_in.failed", actor="anonymous", subject=subject,
                 details={"step": step, "known_account": account is not None})
    if locked_until(session, email, now) is not None:
        record_event(haven, "sign_in.locked_out", actor="system", subject=subject,
                     details={"minutes": int(LOCKOUT_DURATION.total_seconds() // 60)})


def _succeeded(
    session: Session, haven: Haven, email: str, account: Account, now: datetime, method: str
) -> None:
    repository.add(session, SignInAttempt(name_digest=name_digest(email), succeeded=True, at=now))
    record_event(haven, "sign_in.succeeded", actor=account.reference, subject=account.reference,
                 details={"method": method})


def record_success(session: Session, haven: Haven, account: Account, method: str) -> None:
    """Record a sign-in completed another way (an identity provider, with no second factor)."""
    _succeeded(session, haven, account.person.email, account, utc_now(), method)

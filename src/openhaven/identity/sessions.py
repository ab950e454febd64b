"""Page sessions: opaque random tokens in a cookie, stored hashed, with time-outs.

A session starts at the ``password`` stage when a second factor is still due, and is
promoted to ``full`` (with a new token, so a token seen before sign-in is worthless after)
once it is given. A session ends when signed out, when idle for ``IDLE_TIMEOUT``, after
``ABSOLUTE_TIMEOUT`` whatever happens, or when its account is disabled; "sign out
everywhere" ends every session of the account. Each session carries its own CSRF token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.identity import repository
from openhaven.identity.models import Account, SignInSession
from openhaven.identity.second_factor import digest
from openhaven.ledger import record_event

PASSWORD_STAGE = "password"  # noqa: S105 - a stage name, not a secret
FULL = "full"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
SECOND_FACTOR_TIMEOUT = timedelta(minutes=5)
#: how stale ``last_seen_at`` may get before a request writes it again
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class StartedSession:
    record: SignInSession
    #: the cookie value; only its digest is stored
    token: str


def start_session(session: Session, account: Account, *, stage: str) -> StartedSession:
    token = secrets.token_urlsafe(32)
    now = utc_now()
    record = SignInSession(
        token_hash=digest(token), account_id=account.id, csrf_token=secrets.token_urlsafe(32),
        stage=stage, created_at=now, last_seen_at=now,
    )
    repository.add(session, record)
    return StartedSession(record, token)


def promote(session: Session, record: SignInSession) -> str:
    """Mark the second factor given; returns the session's new token (the old one ends)."""
    token = secrets.token_urlsafe(32)
    record.token_hash = digest(token)
    record.csrf_token = secrets.token_urlsafe(32)
    record.stage = FULL
    record.last_seen_at = utc_now()
    repository.save(session)
    return token


def find_session(
    session: Session, token: str, *, now: datetime | None = None
) -> SignInSession | None:
    """The live session for a cookie value, touched; None if unknown, ended or timed out."""
    now = now or utc_now()
    record = repository.session_by_token_hash(session, digest(token))
    if record is None or record.ended_at is not None:
        return None
    idle = SECOND_FACTOR_TIMEOUT if record.stage == PASSWORD_STAGE else IDLE_TIMEOUT
    expired = (
        now - record.last_seen_at > idle
        or now - record.created_at > ABSOLUTE_TIMEOUT
        or record.account.disabled_at is not None
    )
    if expired:
        record.ended_at = now
        repository.save(session)
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = now
        repository.save(session)
    return record


def end_session(session: Session, haven: Haven, record: SignInSession) -> None:
    record.ended_at = utc_now()
    repository.save(session)
    reference = record.account.reference
    record_event(haven, "sign_out", actor=reference, subject=reference)


def end_all_sessions(session: Session, haven: Haven, account: Account) -> int:
    """Sign out everywhere: every open session of the account ends; returns how many."""
    now = utc_now()
    ended = repository.open_sessions_of(session, account.id)
    for record in ended:
        record.ended_at = now
    repository.save(session)
    record_event(haven, "sign_out.everywhere", actor=account.reference,
                 subject=account.reference, details={"sessions": len(ended)})
    return len(ended)

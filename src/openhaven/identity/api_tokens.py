"""API tokens for the CLI and scripts: scoped, expiring, revocable, shown once, stored hashed.

A token is ``oh_`` and 43 random URL-safe characters (256 bits); only its SHA-256 digest is
kept. Its scope is a level — read, write or admin — and optionally one project; the policy
never lets a token do more than its person may, nor more than its scope says.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound
from openhaven.core.haven import Haven
from openhaven.identity import repository
from openhaven.identity.actions import ACCESS_LEVELS
from openhaven.identity.models import Account, ApiToken
from openhaven.identity.second_factor import digest
from openhaven.ledger import record_event

PREFIX = "oh_"
DEFAULT_DAYS = 30
MAX_DAYS = 365


@dataclass(frozen=True)
class IssuedToken:
    record: ApiToken
    #: the token itself: shown once, never stored
    token: str


def issue_token(
    session: Session, haven: Haven, account: Account, *, label: str, scope: str,
    project: str | None = None, days: int = DEFAULT_DAYS, actor: str,
) -> IssuedToken:
    label = label.strip()
    if not label or len(label) > 100 or not label.isprintable():
        raise InvalidInput("A token needs a label of 1 to 100 printable characters",
                           Location(field="label"))
    if scope not in ACCESS_LEVELS:
        raise InvalidInput(f"The scope must be one of: {', '.join(ACCESS_LEVELS)}",
                           Location(field="scope"))
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"A token lasts 1 to {MAX_DAYS} days", Location(field="days"))
    if account.disabled_at is not None:
        raise Conflict("This account is disabled")
    project_id = None
    if project:
        project_id = repository.project_id_for(session, project)
        if project_id is None:
            raise NotFound(f"No project {project}", Location(field="project"))
    token = PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    record = ApiToken(
        token_hash=digest(token), account_id=account.id, label=label, scope=scope,
        project_id=project_id, created_at=now, expires_at=now + timedelta(days=days),
    )
    repository.add(session, record)
    record_event(haven, "api_token.issued", actor=actor, subject=f"api_token:{record.id}",
                 details={"owner": account.reference, "scope": scope, "project": project,
                          "expires_at": record.expires_at.isoformat()})
    return IssuedToken(record, token)


def revoke_token(
    session: Session, haven: Haven, token_id: int, *, actor: str, owner: Account | None = None
) -> ApiToken:
    """Revoke a token; with ``owner`` given, only that account's own tokens are found."""
    record = repository.token_by_id(session, token_id) if 1 <= token_id < 2**31 else None
    if record is None or (owner is not None and record.account_id != owner.id):
        raise NotFound(f"No token {token_id}", Location(field="token_id"))
    if record.revoked_at is None:
        record.revoked_at = utc_now()
        repository.save(session)
        record_event(haven, "api_token.revoked", actor=actor, subject=f"api_token:{record.id}",
                     details={"owner": record.account.reference})
    return record


def list_tokens(session: Session, account: Account | None = None) -> list[ApiToken]:
    return repository.tokens_of(session, None if account is None else account.id)


def find_token(session: Session, token: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token for a bearer value; None if unknown, revoked, expired or disabled."""
    if not token.startswith(PREFIX):
        return None
    now = now or utc_now()
    record = repository.token_by_hash(session, digest(token))
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    if record.account.disabled_at is not None:
        return None
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        record.last_used_at = now
        repository.save(session)
    return record


def token_summary(record: ApiToken) -> dict[str, object]:
    """What may be shown about a token (never the token)."""
    return {
        "id": record.id, "label": record.label, "scope": record.scope,
        "project": None if record.project is None else record.project.reference,
        "created_at": record.created_at.isoformat(),
        "expires_at": record.expires_at.isoformat(),
        "revoked": record.revoked_at is not None,
        "owner": record.account.reference,
    }

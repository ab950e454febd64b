"""Who is asking, as the policy sees them: built from an account and, for APIs, its token."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openhaven.identity import repository
from openhaven.identity.models import Account, ApiToken
from openhaven.identity.policy import ANONYMOUS, Actor, TokenScope


def actor_for(session: Session, account: Account | None, token: ApiToken | None = None) -> Actor:
    if account is None or account.disabled_at is not None:
        return ANONYMOUS
    scope = None
    if token is not None:
        scope = TokenScope(token.scope, None if token.project is None else token.project.reference)
    return Actor(
        person_id=account.person_id,
        roles=frozenset(account.person.role_names),
        projects=frozenset(repository.project_references_of(session, account.person_id)),
        token=scope,
    )

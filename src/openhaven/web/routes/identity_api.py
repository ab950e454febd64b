"""The API for one's own identity: who am I, and my API tokens (issue, list, revoke).

Issuing a token through the API needs an admin-level token (or a browser session with the
CSRF token), so a read or write token cannot mint itself a stronger one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from openhaven.core.errors import PermissionDenied
from openhaven.core.haven import Haven
from openhaven.identity import api_tokens
from openhaven.identity.models import Account
from openhaven.web.actions import ALL_ROLES, register_action, requires
from openhaven.web.credentials import credentials
from openhaven.web.dependencies import DB, haven
from openhaven.web.error_schema import ErrorAnswer
from openhaven.web.routes.identity_pages import MANAGE_OWN

router = APIRouter(prefix="/api")

ISSUE_TOKEN = register_action(
    "account.token_issue", "Issue an API token for oneself (needs an admin-level token).",
    roles=ALL_ROLES, access="admin",
)


class TokenRequest(BaseModel):
    label: str = Field(min_length=1, max_length=100)
    scope: str = Field(default="read", pattern="^(read|write|admin)$")
    project: str | None = Field(default=None, max_length=32)
    days: int = Field(default=api_tokens.DEFAULT_DAYS, ge=1, le=api_tokens.MAX_DAYS)


class TokenSummary(BaseModel):
    id: int
    label: str
    scope: str
    project: str | None
    created_at: str
    expires_at: str
    revoked: bool
    owner: str


class IssuedToken(TokenSummary):
    token: str


class Me(BaseModel):
    person: str
    roles: list[str]
    projects: list[str]
    token_scope: str | None
    token_project: str | None


def _account(request: Request, session: Session) -> Account:
    found = credentials(request, session)
    if found.account is None:
        raise PermissionDenied("No account is signed in.")
    return found.account


@router.get("/me", dependencies=[requires(MANAGE_OWN)], response_model=Me)
def me(request: Request, session: Session = DB) -> dict[str, Any]:
    actor = credentials(request, session).actor
    return {
        "person": actor.reference, "roles": sorted(actor.roles),
        "projects": sorted(actor.projects),
        "token_scope": None if actor.token is None else actor.token.level,
        "token_project": None if actor.token is None else actor.token.project,
    }


@router.get("/tokens", dependencies=[requires(MANAGE_OWN)], response_model=list[TokenSummary])
def list_tokens(request: Request, session: Session = DB) -> list[dict[str, Any]]:
    account = _account(request, session)
    return [api_tokens.token_summary(t) for t in api_tokens.list_tokens(session, account)]


@router.post("/tokens", dependencies=[requires(ISSUE_TOKEN)], response_model=IssuedToken,
             status_code=201, responses={
                 404: {"model": ErrorAnswer, "description": "No such project"},
                 409: {"model": ErrorAnswer, "description": "The account is disabled"}})
def issue_token(
    request: Request, body: TokenRequest, session: Session = DB,
    h: Haven = Depends(haven),
) -> dict[str, Any]:
    account = _account(request, session)
    issued = api_tokens.issue_token(session, h, account, label=body.label, scope=body.scope,
                                    project=body.project or None, days=body.days,
                                    actor=account.reference)
    return {**api_tokens.token_summary(issued.record), "token": issued.token}


@router.delete("/tokens/{token_id}", dependencies=[requires(MANAGE_OWN)],
               response_model=TokenSummary)
def revoke_token(
    request: Request, token_id: int, session: Session = DB, h: Haven = Depends(haven)
) -> dict[str, Any]:
    account = _account(request, session)
    record = api_tokens.revoke_token(session, h, token_id, actor=account.reference,
                                     owner=account)
    return api_tokens.token_summary(record)

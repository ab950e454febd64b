"""Pages for signing in and out, the second factor, recovery codes and API tokens.

Signing in is two steps when the account has a second factor: the password starts a
session at the ``password`` stage, and a TOTP or recovery code promotes it (with a new
cookie value). Refusals are rendered, not raised, so that the failed attempt is committed
and counts towards the lock. Every failed password or second-factor attempt also counts
against the client's address (``identity.throttle``); past the limit the address gets 429
with ``Retry-After`` whatever name it types. Secrets made here (TOTP seeds, recovery codes,
API tokens) are shown once, on the answer to the request that made them, and never again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import OpenHavenError, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.identity import accounts, api_tokens, sessions, sign_in
from openhaven.identity.models import Account
from openhaven.identity.oidc import oidc_settings
from openhaven.identity.second_factor import provisioning_uri
from openhaven.identity.throttle import (
    AddressThrottle,
    record_failure,
    throttle_for,
    too_many_attempts,
)
from openhaven.web.actions import ALL_ROLES, EVERYONE, register_action, requires
from openhaven.web.credentials import (
    SESSION_COOKIE,
    credentials,
    ensure_csrf_cookie,
    prepare_anonymous_csrf,
)
from openhaven.web.dependencies import DB, haven, page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

SIGN_IN = register_action(
    "account.sign_in", "Sign in (password, then the second factor).", roles=[EVERYONE]
)
SIGN_OUT = register_action(
    "account.sign_out", "Sign out here, or everywhere.", roles=ALL_ROLES
)
MANAGE_OWN = register_action(
    "account.manage_own",
    "See one's own account; turn on the second factor; make recovery codes; issue and "
    "revoke one's own API tokens.",
    roles=ALL_ROLES,
)


def local_path(next_path: str | None) -> str:
    """Only a path on this site may be a redirect target (no open redirects)."""
    if next_path and next_path.startswith("/") and not next_path.startswith(("//", "/\\")):
        return next_path
    return "/"


def _committed(session: Session, response: Response) -> Response:
    """Commit before answering: the browser follows a redirect at once, and the next request
    must already see the new session (the request's unit of work would commit only after)."""
    session.commit()
    return response


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def client_address(request: Request) -> str:
    """The client's address from the ASGI scope (behind a proxy, uvicorn's
    ``--proxy-headers`` puts the forwarded address there); held in memory only."""
    return request.client.host if request.client is not None else "unknown"


def address_throttle(request: Request) -> AddressThrottle:
    """The app's one sign-in throttle, made from the haven's settings on first use."""
    state = request.app.state
    found: AddressThrottle | None = getattr(state, "sign_in_throttle", None)
    if found is None:
        found = throttle_for(state.haven)
        state.sign_in_throttle = found
    return found


def _throttled(request: Request) -> Response | None:
    """The 429 answer when the client's address is throttled now, else None."""
    wait = address_throttle(request).retry_after(client_address(request))
    if wait is None:
        return None
    error = too_many_attempts(wait)
    response = page(request, "error.html", status_code=error.http_status, reference=None,
                    message=error.message)
    response.headers["Retry-After"] = str(wait)
    return response


def _count_failure(request: Request, h: Haven) -> None:
    record_failure(h, address_throttle(request), client_address(request))


def _sign_in_page(request: Request, next_path: str, message: str | None = None,
                  status_code: int = 200) -> Response:
    prepare_anonymous_csrf(request)
    response = page(request, "sign_in.html", status_code=status_code, next_path=next_path,
                    message=message,
                    oidc_enabled=oidc_settings(request.app.state.haven) is not None)
    ensure_csrf_cookie(request, response)
    return response


@router.get("/sign-in", dependencies=[requires(SIGN_IN)])
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_page(request, local_path(next))


@router.post("/sign-in", dependencies=[requires(SIGN_IN)])
def sign_in_submit(
    request: Request,
    email: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1024),
    next: str = Form("/"),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    target = local_path(next)
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    checked = sign_in.check_password(session, h, email, password)
    if checked.account is None:
        _count_failure(request, h)
        return _committed(session, _sign_in_page(request, target, checked.refusal, 401))
    previous = credentials(request, session).sign_in_session
    if previous is not None:
        previous.ended_at = utc_now()
    stage = sessions.PASSWORD_STAGE if checked.needs_second_factor else sessions.FULL
    started = sessions.start_session(session, checked.account, stage=stage)
    destination = (
        "/sign-in/second-factor?" + urlencode({"next": target})
        if checked.needs_second_factor else target
    )
    response = RedirectResponse(destination, status_code=303)
    _set_session_cookie(request, response, started.token)
    return _committed(session, response)


@router.get("/sign-in/second-factor", dependencies=[requires(SIGN_IN)])
def second_factor_form(
    request: Request, next: str | None = None, session: Session = DB
) -> Response:
    found = credentials(request, session)
    if found.via != "pending":
        return RedirectResponse("/sign-in", status_code=303)
    return page(request, "second_factor.html", next_path=local_path(next), message=None)


@router.post("/sign-in/second-factor", dependencies=[requires(SIGN_IN)])
def second_factor_submit(
    request: Request,
    code: str = Form(..., max_length=64),
    next: str = Form("/"),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    found = credentials(request, session)
    if found.via != "pending" or found.sign_in_session is None or found.account is None:
        return RedirectResponse("/sign-in", status_code=303)
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    refusal = sign_in.check_second_factor(session, h, found.account, code)
    if refusal is not None:
        _count_failure(request, h)
        return _committed(session, page(request, "second_factor.html", status_code=401,
                                        next_path=local_path(next), message=refusal))
    token = sessions.promote(session, found.sign_in_session)
    response = RedirectResponse(local_path(next), status_code=303)
    _set_session_cookie(request, response, token)
    return _committed(session, response)


@router.post("/sign-out", dependencies=[requires(SIGN_OUT)])
def sign_out(request: Request, session: Session = DB,
             h: Haven = Depends(haven)) -> Response:
    found = credentials(request, session)
    if found.sign_in_session is not None:
        sessions.end_session(session, h, found.sign_in_session)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return _committed(session, response)


@router.post("/sign-out/everywhere", dependencies=[requires(SIGN_OUT)])
def sign_out_everywhere(request: Request, session: Session = DB,
                        h: Haven = Depends(haven)) -> Response:
    sessions.end_all_sessions(session, h, _own_account(request, session))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return _committed(session, response)


def _own_account(request: Request, session: Session) -> Account:
    found = credentials(request, session)
    if found.account is None or found.via != "session":
        raise PermissionDenied("This needs a signed-in browser session.")
    return found.account


def _account_page(request: Request, session: Session, **shown: Any) -> Response:
    account = _own_account(request, session)
    return page(
        request, "account.html", account=account,
        roles=sorted(account.person.role_names),
        tokens=[api_tokens.token_summary(t) for t in api_tokens.list_tokens(session, account)],
        second_factor_required=accounts.totp_required(account.person), **shown,
    )


@router.get("/account", dependencies=[requires(MANAGE_OWN)])
def account_page(request: Request, session: Session = DB) -> Response:
    return _account_page(request, session)


@router.get("/account/second-factor", dependencies=[requires(MANAGE_OWN)])
def second_factor_enrolment(request: Request, session: Session = DB) -> Response:
    account = _own_account(request, session)
    if account.totp_enabled:
        return _account_page(request, session, notice="Your second factor is already on.")
    secret = accounts.begin_totp_enrolment(session, account)
    return page(request, "second_factor_enrol.html", secret=secret, message=None,
                uri=provisioning_uri(secret, account.reference))


@router.post("/account/second-factor", dependencies=[requires(MANAGE_OWN)])
def second_factor_confirm(
    request: Request, code: str = Form(..., max_length=64), session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    account = _own_account(request, session)
    try:
        accounts.confirm_totp_enrolment(session, h, account, code, actor=account.reference)
    except OpenHavenError as error:
        if account.totp_secret is None:
            raise
        return page(request, "second_factor_enrol.html", status_code=error.http_status,
                    secret=account.totp_secret, message=error.message,
                    uri=provisioning_uri(account.totp_secret, account.reference))
    return _account_page(request, session, notice="Your second factor is on.")


@router.post("/account/recovery-codes", dependencies=[requires(MANAGE_OWN)])
def recovery_codes(request: Request, session: Session = DB,
                   h: Haven = Depends(haven)) -> Response:
    account = _own_account(request, session)
    codes = accounts.issue_recovery_codes(session, h, account, actor=account.reference)
    return _account_page(request, session, recovery_codes=codes)


@router.post("/account/tokens", dependencies=[requires(MANAGE_OWN)])
def issue_token(
    request: Request,
    label: str = Form(..., max_length=100),
    scope: str = Form("read", max_length=16),
    project: str = Form("", max_length=32),
    days: int = Form(api_tokens.DEFAULT_DAYS),
    session: Session = DB,
    h: Haven = Depends(haven),
) -> Response:
    account = _own_account(request, session)
    issued = api_tokens.issue_token(session, h, account, label=label, scope=scope,
                                    project=project.strip() or None, days=days,
                                    actor=account.reference)
    return _account_page(request, session, new_token=issued.token)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[requires(MANAGE_OWN)])
def revoke_token(request: Request, token_id: int, session: Session = DB,
                 h: Haven = Depends(haven)) -> Response:
    account = _own_account(request, session)
    api_tokens.revoke_token(session, h, token_id, actor=account.reference, owner=account)
    return _committed(session, RedirectResponse("/account", status_code=303))

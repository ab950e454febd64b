"""Sign-in through the organisation's identity provider (OpenID Connect), when configured.

``/sign-in/oidc`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
verifier kept in a short-lived cookie signed with a key derived from the haven's master key;
the callback checks them, verifies the ID token and starts a session — at the second-factor
stage when the account has one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from openhaven.core.errors import NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.identity import oidc, sessions
from openhaven.identity.sign_in import record_success
from openhaven.web.actions import requires
from openhaven.web.credentials import SESSION_COOKIE
from openhaven.web.dependencies import DB, haven
from openhaven.web.routes.identity_pages import SIGN_IN, local_path

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PENDING_COOKIE = "openhaven_oidc"
PENDING_SECONDS = 600


def _key(h: Haven) -> bytes:
    return hmac.new(h.master_key(), b"openhaven oidc pending cookie", hashlib.sha256).digest()


def _seal(h: Haven, pending: oidc.PendingSignIn) -> str:
    body = base64.urlsafe_b64encode(json.dumps(asdict(pending)).encode()).decode()
    return body + "." + hmac.new(_key(h), body.encode(), hashlib.sha256).hexdigest()


def _open(h: Haven, sealed: str | None) -> oidc.PendingSignIn | None:
    if not sealed or "." not in sealed:
        return None
    body, mac = sealed.rsplit(".", 1)
    expected = hmac.new(_key(h), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    return oidc.PendingSignIn(**json.loads(base64.urlsafe_b64decode(body)))


def _settings(h: Haven) -> oidc.OidcSettings:
    settings = oidc.oidc_settings(h)
    if settings is None:
        raise NotFound("Sign-in through an identity provider is not set up here")
    return settings


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/sign-in/oidc", dependencies=[requires(SIGN_IN)])
def oidc_start(request: Request, next: str | None = None,
               h: Haven = Depends(haven)) -> Response:
    settings = _settings(h)
    url, pending = oidc.begin(settings, _callback_url(request), local_path(next))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(PENDING_COOKIE, _seal(h, pending), max_age=PENDING_SECONDS,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/sign-in/oidc")
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback", dependencies=[requires(SIGN_IN)])
def oidc_callback(
    request: Request, code: str | None = None, state: str | None = None,
    session: Session = DB, h: Haven = Depends(haven),
) -> Response:
    settings = _settings(h)
    pending = _open(h, request.cookies.get(PENDING_COOKIE))
    if pending is None or not code or not state or not hmac.compare_digest(state, pending.state):
        raise PermissionDenied("The sign-in did not come back as it left; please try again.")
    claims = oidc.finish(settings, _callback_url(request), code, pending)
    account = oidc.account_for_claims(session, h, settings.issuer, claims)
    if account is None:
        session.commit()  # keep the failure on record
        raise PermissionDenied("There is no account here for this person.")
    if account.totp_enabled:
        started = sessions.start_session(session, account, stage=sessions.PASSWORD_STAGE)
        target = "/sign-in/second-factor?" + urlencode({"next": pending.next_path})
    else:
        record_success(session, h, account, "oidc")
        started = sessions.start_session(session, account, stage=sessions.FULL)
        target = pending.next_path
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    response.delete_cookie(PENDING_COOKIE, path="/sign-in/oidc")
    session.commit()
    return response

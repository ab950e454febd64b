"""Sign-in through an organisation's own identity provider (OpenID Connect), as an option.

The haven is the relying party, using the authorisation code flow with PKCE, ``state`` and
``nonce``. The ID token's signature (from the provider's published keys), issuer, audience,
expiry and nonce are checked. A verified email then names the haven account; the provider
never grants roles — they stay in the haven — and a person without an account here is
refused. Accounts with a second factor still give it after the provider's sign-in.

Configured in ``openhaven.toml`` (``[oidc]`` with ``issuer``, ``client_id``,
``client_secret``) or the environment (``OPENHAVEN_OIDC_ISSUER``, ``..._CLIENT_ID``,
``..._CLIENT_SECRET``); with no issuer configured the option is off.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
import tomllib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from openhaven.core.config import SETTINGS_FILE
from openhaven.core.errors import ConfigurationError, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.identity import repository
from openhaven.identity.models import Account, ExternalIdentity
from openhaven.ledger import record_event

ISSUER_ENV = "OPENHAVEN_OIDC_ISSUER"
CLIENT_ID_ENV = "OPENHAVEN_OIDC_CLIENT_ID"
CLIENT_SECRET_ENV = "OPENHAVEN_OIDC_CLIENT_SECRET"  # noqa: S105 - a variable's name
TIMEOUT_SECONDS = 10
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser must bring back: kept in a signed, short-lived cookie."""

    state: str
    nonce: str
    code_verifier: str
    next_path: str


def oidc_settings(haven: Haven) -> OidcSettings | None:
    from_file: dict[str, Any] = {}
    path = haven.home / SETTINGS_FILE
    if path.exists():
        with path.open("rb") as handle:
            from_file = dict(tomllib.load(handle).get("oidc", {}))
    issuer = os.environ.get(ISSUER_ENV) or from_file.get("issuer")
    if not issuer:
        return None
    client_id = os.environ.get(CLIENT_ID_ENV) or from_file.get("client_id")
    client_secret = os.environ.get(CLIENT_SECRET_ENV) or from_file.get("client_secret")
    if not client_id or not client_secret:
        raise ConfigurationError("OpenID Connect needs a client_id and a client_secret")
    return OidcSettings(str(issuer).rstrip("/"), str(client_id), str(client_secret))


def discover(settings: OidcSettings) -> dict[str, Any]:
    """The provider's metadata; its issuer must be the one configured."""
    answer = httpx.get(f"{settings.issuer}/.well-known/openid-configuration",
                       timeout=TIMEOUT_SECONDS)
    answer.raise_for_status()
    metadata: dict[str, Any] = answer.json()
    if str(metadata.get("issuer", "")).rstrip("/") != settings.issuer:
        raise ConfigurationError("The identity provider names a different issuer")
    return metadata


def begin(settings: OidcSettings, redirect_uri: str, next_path: str) -> tuple[str, PendingSignIn]:
    """The provider's authorisation URL to send the browser to, and what to remember."""
    pending = PendingSignIn(secrets.token_urlsafe(24), secrets.token_urlsafe(24),
                            secrets.token_urlsafe(48), next_path)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(pending.code_verifier.encode()).digest()
    ).rstrip(b"=").decode()
    query = urlencode({
        "response_type": "code", "client_id": settings.client_id,
        "redirect_uri": redirect_uri, "scope": "openid email", "state": pending.state,
        "nonce": pending.nonce, "code_challenge": challenge, "code_challenge_method": "S256",
    })
    return f"{discover(settings)['authorization_endpoint']}?{query}", pending


def finish(
    settings: OidcSettings, redirect_uri: str, code: str, pending: PendingSignIn
) -> dict[str, Any]:
    """Exchange the code and return the ID token's verified claims."""
    metadata = discover(settings)
    answer = httpx.post(
        metadata["token_endpoint"], timeout=TIMEOUT_SECONDS,
        auth=(settings.client_id, settings.client_secret),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
              "code_verifier": pending.code_verifier},
    )
    if answer.status_code != 200:
        raise PermissionDenied("The identity provider did not accept the sign-in")
    id_token = answer.json().get("id_token")
    if not isinstance(id_token, str):
        raise PermissionDenied("The identity provider sent no ID token")
    keys = KeySet.import_key_set(
        httpx.get(metadata["jwks_uri"], timeout=TIMEOUT_SECONDS).json()
    )
    try:
        token = jwt.decode(id_token, keys)
    except (JoseError, ValueError):
        raise PermissionDenied("The ID token's signature is not valid") from None
    claims: dict[str, Any] = dict(token.claims)
    _check_claims(claims, settings, pending)
    return claims


def _check_claims(claims: dict[str, Any], settings: OidcSettings, pending: PendingSignIn) -> None:
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    now = time.time()
    problems = [
        str(claims.get("iss", "")).rstrip("/") != settings.issuer,
        settings.client_id not in audiences,
        not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - CLOCK_SKEW_SECONDS,
        claims.get("nonce") != pending.nonce,
        not claims.get("sub"),
    ]
    if any(problems):
        raise PermissionDenied("The ID token is not valid for this haven")


def account_for_claims(
    session: Session, haven: Haven, issuer: str, claims: dict[str, Any]
) -> Account | None:
    """The haven account the provider's subject names (linking it by verified email once)."""
    subject = str(claims["sub"])
    linked = repository.external_identity(session, issuer, subject)
    account = None if linked is None else repository.account_by_id(session, linked.account_id)
    if account is None:
        email = claims.get("email")
        if isinstance(email, str) and claims.get("email_verified", True) is not False:
            account = repository.account_by_email(session, email)
        if account is not None:
            repository.add(session, ExternalIdentity(issuer=issuer, subject=subject,
                                                     account_id=account.id))
            record_event(haven, "account.identity_linked", actor=account.reference,
                         subject=account.reference, details={"issuer": issuer})
    if account is None or account.disabled_at is not None:
        record_event(haven, "sign_in.failed", actor="anonymous",
                     subject=None if account is None else account.reference,
                     details={"step": "oidc", "known_account": account is not None})
        return None
    # the sign-in itself succeeds once any second factor is given (``sign_in`` records it)
    record_event(haven, "sign_in.provider_accepted", actor=account.reference,
                 subject=account.reference, details={"issuer": issuer})
    return account

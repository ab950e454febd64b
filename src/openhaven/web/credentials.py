"""Who is asking, for a web request: a bearer token on /api, else the session cookie.

The result is worked out once per request and kept on ``request.state.credentials``; the
action check in ``web.actions`` and the templates (through ``csrf_token``, ``may`` and
``signed_in``) read it from there. CSRF: every state-changing request made with a cookie (or
with no credentials at all, like the sign-in form) must carry the token in the
``csrf_token`` form field or the ``X-CSRF-Token`` header — the session's own token when
there is a session (synchroniser), else the ``openhaven_csrf`` cookie's value (double submit).
Requests with a bearer token carry no ambient credentials and need none.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from openhaven.core.errors import Location, NotFound, OpenHavenError, PermissionDenied
from openhaven.identity.actors import actor_for
from openhaven.identity.api_tokens import find_token
from openhaven.identity.models import Account, SignInSession
from openhaven.identity.policy import ANONYMOUS, OVERSIGHT_ROLES, Actor, Resource, decide
from openhaven.identity.repository import project_reference_of_output
from openhaven.identity.sessions import FULL, find_session

SESSION_COOKIE = "openhaven_session"
CSRF_COOKIE = "openhaven_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(OpenHavenError):
    """Nobody is signed in (or the token is not valid) and the action is not public."""

    code = "sign_in_required"
    http_status = 401
    exit_code = 5


class CsrfRefused(PermissionDenied):
    code = "csrf_refused"


@dataclass(frozen=True)
class Credentials:
    actor: Actor
    account: Account | None = None
    #: the browser's session, at either stage (a password-stage one is not yet signed in)
    sign_in_session: SignInSession | None = None
    via: str = "none"


def credentials(request: Request, session: Session) -> Credentials:
    found: Credentials | None = getattr(request.state, "credentials", None)
    if found is None:
        found = _resolve(request, session)
        request.state.credentials = found
    return found


def _resolve(request: Request, session: Session) -> Credentials:
    authorization = request.headers.get("authorization", "")
    if request.url.path.startswith("/api/") and authorization.lower().startswith("bearer "):
        token = find_token(session, authorization[7:].strip())
        if token is None:
            return Credentials(ANONYMOUS, via="bad_token")
        return Credentials(actor_for(session, token.account, token), token.account, via="token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        record = find_session(session, cookie)
        if record is not None and record.stage == FULL:
            return Credentials(actor_for(session, record.account), record.account, record,
                               via="session")
        if record is not None:
            return Credentials(ANONYMOUS, record.account, record, via="pending")
    return Credentials(ANONYMOUS)


def resource_for(request: Request, session: Session) -> Resource:
    """The resource named by the route's path parameters (see ``register_resource_parameter``)."""
    access = "read" if request.method in SAFE_METHODS else "write"
    for name, value in request.path_params.items():
        resolver = RESOURCE_PARAMETERS.get(name)
        if resolver is not None:
            found = resolver(session, str(value))
            if found is not None:
                return Resource(found.project, found.owner_person_id, access, named=True)
    return Resource(access=access, named=bool(request.path_params))


#: path parameter name → how to find the resource (project, owner) it names.
RESOURCE_PARAMETERS: dict[str, Callable[[Session, str], Resource | None]] = {}


def register_resource_parameter(
    name: str, resolver: Callable[[Session, str], Resource | None]
) -> None:
    """Teach the action check what a path parameter names, so scoped actions can be decided."""
    RESOURCE_PARAMETERS[name] = resolver


def _project_reference(session: Session, value: str) -> Resource | None:
    return Resource(project=value)


#: the largest id an integer column holds on both engines (PostgreSQL's 32-bit INTEGER)
LARGEST_ID = 2**31 - 1


def _output(session: Session, value: str) -> Resource | None:
    try:
        number = int(value)
    except ValueError:
        return None  # not an id at all: the route answers 422
    if not 1 <= number <= LARGEST_ID:
        raise NotFound(f"No output {value}", Location(field="output_id"))
    reference = project_reference_of_output(session, number)
    return None if reference is None else Resource(project=reference)


register_resource_parameter("reference", _project_reference)
register_resource_parameter("output_id", _output)


def visible_projects(request: Request, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A listing as the actor may see it: every project for oversight roles, else their own;
    a token bound to one project narrows it to that project."""
    actor = _actor(request)
    oversees = bool(actor.roles & OVERSIGHT_ROLES)
    bound = None if actor.token is None else actor.token.project

    def visible(reference: object) -> bool:
        mine = oversees or reference in actor.projects
        return mine and (bound is None or reference == bound)

    return [summary for summary in summaries if visible(summary.get("reference"))]


def expected_csrf(request: Request) -> str | None:
    found: Credentials | None = getattr(request.state, "credentials", None)
    if found is not None and found.sign_in_session is not None:
        return found.sign_in_session.csrf_token
    fresh: str | None = getattr(request.state, "fresh_csrf", None)
    return fresh or request.cookies.get(CSRF_COOKIE)


async def check_csrf(request: Request, found: Credentials) -> None:
    if request.method in SAFE_METHODS or found.via == "token":
        return
    expected = expected_csrf(request)
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not secrets.compare_digest(expected, given):
        await request.close()  # an uploaded file read for the token is not left open
        raise CsrfRefused("The form was out of date or not from this site; please try again.")


def ensure_csrf_cookie(request: Request, response: Response) -> None:
    """Give an anonymous browser its double-submit token (pages with forms call this)."""
    token = expected_csrf(request)
    if token is None or request.cookies.get(CSRF_COOKIE) != token:
        token = token or secrets.token_urlsafe(32)
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")


def prepare_anonymous_csrf(request: Request) -> None:
    """Before rendering an anonymous form: make sure a double-submit token exists."""
    if expected_csrf(request) is None:
        request.state.fresh_csrf = secrets.token_urlsafe(32)


def install_template_globals(templates: Jinja2Templates) -> None:
    """``csrf_token(request)``, ``may(request, action)`` and ``signed_in(request)``."""

    def csrf_token(request: Request) -> str:
        return expected_csrf(request) or ""

    def may(request: Request, action: str) -> bool:
        return decide(_actor(request), action).allowed

    def signed_in(request: Request) -> bool:
        return _actor(request).signed_in

    templates.env.globals.update(csrf_token=csrf_token, may=may, signed_in=signed_in)


def _actor(request: Any) -> Actor:
    found: Credentials | None = getattr(request.state, "credentials", None)
    return ANONYMOUS if found is None else found.actor

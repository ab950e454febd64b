"""Every route declares the action it performs; the one policy decides on that action.

A route says ``dependencies=[requires("project.read")]``. ``requires`` returns a FastAPI
dependency carrying the action's name, so one test can walk every route and fail if any
lacks one. When a request arrives the dependency works out who is asking (a bearer token on
/api, else the session cookie), which resource the path names, and asks
``openhaven.identity.policy.decide``: nobody signed in for a non-public action → 401 (the API)
or a redirect to the sign-in page (pages); signed in but not allowed → 403. State-changing
requests made with a cookie must also carry the CSRF token.

The registry of actions lives in ``openhaven.identity.actions`` with the policy that reads
it; it is re-exported here so route modules import everything from one place.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openhaven.core.errors import PermissionDenied
from openhaven.governance.models import Role
from openhaven.identity.actions import ACCESS_LEVELS, ACTIONS, EVERYONE, Action, register_action
from openhaven.identity.policy import decide
from openhaven.web.credentials import (
    SignInRequired,
    check_csrf,
    credentials,
    register_resource_parameter,
    resource_for,
)
from openhaven.web.dependencies import DB

__all__ = [
    "ACCESS_LEVELS", "ACTIONS", "ALL_ROLES", "EVERYONE", "Action", "RequiredAction",
    "api_routes", "register_action", "register_resource_parameter", "requires", "route_action",
]


class RequiredAction:
    """The dependency object behind ``requires``; ``action`` is what the route does."""

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise KeyError(f"unregistered action {action!r}")
        self.action = action

    async def __call__(self, request: Request, session: Session = DB) -> None:
        request.state.action = self.action
        # The database work runs in the thread pool, never on the event loop.
        found, decision = await run_in_threadpool(self._decide, request, session)
        request.state.decision = decision
        if not decision.allowed:
            if decision.needs_sign_in:
                raise SignInRequired("Sign in to do this.")
            raise PermissionDenied(f"You may not do this: {decision.reason}.")
        await check_csrf(request, found)


    def _decide(self, request: Request, session: Session) -> tuple[Any, Any]:
        found = credentials(request, session)
        return found, decide(found.actor, self.action, resource_for(request, session))


def requires(action: str) -> Any:
    return Depends(RequiredAction(action))


def api_routes(container: Any) -> list[Any]:
    """Every endpoint route under an app or router, looking inside included routers."""
    from fastapi.routing import APIRoute

    found: list[Any] = []
    for route in getattr(container, "routes", []):
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router))
    return found


def route_action(route: Any) -> str | None:
    """The action a route declared, or None (a test fails on None)."""
    for dependency in getattr(route, "dependencies", []) or []:
        if isinstance(dependency.dependency, RequiredAction):
            return dependency.dependency.action
    return None


#: every role a person can hold (for actions any signed-in person may do)
ALL_ROLES = tuple(role.value for role in Role)
STAFF = ("custodian_admin", "auditor")
PUBLIC_READ = register_action(
    "public.read", "Read public pages: home, register, health.", roles=[EVERYONE]
)
RECORDS_COUNT = register_action(
    "records.count", "See how many records the store holds.", roles=STAFF
)
PROJECT_READ = register_action(
    "project.read", "Read a project's summary, extracts and outputs.",
    roles=[*STAFF, "researcher", "committee_member", "output_checker"], scoped=True,
)
OUTPUT_READ = register_action(
    "output.read", "Read a checked output.",
    roles=[*STAFF, "researcher", "output_checker"], scoped=True,
)
LEDGER_READ = register_action(
    "ledger.read", "Read the audit log and its verification.", roles=[*STAFF, EVERYONE]
)


def declare_refusals(app: Any) -> None:
    """Say in the OpenAPI document what every operation may answer besides success: 401 and
    403 from the action check (non-public actions), and 404 and 409 from the one error
    handler (a named thing not found, a clash with the current state) — each in the one
    error shape. A 422 may be a request FastAPI could not parse or input a service refused,
    so its schema allows either body."""
    from openhaven.web.error_schema import ErrorAnswer, allow_error_shape_for_422

    for route in api_routes(app):
        action = ACTIONS.get(route_action(route) or "")
        extra: dict[int | str, dict[str, Any]] = {
            404: {"model": ErrorAnswer, "description": "Not found"},
            409: {"model": ErrorAnswer, "description": "Conflicts with the current state"},
        }
        if action is not None and not action.public:
            extra[401] = {"model": ErrorAnswer, "description": "Not signed in"}
            extra[403] = {"model": ErrorAnswer, "description": "Not allowed"}
        for status, response in extra.items():
            if status not in route.responses and str(status) not in route.responses:
                route.responses[status] = response
    allow_error_shape_for_422(app)

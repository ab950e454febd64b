"""Every route declares the action it performs; authorisation decides on that action.

A route says ``dependencies=[requires("project.read")]``. ``requires`` returns a FastAPI
dependency carrying the action's name, so one test can walk every route and fail if any
lacks one, and the single policy that decides "may this person do this action" has one place
to hook in. The sign-in and policy work makes ``RequiredAction.__call__`` enforce the
decision; until then it records the action on the request so handlers and logs can see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

#: Who may be anyone, signed in or not.
EVERYONE = "everyone"


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    #: roles that may perform it (``EVERYONE`` for public actions); the policy reads these.
    roles: frozenset[str]
    #: True where the person must also be on the resource's project (or be its patient).
    scoped: bool = False


#: action name → the action (docs/security.md lists them with their roles).
ACTIONS: dict[str, Action] = {}


def register_action(
    name: str, description: str, *, roles: Iterable[str], scoped: bool = False
) -> str:
    action = Action(name, description, frozenset(roles), scoped)
    if name in ACTIONS and ACTIONS[name] != action:
        raise ValueError(f"action {name!r} is already registered with another meaning")
    ACTIONS[name] = action
    return name


class RequiredAction:
    """The dependency object behind ``requires``; ``action`` is what the route does."""

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise KeyError(f"unregistered action {action!r}")
        self.action = action

    def __call__(self, request: Request) -> None:
        request.state.action = self.action


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

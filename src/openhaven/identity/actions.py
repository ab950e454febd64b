"""The registry of actions: what can be done, by which roles, and whether it is scoped.

Routes and commands name the action they perform; ``policy.decide`` reads each action's
roles and ``scoped`` flag from here, so the permission matrix in docs/security.md is this
registry printed. The registry lives with the policy that reads it; ``openhaven.web.actions``
re-exports it for route modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Who may be anyone, signed in or not.
EVERYONE = "everyone"

#: The access level an action needs from an API token (a token carries one of these).
ACCESS_LEVELS = ("read", "write", "admin")


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    #: roles that may perform it (``EVERYONE`` for public actions); the policy reads these.
    roles: frozenset[str]
    #: True where the person must also be on the resource's project (or be its patient).
    scoped: bool = False
    #: the API-token level it needs; None means "read" for safe HTTP methods, else "write".
    access: str | None = None

    @property
    def public(self) -> bool:
        return EVERYONE in self.roles


#: action name → the action (docs/security.md lists them with their roles).
ACTIONS: dict[str, Action] = {}


def register_action(
    name: str,
    description: str,
    *,
    roles: Iterable[str],
    scoped: bool = False,
    access: str | None = None,
) -> str:
    """Register an action (idempotent for the same meaning) and return its name."""
    if access is not None and access not in ACCESS_LEVELS:
        raise ValueError(f"access must be one of {ACCESS_LEVELS}, not {access!r}")
    action = Action(name, description, frozenset(roles), scoped, access)
    if name in ACTIONS and ACTIONS[name] != action:
        raise ValueError(f"action {name!r} is already registered with another meaning")
    ACTIONS[name] = action
    return name

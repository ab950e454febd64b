"""The single authorisation policy: may this actor perform this action on this resource?

Deny by default. ``decide`` reads the action's roles and ``scoped`` flag from the registry in
``identity.actions`` and always says why, so the reason can be shown, logged and audited:

1. An unregistered action is refused.
2. An API token may not do more than its level (read < write < admin) allows.
3. A public action (``EVERYONE``) is allowed to anyone.
4. Anyone else must be signed in, and must hold one of the action's roles.
5. A token bound to one project is good for that project's scoped actions only.
6. A scoped action needs the actor on the resource's project (or to own the resource), unless
   they hold an oversight role — custodian administrators, auditors, committee members and
   output checkers oversee every project. A scoped action with no particular resource (a
   listing) is allowed; the listing shows only what the actor may see. A request that names
   a resource whose project cannot be found is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openhaven.identity.actions import ACCESS_LEVELS, ACTIONS, Action

#: Roles whose work spans every project, so project scoping does not narrow them.
OVERSIGHT_ROLES = frozenset({"custodian_admin", "auditor", "committee_member", "output_checker"})
#: Roles that must use a second factor (patients may choose to).
TOTP_REQUIRED_ROLES = frozenset(
    {"proxy", "researcher", "committee_member", "output_checker", "custodian_admin", "auditor"}
)


@dataclass(frozen=True)
class TokenScope:
    """What an API token allows: a level and, optionally, one project."""

    level: str
    project: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who is asking: a person's roles and projects, or nobody (``ANONYMOUS``)."""

    person_id: int | None
    roles: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    token: TokenScope | None = None

    @property
    def signed_in(self) -> bool:
        return self.person_id is not None

    @property
    def reference(self) -> str:
        """How the ledger names the actor: never a name or an email."""
        return "anonymous" if self.person_id is None else f"person:{self.person_id}"


ANONYMOUS = Actor(person_id=None)


@dataclass(frozen=True)
class Resource:
    """What the action is on: a project (by reference), an owner, and read or write."""

    project: str | None = None
    owner_person_id: int | None = None
    access: str = "read"
    #: True when the request names one resource (a path parameter) even if its project
    #: could not be found; such a request is never treated as a listing.
    named: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    #: True when the refusal is only because nobody is signed in (401, not 403).
    needs_sign_in: bool = field(default=False)


def decide(actor: Actor, action: str | Action, resource: Resource | None = None) -> Decision:
    """Allow or deny, with the reason; see the module docstring for the rules, in order."""
    resource = resource or Resource()
    found = action if isinstance(action, Action) else ACTIONS.get(action)
    if found is None:
        return Decision(False, f"the action {action!r} is not registered")
    if actor.token is not None:
        needed = found.access or resource.access
        if _rank(needed) > _rank(actor.token.level):
            return Decision(False, f"this token's scope ({actor.token.level}) does not allow "
                                   f"{needed} access")
    if found.public:
        return Decision(True, "a public action")
    if not actor.signed_in:
        return Decision(False, "sign-in required", needs_sign_in=True)
    held = actor.roles & found.roles
    if not held:
        wanted = ", ".join(sorted(found.roles))
        return Decision(False, f"{found.name} needs one of the roles: {wanted}")
    if actor.token is not None and actor.token.project is not None:
        if not found.scoped:
            return Decision(False, f"this token is limited to project {actor.token.project}")
        if resource.project is not None and resource.project != actor.token.project:
            return Decision(False, f"this token is limited to project {actor.token.project}")
    if not found.scoped:
        return Decision(True, f"held role: {', '.join(sorted(held))}")
    if held & OVERSIGHT_ROLES:
        return Decision(True, f"oversight role: {', '.join(sorted(held & OVERSIGHT_ROLES))}")
    if resource.project is None and resource.owner_person_id is None:
        if resource.named:
            return Decision(False, "the resource could not be matched to a project")
        return Decision(True, "a listing, limited to the actor's own projects")
    if resource.project is not None and resource.project in actor.projects:
        return Decision(True, f"member of project {resource.project}")
    if resource.owner_person_id is not None and resource.owner_person_id == actor.person_id:
        return Decision(True, "the actor's own record")
    return Decision(False, "not a member of this resource's project")


def _rank(level: str) -> int:
    return ACCESS_LEVELS.index(level) if level in ACCESS_LEVELS else len(ACCESS_LEVELS)

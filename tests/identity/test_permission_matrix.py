"""Every route, called as every role and as nobody, answers as the permission matrix says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from identity_world import World

from openhaven.governance.models import Role
from openhaven.identity.actions import ACTIONS
from openhaven.identity.permission_matrix import MATRIX_END, MATRIX_START, render_matrix
from openhaven.identity.policy import OVERSIGHT_ROLES
from openhaven.web.actions import api_routes, route_action
from openhaven.web.credentials import RESOURCE_PARAMETERS

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROLES = [role.value for role in Role]


def _expected(action_name: str, role: str | None, path_params: list[str]) -> bool | None:
    """What the matrix says: True allowed, False refused, None when it depends on a resource
    the test cannot name (a path parameter no resolver knows)."""
    action = ACTIONS[action_name]
    if action.public:
        return True
    if role is None or role not in action.roles:
        return False
    if not action.scoped or role in OVERSIGHT_ROLES:
        return True
    return True if all(p in RESOURCE_PARAMETERS for p in path_params) else None


def _path(template: str, world: World) -> str:
    values = {"reference": world.project, "output_id": str(world.output_id)}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), template)


def test_every_route_as_every_role_and_as_nobody(world: World) -> None:
    clients = {role: world.client(role) for role in [None, *ROLES]}
    routes = api_routes(world.app)
    checked = 0
    mismatches = []
    for route in routes:
        action = route_action(route)
        assert action is not None, route.path
        params = re.findall(r"\{(\w+)", route.path)
        path = _path(route.path, world)
        for method in sorted(route.methods - {"HEAD"}):
            for role in [None, *ROLES]:
                expected = _expected(action, role, params)
                if expected is None:
                    continue
                answer = clients[role].request(method, path, follow_redirects=False)
                if method != "GET":  # it may have signed the session out: start another
                    clients[role] = world.client(role)
                refused = answer.status_code in (401, 403) or (
                    answer.status_code == 303
                    and answer.headers["location"].startswith("/sign-in?")
                )
                checked += 1
                assert answer.status_code < 500, (method, path, role)
                if refused == expected:
                    mismatches.append((method, path, role, answer.status_code))
    assert mismatches == []
    assert checked > 100


def test_a_researcher_is_refused_a_project_they_are_not_on(world: World) -> None:
    researcher = world.client("researcher")
    assert researcher.get(f"/api/projects/{world.project}").status_code == 200
    answer = researcher.get(f"/api/projects/{world.other_project}")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    assert world.client("committee_member").get(
        f"/api/projects/{world.other_project}").status_code == 200


def test_anonymous_api_gets_401_and_pages_redirect_to_sign_in(world: World) -> None:
    anonymous = world.client(None)
    answer = anonymous.get("/api/projects")
    assert answer.status_code == 401
    assert answer.json() == {"error": {"code": "sign_in_required",
                                       "message": "Sign in to do this."}}
    assert "content-security-policy" in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"
    page = anonymous.get("/projects", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Fprojects"
    assert anonymous.get("/openapi.json").status_code == 200


def test_the_documented_matrix_is_the_registry() -> None:
    from openhaven.web.app import create_app  # noqa: F401 - registers every route's action

    text = SECURITY_DOC.read_text(encoding="utf-8")
    assert MATRIX_START in text and MATRIX_END in text
    documented = text.split(MATRIX_START)[1].split(MATRIX_END)[0].strip()
    assert documented == render_matrix(ACTIONS).strip(), (
        "docs/security.md's permission matrix is out of date: run "
        "`.venv/bin/python -m openhaven.identity.permission_matrix docs/security.md`"
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix_has_a_column_per_role(role: str) -> None:
    assert f" {role} " in render_matrix(ACTIONS).splitlines()[0]

"""Every route declares the action it performs (authorisation decides on actions)."""

from __future__ import annotations

from pathlib import Path

from openhaven.core.haven import Haven
from openhaven.web.actions import ACTIONS, api_routes, route_action
from openhaven.web.app import create_app


def test_every_route_declares_a_registered_action(tmp_path: Path) -> None:
    app = create_app(Haven.open(tmp_path / "h"))
    routes = api_routes(app)
    assert len(routes) > 10
    missing = [r.path for r in routes if route_action(r) is None]
    assert missing == []
    assert {route_action(r) for r in routes} <= set(ACTIONS)

"""The permission matrix — actions × roles — printed from the registry for docs/security.md.

A test compares the matrix in docs/security.md with this rendering, and another calls every
route as every role against it, so the document cannot drift from what the code enforces.
Regenerate the document's copy with
``python -m openhaven.identity.permission_matrix docs/security.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from openhaven.governance.models import Role
from openhaven.identity.actions import Action
from openhaven.identity.policy import OVERSIGHT_ROLES

MATRIX_START = "<!-- permission-matrix:start -->"
MATRIX_END = "<!-- permission-matrix:end -->"
ANONYMOUS = "nobody"


def cell(action: Action, role: str | None) -> str:
    """``yes``, ``own`` (only on their own projects or records) or ``-``."""
    if action.public:
        return "yes"
    if role is None or role not in action.roles:
        return "-"
    if action.scoped and role not in OVERSIGHT_ROLES:
        return "own"
    return "yes"


def render_matrix(actions: Mapping[str, Action]) -> str:
    roles: list[str | None] = [role.value for role in Role]
    roles.append(None)
    header = "| action | " + " | ".join(r or ANONYMOUS for r in roles) + " | token level |"
    lines = [header, "|" + "---|" * (len(roles) + 2)]
    for name in sorted(actions):
        action = actions[name]
        level = action.access or "by method"
        cells = " | ".join(cell(action, role) for role in roles)
        lines.append(f"| `{name}` | {cells} | {level} |")
    lines.append("")
    lines.append("`own`: only on a project the person is on (or a record that is theirs). "
                 "Descriptions:")
    lines.append("")
    for name in sorted(actions):
        lines.append(f"- `{name}` — {actions[name].description}")
    return "\n".join(lines)


def update_document(path: Path, actions: Mapping[str, Action]) -> None:
    text = path.read_text(encoding="utf-8")
    before, rest = text.split(MATRIX_START, 1)
    _, after = rest.split(MATRIX_END, 1)
    path.write_text(f"{before}{MATRIX_START}\n{render_matrix(actions)}\n{MATRIX_END}{after}",
                    encoding="utf-8")


if __name__ == "__main__":
    import openhaven.web.app  # noqa: F401 - registers every route's action
    from openhaven.identity.actions import ACTIONS

    update_document(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md"), ACTIONS)

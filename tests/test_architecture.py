"""Rules of the architecture, checked rather than remembered."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openhaven"


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _calls(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                found.add(func.id)
            elif isinstance(func, ast.Attribute):
                found.add(func.attr)
    return found


def test_only_the_engine_imports_duckdb() -> None:
    offenders = [
        name for name, tree in _modules()
        if not name.startswith("engine/")
        and any(i == "duckdb" or i.startswith("duckdb.") for i in _imports(tree))
    ]
    assert offenders == []


def test_only_interfaces_and_journeys_open_governance_sessions() -> None:
    allowed = ("core/database.py", "cli/", "web/", "journey/")
    offenders = [
        name for name, tree in _modules()
        if not name.startswith(allowed)
        and {"unit_of_work", "session_factory", "sessionmaker", "Session"} & _calls(tree)
    ]
    assert offenders == []


def test_unsafe_functions_have_only_their_listed_callers() -> None:
    security = (PACKAGE.parents[1] / "docs" / "security.md").read_text(encoding="utf-8")
    for name, tree in _modules():
        caller = name.removesuffix(".py").replace("/", ".")
        for called in _calls(tree):
            if called.endswith("_unsafe"):
                assert f"{called}`" in security, f"{called} is not listed in docs/security.md"
                assert caller in security, f"{caller} calls {called} but is not listed"


def test_domain_packages_do_not_import_interfaces() -> None:
    domain = ("core/", "engine/", "ledger/", "records/", "choices/", "governance/",
              "provisioning/", "analysis/", "outputs/", "transparency/", "textdeid/")
    offenders = [
        name for name, tree in _modules()
        if name.startswith(domain)
        and any(i.startswith(("openhaven.cli", "openhaven.web", "openhaven.journey"))
                for i in _imports(tree))
    ]
    assert offenders == []


def test_core_depends_on_nothing_else_in_the_project() -> None:
    offenders = [
        name for name, tree in _modules()
        if name.startswith("core/")
        and any(i.startswith("openhaven.") and not i.startswith("openhaven.core")
                for i in _imports(tree) if i != "openhaven.migrations")
    ]
    assert offenders == []

"""Disclosure profiles: named presets of checks, thresholds, rounding and suppression.

A profile is data (YAML in ``openhaven/outputs/profile_data/``) so a haven can adopt an
established policy as it stands, or write its own file, without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openhaven.core.errors import InvalidInput, Location
from openhaven.outputs.check_registry import registered_checks

BUILT_IN = ("acro", "opensafely", "datashield", "haven")
ROUNDING_METHODS = ("none", "base", "midpoint6")


@dataclass(frozen=True)
class CheckSettings:
    name: str
    applies_to: tuple[str, ...]
    severity: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class DisclosureProfile:
    name: str
    description: str
    checks: tuple[CheckSettings, ...]
    rounding: dict[str, Any] = field(default_factory=dict)
    suppression: dict[str, Any] = field(default_factory=dict)
    #: what a differencing finding does to an output's verdict: ``severity`` review or fail
    differencing: dict[str, Any] = field(default_factory=dict)
    #: limits for fitted models: ``safe_dof_threshold``, ``max_parameter_ratio``
    models: dict[str, Any] = field(default_factory=dict)

    @property
    def differencing_severity(self) -> str:
        return str(self.differencing.get("severity", "review"))

    @property
    def threshold(self) -> int:
        """The minimum cell count, used by suppression and differencing too."""
        for check in self.checks:
            if check.name == "threshold":
                return int(check.parameters.get("safe_threshold", 10))
        return 10

    @property
    def zeros_pass_threshold(self) -> bool:
        for check in self.checks:
            if check.name == "threshold":
                return bool(check.parameters.get("zeros_pass", False))
        return False

    def settings_for(self, name: str) -> CheckSettings | None:
        return next((c for c in self.checks if c.name == name), None)


def load_profile(name_or_path: str | Path) -> DisclosureProfile:
    """A built-in profile by name, or a profile YAML file by path."""
    if isinstance(name_or_path, str) and name_or_path in BUILT_IN:
        text = resources.files("openhaven.outputs.profile_data").joinpath(
            f"{name_or_path}.yaml").read_text(encoding="utf-8")
        return parse_profile(yaml.safe_load(text), source=f"{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_file():
        raise InvalidInput(f"Unknown disclosure profile; built-in ones: {', '.join(BUILT_IN)}",
                           Location(field="profile"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        raise InvalidInput("The profile is not valid YAML", Location(file=path.name)) from None
    return parse_profile(data, source=path.name)


def parse_profile(data: Any, *, source: str) -> DisclosureProfile:
    if not isinstance(data, dict) or not isinstance(data.get("checks"), dict):
        raise InvalidInput("A profile needs a 'checks' mapping", Location(file=source))
    known = registered_checks()
    checks = []
    for name, raw in data["checks"].items():
        if name not in known:
            raise InvalidInput(f"Unknown check '{name}'", Location(file=source, field=name))
        params = dict(raw or {})
        applies = tuple(params.pop("applies_to", known[name].default_applies_to))
        severity = str(params.pop("severity", known[name].default_severity))
        if severity not in ("fail", "review"):
            raise InvalidInput("severity must be 'fail' or 'review'",
                               Location(file=source, field=f"{name}.severity"))
        checks.append(CheckSettings(name, applies, severity, params))
    rounding = dict(data.get("rounding") or {"method": "none"})
    if rounding.get("method", "none") not in ROUNDING_METHODS:
        raise InvalidInput(f"rounding.method must be one of {', '.join(ROUNDING_METHODS)}",
                           Location(file=source, field="rounding.method"))
    differencing = dict(data.get("differencing") or {})
    if differencing.get("severity", "review") not in ("fail", "review"):
        raise InvalidInput("differencing.severity must be 'fail' or 'review'",
                           Location(file=source, field="differencing.severity"))
    return DisclosureProfile(
        name=str(data.get("name", Path(source).stem)),
        description=str(data.get("description", "")),
        checks=tuple(checks),
        rounding=rounding,
        suppression=dict(data.get("suppression") or {}),
        differencing=differencing,
        models=dict(data.get("models") or {}),
    )

"""The choice policy: which choices patients can make here, and where each is applied.

The policy is configuration, not code. The shipped default (``default_policy.yaml``) is
England's national data opt-out — one choice, ``research-and-planning`` — plus the Type 1
objection recorded at GP practices. A haven may offer finer choices (research apart from
planning, a separate choice about commercial use) by writing ``choices-policy.yaml`` in its
folder; the registry, provisioning, the bulk check, the pages and the exports all read the
configured set from here, so nothing else needs to change.

Each choice *covers* purposes (``research``, ``planning``, ``commercial``) and is *applied
at* one stage: ``provisioning`` (removed from every extract whose project has a covered
purpose) or ``gp-ingest`` (GP-sourced records of objectors never enter the record store).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven

POLICY_FILE = "choices-policy.yaml"
PURPOSES = ("research", "planning", "commercial")
STAGES = ("provisioning", "gp-ingest")
PROVISIONING = "provisioning"
GP_INGEST = "gp-ingest"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
DEFAULT_PLANNING_CODES: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChoiceDefinition:
    """One choice a patient can make, in words a patient can read."""

    name: str
    title: str
    covers: frozenset[str]
    applied_at: str
    explanation: str
    does_not_cover: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "covers": sorted(self.covers),
            "applied_at": self.applied_at,
            "explanation": self.explanation,
            "does_not_cover": self.does_not_cover,
        }


@dataclass(frozen=True)
class ChoicePolicy:
    choices: tuple[ChoiceDefinition, ...]
    default_choice: str
    honour_opt_outs_for_anonymised_data: bool = True
    planning_purpose_codes: frozenset[str] = field(default_factory=frozenset)
    source: str = "default"

    @property
    def names(self) -> list[str]:
        return [choice.name for choice in self.choices]

    def get(self, name: str) -> ChoiceDefinition | None:
        return next((choice for choice in self.choices if choice.name == name), None)

    def applied_at(self, stage: str) -> list[ChoiceDefinition]:
        return [choice for choice in self.choices if choice.applied_at == stage]

    def choices_for_purposes(self, purposes: set[str] | frozenset[str]) -> list[str]:
        """Names of the provisioning-stage choices that cover any of ``purposes``."""
        return [
            choice.name for choice in self.applied_at(PROVISIONING) if choice.covers & purposes
        ]

    def project_purposes(self, purpose_codes: list[str], commercial: bool) -> frozenset[str]:
        """What a project uses data for, as the policy's purposes.

        A project is planning only when every purpose code is one of the policy's planning
        codes; any other code makes it research (the cautious reading: research is covered by
        every default choice). A commercial organisation's project is also ``commercial``.
        """
        codes = set(purpose_codes)
        found = set()
        if codes & self.planning_purpose_codes:
            found.add("planning")
        if not codes or codes - self.planning_purpose_codes:
            found.add("research")
        if commercial:
            found.add("commercial")
        return frozenset(found)


def load_policy(haven: Haven | None = None) -> ChoicePolicy:
    """The haven's policy file if it has one, else the shipped default."""
    if haven is not None:
        path = haven.home / POLICY_FILE
        if path.exists():
            return parse_policy(path.read_text(encoding="utf-8"), source=str(path))
    text = resources.files("openhaven.choices").joinpath("default_policy.yaml").read_text(
        encoding="utf-8"
    )
    return parse_policy(text, source="default")


def parse_policy(text: str, *, source: str) -> ChoicePolicy:
    """Check and read a policy document; errors name the file and the field."""
    name = Path(source).name if source != "default" else "default_policy.yaml"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigurationError(f"{name} is not valid YAML") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{name} must hold a mapping")
    entries = raw.get("choices")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{name}: 'choices' must list at least one choice")
    choices = tuple(_choice(entry, index, name) for index, entry in enumerate(entries, 1))
    names = [choice.name for choice in choices]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{name}: choice names must be unique")
    default = raw.get("default_choice", names[0])
    if default not in names:
        raise ConfigurationError(f"{name}: default_choice must be one of the choices")
    honour = raw.get("honour_opt_outs_for_anonymised_data", True)
    if not isinstance(honour, bool):
        raise ConfigurationError(
            f"{name}: honour_opt_outs_for_anonymised_data must be true or false"
        )
    codes = raw.get("planning_purpose_codes", list(DEFAULT_PLANNING_CODES))
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ConfigurationError(f"{name}: planning_purpose_codes must be a list of codes")
    return ChoicePolicy(
        choices=choices,
        default_choice=str(default),
        honour_opt_outs_for_anonymised_data=honour,
        planning_purpose_codes=frozenset(codes),
        source=source,
    )


def _choice(entry: Any, index: int, file_name: str) -> ChoiceDefinition:
    where = f"{file_name}: choice {index}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} must be a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ConfigurationError(f"{where}: 'name' must be lower-case letters, digits, hyphens")
    covers = entry.get("covers")
    if (
        not isinstance(covers, list)
        or not covers
        or any(purpose not in PURPOSES for purpose in covers)
    ):
        raise ConfigurationError(f"{where}: 'covers' must list some of {', '.join(PURPOSES)}")
    stage = entry.get("applied_at", PROVISIONING)
    if stage not in STAGES:
        raise ConfigurationError(f"{where}: 'applied_at' must be one of {', '.join(STAGES)}")
    texts = {}
    for key in ("title", "explanation", "does_not_cover"):
        value = entry.get(key, "")
        if not isinstance(value, str) or (key != "does_not_cover" and not value.strip()):
            raise ConfigurationError(f"{where}: '{key}' must be text")
        texts[key] = value.strip()
    return ChoiceDefinition(
        name=name,
        title=texts["title"],
        covers=frozenset(covers),
        applied_at=stage,
        explanation=texts["explanation"],
        does_not_cover=texts["does_not_cover"],
    )

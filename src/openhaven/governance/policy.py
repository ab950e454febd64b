"""The governance policy: rules a board can read, and the engine that applies them.

A policy file (YAML) holds the committee's quorum, the haven's datasets with their DUO
data-use limitations, the fields each purpose gets by default, the accreditations a team
needs, and the rules. Each rule has an ``id``, plain-English ``text``, an ``outcome`` (deny,
refer to the committee, or flag) and a ``when`` condition built from the registered
condition types (``policy_conditions``) — never code.

``screen`` is a pure function of (request, policy, datasets, people): it evaluates every
rule and returns allow / deny / refer with every rule that fired and why. Deny wins over
refer, refer over allow; flags (for example "commercial use is shown on the public
register") never change the outcome but travel with it.

The shipped default is ``default_policy.yaml`` beside this module; a haven replaces it by
writing ``<home>/governance-policy.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openhaven.core.errors import InvalidInput, Location
from openhaven.governance.access_request import AccessRequest
from openhaven.governance.duo import parse_codes
from openhaven.governance.policy_conditions import (
    DatasetLimits,
    PersonFacts,
    PolicyContext,
    check_condition,
    evaluate_condition,
)
from openhaven.records.schema import TABLES_BY_NAME

POLICY_FILE_NAME = "governance-policy.yaml"
OUTCOMES = ("deny", "refer", "flag")
DEFAULT_QUORUM = 2


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    outcome: str
    when: Mapping[str, Any]


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    datasets: tuple[DatasetLimits, ...]
    purpose_defaults: Mapping[str, frozenset[str]] = field(default_factory=dict)
    required_accreditations: frozenset[str] = frozenset()
    quorum: int = DEFAULT_QUORUM
    source: str = "default"


@dataclass(frozen=True)
class FiredRule:
    id: str
    text: str
    outcome: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "text": self.text, "outcome": self.outcome, "why": self.why}


@dataclass(frozen=True)
class ScreeningVerdict:
    """The engine's answer: ``allow``, ``deny`` or ``refer``, and every rule that fired."""

    outcome: str
    fired: tuple[FiredRule, ...]

    @property
    def flags(self) -> list[str]:
        return [rule.id for rule in self.fired if rule.outcome == "flag"]

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "fired": [rule.as_dict() for rule in self.fired]}


def screen(
    request: AccessRequest,
    policy: Policy,
    datasets: Sequence[DatasetLimits] | None = None,
    people: Sequence[PersonFacts] = (),
) -> ScreeningVerdict:
    """Apply every rule of ``policy`` to ``request``; pure, so the same input, the same answer."""
    context = PolicyContext(
        request=request,
        datasets=tuple(policy.datasets if datasets is None else datasets),
        people=tuple(people),
        purpose_defaults=policy.purpose_defaults,
        required_accreditations=policy.required_accreditations,
    )
    fired = []
    for rule in policy.rules:
        why = evaluate_condition(rule.when, context)
        if why is not None:
            fired.append(FiredRule(rule.id, rule.text, rule.outcome, why))
    outcomes = {rule.outcome for rule in fired}
    outcome = "deny" if "deny" in outcomes else "refer" if "refer" in outcomes else "allow"
    return ScreeningVerdict(outcome, tuple(fired))


def default_policy_text() -> str:
    return (resources.files("openhaven.governance") / "default_policy.yaml").read_text("utf-8")


def load_policy(home: Path | None = None) -> Policy:
    """The haven's own policy file if ``home`` has one, else the shipped default."""
    if home is not None and (home / POLICY_FILE_NAME).is_file():
        path = home / POLICY_FILE_NAME
        return parse_policy(path.read_text(encoding="utf-8"), source=path.name)
    return parse_policy(default_policy_text(), source="default_policy.yaml")


def parse_policy(text: str, *, source: str) -> Policy:
    """Read and check a policy file; a mistake names the file, line or field.

    Parsed policies are remembered by their text, so reading the same file again is free.
    """
    return _parse_policy(text, source)


@lru_cache(maxsize=16)
def _parse_policy(text: str, source: str) -> Policy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InvalidInput("The policy file is not valid YAML",
                           Location(file=source, line=None if mark is None else mark.line + 1)
                           ) from None
    if not isinstance(raw, Mapping):
        raise InvalidInput("A policy file must be a mapping", Location(file=source))
    try:
        return Policy(
            rules=_rules(raw.get("rules")),
            datasets=_datasets(raw.get("datasets")),
            purpose_defaults=_purpose_defaults(raw.get("minimum_necessary") or {}),
            required_accreditations=frozenset(_names(raw.get("people", {}),
                                                     "required_accreditations", "people")),
            quorum=_quorum(raw.get("committee", {})),
            source=source,
        )
    except InvalidInput as error:
        raise InvalidInput(error.message, Location(
            file=source, field=None if error.location is None else error.location.field
        )) from None


def _rules(raw: Any) -> tuple[Rule, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("rules must be a non-empty list", Location(field="rules"))
    rules: list[Rule] = []
    for index, item in enumerate(raw):
        where = f"rules[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidInput("each rule must be a mapping", Location(field=where))
        for key in ("id", "text", "outcome", "when"):
            if key not in item:
                raise InvalidInput(f"a rule needs {key}", Location(field=f"{where}.{key}"))
        if not isinstance(item["id"], str) or not isinstance(item["text"], str):
            raise InvalidInput("id and text must be text", Location(field=where))
        if item["outcome"] not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}",
                               Location(field=f"{where}.outcome"))
        if any(rule.id == item["id"] for rule in rules):
            raise InvalidInput("rule ids must be unique", Location(field=f"{where}.id"))
        check_condition(item["when"], f"{where}.when")
        rules.append(Rule(item["id"], " ".join(item["text"].split()), item["outcome"],
                          item["when"]))
    return tuple(rules)


def _datasets(raw: Any) -> tuple[DatasetLimits, ...]:
    if not isinstance(raw, list):
        raise InvalidInput("datasets must be a list", Location(field="datasets"))
    found = []
    for index, item in enumerate(raw):
        where = f"datasets[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise InvalidInput("each dataset needs a name", Location(field=where))
        tables = _names(item, "tables", where)
        for table in tables:
            if table not in TABLES_BY_NAME:
                raise InvalidInput(f"unknown table {table!r}", Location(field=f"{where}.tables"))
        limitations = _names(item, "limitations", where)
        parse_codes(limitations, side=f"{where}.limitations", allow_flags=False)
        found.append(DatasetLimits(item["name"], str(item.get("title", item["name"])),
                                   frozenset(tables), tuple(limitations)))
    return tuple(found)


def _purpose_defaults(raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, Mapping):
        raise InvalidInput("minimum_necessary must be a mapping",
                           Location(field="minimum_necessary"))
    defaults = raw.get("purpose_defaults") or {}
    if not isinstance(defaults, Mapping):
        raise InvalidInput("purpose_defaults must map a purpose to fields",
                           Location(field="minimum_necessary.purpose_defaults"))
    found = {}
    for purpose, _ in defaults.items():
        where = f"minimum_necessary.purpose_defaults.{purpose}"
        fields = _names(defaults, str(purpose), "minimum_necessary.purpose_defaults")
        for name in fields:
            table, _, column = name.partition(".")
            if table not in TABLES_BY_NAME or column not in TABLES_BY_NAME[table].column_names:
                raise InvalidInput(f"unknown field {name!r}", Location(field=where))
        found[str(purpose)] = frozenset(fields)
    return found


def _names(raw: Any, key: str, where: str) -> list[str]:
    value = raw.get(key, []) if isinstance(raw, Mapping) else None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{key} must be a list of names", Location(field=f"{where}.{key}"))
    return list(value)


def _quorum(raw: Any) -> int:
    value = raw.get("quorum", DEFAULT_QUORUM) if isinstance(raw, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("committee.quorum must be a whole number of at least 1",
                           Location(field="committee.quorum"))
    return value

"""docs/governance.md explains every rule of the default policy and the whole DUO vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.governance.access_request import DECLARED_USES
from openhaven.governance.duo import MODIFIERS, PRIMARY_TERMS, PURPOSE_FLAGS
from openhaven.governance.policy import load_policy
from openhaven.governance.policy_conditions import CONDITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "governance.md"
TEXT = DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", [rule.id for rule in load_policy().rules])
def test_every_rule_of_the_default_policy_is_documented(rule: str) -> None:
    assert f"`{rule}` —" in TEXT, f"docs/governance.md does not explain the rule {rule}"


@pytest.mark.parametrize(
    "code", [*PRIMARY_TERMS, *MODIFIERS, *PURPOSE_FLAGS, *DECLARED_USES, *CONDITIONS]
)
def test_every_code_use_and_condition_type_is_documented(code: str) -> None:
    assert f"`{code}" in TEXT, f"docs/governance.md does not mention {code}"

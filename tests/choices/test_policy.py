"""The choice policy is configuration: the default, a finer one, and bad files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.choices.policy import POLICY_FILE, load_policy, parse_policy
from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven

FINER = """
default_choice: research
planning_purpose_codes: [GRU]
choices:
  - {name: research, title: Research, covers: [research], explanation: Not for research.}
  - {name: planning, title: Planning, covers: [planning], explanation: Not for planning.}
  - {name: commercial, title: Commercial use, covers: [commercial],
     explanation: Not by companies.}
"""


def test_the_default_is_the_national_data_opt_out_plus_type_1() -> None:
    policy = load_policy(None)
    assert policy.default_choice == "research-and-planning"
    assert policy.names == ["research-and-planning", "type-1"]
    assert policy.choices_for_purposes({"planning"}) == ["research-and-planning"]
    assert [c.name for c in policy.applied_at("gp-ingest")] == ["type-1"]
    assert policy.honour_opt_outs_for_anonymised_data is True


def test_a_haven_can_offer_finer_choices(haven: Haven) -> None:
    (haven.home / POLICY_FILE).write_text(FINER)
    policy = load_policy(haven)
    assert policy.names == ["research", "planning", "commercial"]
    assert policy.project_purposes(["HMB"], commercial=False) == {"research"}
    assert policy.project_purposes(["GRU"], commercial=True) == {"planning", "commercial"}
    assert policy.choices_for_purposes({"research", "commercial"}) == ["research", "commercial"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("choices: []", "'choices'"),
        ("choices:\n  - {name: Bad Name, title: t, covers: [research], explanation: e}", "name"),
        ("choices:\n  - {name: a, title: t, covers: [marketing], explanation: e}", "covers"),
        ("choices:\n  - {name: a, title: t, covers: [research], explanation: e,"
         " applied_at: never}", "applied_at"),
        ("default_choice: z\nchoices:\n  - {name: a, title: t, covers: [research],"
         " explanation: e}", "default_choice"),
        ("choices: [", "YAML"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_field(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        parse_policy(text, source=str(tmp_path / POLICY_FILE))

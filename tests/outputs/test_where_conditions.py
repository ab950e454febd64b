"""Subgroup conditions as facts about variables: what is understood, what stays opaque."""

from __future__ import annotations

import pytest

from openhaven.outputs.where_conditions import Constraint, parse_where

CASES = [
    (None, [], []),
    ("region = 'south'", [Constraint("region", frozenset({"south"}))], []),
    ("high_cost != 'yes'", [Constraint("high_cost", frozenset({"yes"}), negated=True)], []),
    ("band <> 3", [Constraint("band", frozenset({"3"}), negated=True)], []),
    ("\"age band\" IN ('0-17', '18-64')",
     [Constraint("age band", frozenset({"0-17", "18-64"}))], []),
    ("sex not in ('m')", [Constraint("sex", frozenset({"m"}), negated=True)], []),
    ("region = 'south' AND sex = 'f'",
     [Constraint("region", frozenset({"south"})), Constraint("sex", frozenset({"f"}))], []),
    ("(region = 'south') and cost > 1000",
     [Constraint("region", frozenset({"south"}))], ["cost > 1000"]),
    ("name = 'O''Brien and co'", [Constraint("name", frozenset({"O'Brien and co"}))], []),
    ("region = 'south' OR region = 'north'", [], ["region = 'south' OR region = 'north'"]),
    ("lower(region)  =  'south'", [], ["lower(region) = 'south'"]),
]


@pytest.mark.parametrize(("condition", "constraints", "opaque"), CASES)
def test_conditions(condition: str | None, constraints: list[Constraint],
                    opaque: list[str]) -> None:
    parsed = parse_where(condition)
    assert list(parsed.constraints) == constraints
    assert list(parsed.opaque) == opaque

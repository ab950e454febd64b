"""The pruned search finds what checking every node finds, and its output keeps its promise.

The promise is checked independently of the code that enforces it: the output table is grouped
again by its text values with ``collections.Counter``, not with the search's integer coding.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from openhaven.core.errors import SafeguardRefused
from openhaven.provisioning.deid import (
    Hierarchy,
    PrivacySettings,
    TextTable,
    anonymise_table,
    build_problem,
    exhaustive_transformation,
    hierarchy_from_rows,
    optimal_transformation,
)
from openhaven.provisioning.deid.metrics import make_metric


def _hierarchies() -> dict[str, Hierarchy]:
    ages = [[str(a), f"{a // 5 * 5}-{a // 5 * 5 + 4}", f"{a // 10 * 10}s", "*"]
            for a in range(20, 60)]
    sexes = [["F", "*"], ["M", "*"]]
    areas = [[f"{region}{district}", region, "*"] for region in "ABC" for district in "123"]
    return {
        "age": hierarchy_from_rows("age", ages),
        "sex": hierarchy_from_rows("sex", sexes),
        "area": hierarchy_from_rows("area", areas),
    }


def _table(seed: int, records: int = 80) -> TextTable:
    rng = random.Random(seed)
    rows = [
        [str(rng.randint(20, 59)), rng.choice("FM"), rng.choice("ABC") + rng.choice("123"),
         rng.choice(["flu", "asthma", "diabetes", "copd"])]
        for _ in range(records)
    ]
    return TextTable.from_rows(["age", "sex", "area", "diagnosis"], rows)


SCENARIOS = [
    # (metric, k, suppression, l, l_model, t, t_distance)
    ("loss", 3, 0.0, None, "distinct", None, "equal"),
    ("loss", 3, 0.1, None, "distinct", None, "equal"),
    ("entropy", 4, 0.0, None, "distinct", None, "equal"),
    ("entropy", 4, 0.05, None, "distinct", None, "equal"),
    ("discernibility", 3, 0.1, None, "distinct", None, "equal"),
    ("loss", 2, 0.1, 2, "distinct", None, "equal"),
    ("loss", 2, 0.1, 2, "entropy", None, "equal"),
    ("loss", 2, 0.0, 1.8, "entropy", None, "equal"),
    ("entropy", 2, 0.1, None, "distinct", 0.3, "equal"),
    ("loss", 2, 0.0, None, "distinct", 0.25, "ordered"),
]


def _settings(metric: str, k: int, suppression: float, l_value: float | None, l_model: str,
              t_value: float | None, t_distance: str) -> PrivacySettings:
    sensitive = "diagnosis" if l_value is not None or t_value is not None else None
    return PrivacySettings(quasi=("age", "sex", "area"), k=k, suppression=suppression,
                           metric=metric, sensitive=sensitive, l=l_value, l_model=l_model,
                           t=t_value, t_distance=t_distance)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: "-".join(map(str, s)))
def test_the_pruned_search_agrees_with_checking_every_node(
        seed: int, scenario: tuple[Any, ...]) -> None:
    table = _table(seed)
    settings = _settings(*scenario)
    problem = build_problem(table, _hierarchies(), settings)
    metric = make_metric(settings.metric, problem)
    try:
        expected_levels, expected_score = exhaustive_transformation(problem, metric)
    except SafeguardRefused:
        with pytest.raises(SafeguardRefused):
            optimal_transformation(problem, metric)
        return
    found = optimal_transformation(problem, metric)
    assert found.levels == expected_levels
    assert found.score == expected_score
    assert found.evaluated <= found.lattice_size


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: "-".join(map(str, s)))
def test_the_output_satisfies_the_model_whenever_the_report_says_so(
        scenario: tuple[Any, ...]) -> None:
    table = _table(7, records=120)
    settings = _settings(*scenario)
    try:
        result = anonymise_table(table, _hierarchies(), settings)
    except SafeguardRefused:
        return
    output = result.table
    quasi = list(zip(*(output.columns[name] for name in settings.quasi), strict=True))
    groups: Counter[tuple[str, ...]] = Counter()
    sensitive: dict[tuple[str, ...], Counter[str]] = {}
    suppressed = 0
    for row, values in enumerate(quasi):
        if all(value == "*" for value in values):
            suppressed += 1
            continue
        groups[values] += 1
        if settings.sensitive:
            sensitive.setdefault(values, Counter())[output.columns[settings.sensitive][row]] += 1
    assert suppressed == result.suppressed
    assert suppressed <= math.floor(settings.suppression * table.row_count)
    assert len(groups) == result.classes
    assert min(groups.values()) >= settings.k
    if settings.l is not None:
        for counts in sensitive.values():
            if settings.l_model == "distinct":
                assert len(counts) >= settings.l
            else:
                total = sum(counts.values())
                entropy = -sum(c / total * math.log(c / total) for c in counts.values())
                assert entropy >= math.log(settings.l) - 1e-9
    # Generalisation only coarsens: every output value is the input's ancestor at its level.
    hierarchies = _hierarchies()
    for name in settings.quasi:
        hierarchy = hierarchies[name]
        level = result.levels[name]
        for original, published in zip(table.columns[name], output.columns[name], strict=True):
            if published != "*":
                assert hierarchy.rows[hierarchy.leaf_index[original]][level] == published
    # Non-quasi columns pass through untouched.
    assert output.columns["diagnosis"] == table.columns["diagnosis"]


def test_an_unreachable_model_is_refused_not_half_met() -> None:
    table = _table(1, records=10)
    settings = PrivacySettings(quasi=("age", "sex", "area"), k=11)
    with pytest.raises(SafeguardRefused):
        anonymise_table(table, _hierarchies(), settings)


def test_the_top_node_always_satisfies_k_when_the_table_is_big_enough() -> None:
    table = _table(4, records=30)
    settings = PrivacySettings(quasi=("age", "sex", "area"), k=30)
    result = anonymise_table(table, _hierarchies(), settings)
    assert result.levels == {"age": 3, "sex": 1, "area": 2}
    assert result.classes == 1
    assert np.all(np.array(result.table.columns["sex"]) == "*")


def _wide_problem_table(seed: int) -> tuple[TextTable, dict[str, Hierarchy]]:
    """Five quasi-identifiers (a 4 x 2 x 3 x 4 x 3 = 288-node lattice) over 300 records."""
    rng = random.Random(seed)
    hierarchies = _hierarchies()
    hierarchies["weight"] = hierarchy_from_rows(
        "weight", [[str(w), f"{w // 10 * 10}s", "heavy" if w >= 80 else "light", "*"]
                   for w in range(50, 110)])
    hierarchies["smoker"] = hierarchy_from_rows(
        "smoker", [["never", "no", "*"], ["former", "no", "*"], ["current", "yes", "*"]])
    rows = [[str(rng.randint(20, 59)), rng.choice("FM"), rng.choice("ABC") + rng.choice("123"),
             str(int(rng.gauss(78, 12)) if rng.random() < 0.9 else rng.randint(50, 109)),
             rng.choice(["never", "never", "former", "current"]),
             rng.choice(["flu", "asthma", "diabetes", "copd"])] for _ in range(300)]
    for row in rows:
        row[3] = str(min(max(int(row[3]), 50), 109))
    table = TextTable.from_rows(["age", "sex", "area", "weight", "smoker", "diagnosis"], rows)
    return table, hierarchies


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("metric", "k", "suppression", "l_value", "l_model"), [
    ("loss", 3, 0.0, None, "distinct"), ("loss", 3, 0.05, None, "distinct"),
    ("entropy", 2, 0.03, None, "distinct"), ("entropy", 5, 0.0, None, "distinct"),
    ("discernibility", 2, 0.05, None, "distinct"), ("loss", 2, 0.05, 1.5, "entropy"),
])
def test_the_pruned_search_agrees_on_a_larger_lattice(
        seed: int, metric: str, k: int, suppression: float, l_value: float | None,
        l_model: str) -> None:
    table, hierarchies = _wide_problem_table(seed)
    settings = PrivacySettings(
        quasi=("age", "sex", "area", "weight", "smoker"), k=k, suppression=suppression,
        metric=metric, sensitive="diagnosis" if l_value else None, l=l_value, l_model=l_model)
    problem = build_problem(table, hierarchies, settings)
    scorer = make_metric(metric, problem)
    expected = exhaustive_transformation(problem, scorer)
    found = optimal_transformation(problem, scorer)
    assert (found.levels, found.score) == expected
    assert found.evaluated < found.lattice_size

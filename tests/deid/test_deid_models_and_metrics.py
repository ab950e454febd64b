"""Privacy models and information-loss metrics on tiny tables whose answers are worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openhaven.provisioning.deid import hierarchy_from_rows
from openhaven.provisioning.deid.evaluation import Problem, evaluate_records
from openhaven.provisioning.deid.metrics import make_metric, truncate
from openhaven.provisioning.deid.privacy_models import (
    ClassView,
    DistinctLDiversity,
    EntropyLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
    OrderedDistanceTCloseness,
)


def _view(sizes: list[int], histograms: list[list[int]] | None = None,
          overall: list[float] | None = None) -> ClassView:
    return ClassView(
        sizes=np.array(sizes, dtype=np.int64),
        histograms=None if histograms is None else np.array(histograms, dtype=np.int64),
        overall=None if overall is None else np.array(overall, dtype=np.float64),
    )


def test_k_anonymity_needs_k_records_per_class() -> None:
    assert KAnonymity(3).classes_ok(_view([1, 5, 3])).tolist() == [False, True, True]


def test_distinct_l_diversity_counts_distinct_sensitive_values() -> None:
    view = _view([1, 5, 3], [[1, 0], [3, 2], [3, 0]])
    assert DistinctLDiversity(2).classes_ok(view).tolist() == [False, True, False]


def test_entropy_l_diversity_needs_entropy_of_log_l() -> None:
    # [1,1] and [2,2] have entropy exactly ln 2; [3,1] has 0.562 < ln 2.
    view = _view([2, 4, 4], [[1, 1], [3, 1], [2, 2]])
    assert EntropyLDiversity(2).classes_ok(view).tolist() == [True, False, True]
    assert EntropyLDiversity(1.5).classes_ok(view).tolist() == [True, True, True]


def test_equal_distance_t_closeness_is_half_the_l1_distance() -> None:
    view = _view([2, 2], [[2, 0], [1, 1]], overall=[0.5, 0.5])
    assert EqualDistanceTCloseness(0.4).classes_ok(view).tolist() == [False, True]
    assert EqualDistanceTCloseness(0.5).classes_ok(view).tolist() == [True, True]


def test_ordered_distance_t_closeness_moves_mass_between_neighbours() -> None:
    # Distances: [1,0,0] -> (2/3 + 1/3) / 2 = 0.5; [0,1,0] -> (1/3 + 1/3) / 2 = 1/3.
    view = _view([1, 1], [[1, 0, 0], [0, 1, 0]], overall=[1 / 3, 1 / 3, 1 / 3])
    assert OrderedDistanceTCloseness(0.4).classes_ok(view).tolist() == [False, True]
    assert OrderedDistanceTCloseness(0.5).classes_ok(view).tolist() == [True, True]


def _problem(k: int = 1, suppression: float = 0.0) -> Problem:
    """Ages 1,1,2,3 under the hierarchy 1,2 -> A; 3,4 -> B; then *."""
    hierarchy = hierarchy_from_rows(
        "age", [["1", "A", "*"], ["2", "A", "*"], ["3", "B", "*"], ["4", "B", "*"]])
    leaves = np.array([[0], [0], [1], [2]], dtype=np.int64)
    return Problem([hierarchy], leaves, [KAnonymity(k)], suppression)


@pytest.mark.parametrize(("level", "expected"), [(0, 0.0), (1, 1 / 3), (2, 1.0)])
def test_loss_is_the_normalised_share_of_the_domain_covered(level: int, expected: float) -> None:
    # Level 1: every record's value covers 2 of 4 domain values: (4 x 0.5 - 1) / (4 - 1) = 1/3.
    problem = _problem()
    score = make_metric("loss", problem).score(evaluate_records(problem, (level,)))
    assert score == pytest.approx(truncate(expected), abs=1e-12)


def test_loss_counts_a_suppressed_cell_as_fully_lost() -> None:
    # k=2 at level 1: class B (one record) is suppressed: (3 x 0.5 + 1 - 1) / 3 = 0.5.
    problem = _problem(k=2, suppression=0.25)
    evaluation = evaluate_records(problem, (1,))
    assert evaluation.anonymous and evaluation.outliers == 1
    assert make_metric("loss", problem).score(evaluation) == pytest.approx(0.5)


def test_non_uniform_entropy_at_level_one() -> None:
    # a = 2, 1, 1 for ages 1, 2, 3; b = 3, 3, 1: -(2 log2(2/3) + log2(1/3) + log2(1)).
    problem = _problem()
    expected = -(2 * math.log2(2 / 3) + math.log2(1 / 3))
    score = make_metric("entropy", problem).score(evaluate_records(problem, (1,)))
    assert score == truncate(expected)  # values are cut to 10 decimal places
    assert make_metric("entropy", problem).score(evaluate_records(problem, (0,))) == 0.0


def test_discernibility_squares_classes_and_charges_suppressed_records_the_table() -> None:
    assert make_metric("discernibility", _problem()).score(
        evaluate_records(_problem(), (1,))) == 3 * 3 + 1 * 1
    problem = _problem(k=2, suppression=0.25)
    assert make_metric("discernibility", problem).score(
        evaluate_records(problem, (1,))) == 3 * 3 + 4 * 1

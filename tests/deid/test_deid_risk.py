"""The risk report on class sizes worked by hand, and its plain-language summary."""

from __future__ import annotations

import pytest

from openhaven.provisioning.deid import risk_of_rows, risk_report


def test_prosecutor_risk_from_class_sizes() -> None:
    report = risk_report([1, 2, 5], suppressed=2, threshold=0.2)
    assert report.records == 10 and report.suppressed == 2 and report.classes == 3
    assert report.highest_risk == 1.0
    assert report.average_risk == pytest.approx(3 / 8)  # mean of 1/size over the 8 records
    assert report.records_above_threshold == 3  # sizes 1 and 2; size 5 is exactly 0.2
    assert report.sample_uniques == 1
    assert report.records_by_class_size["1"] == 1 and report.records_by_class_size["5-9"] == 5
    assert "3 groups" in report.summary and "2 records were suppressed" in report.summary
    assert "1 records" not in report.summary


def test_rows_with_every_quasi_identifier_suppressed_are_not_rated() -> None:
    rows = [("30-39", "F")] * 3 + [("*", "*")] * 2 + [("40-49", "M")]
    report = risk_of_rows(rows)
    assert report.suppressed == 2 and report.classes == 2 and report.highest_risk == 1.0


def test_a_table_with_every_record_suppressed() -> None:
    report = risk_of_rows([("*", "*")] * 4)
    assert report.classes == 0 and report.highest_risk == 0.0
    assert "All 4 records were suppressed" in report.summary

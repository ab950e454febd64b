"""Hierarchy files: the layout, and errors that say where the problem is without the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.core.errors import InvalidInput
from openhaven.provisioning.deid import hierarchy_from_rows, load_hierarchy
from openhaven.provisioning.deid.hierarchy import encode_column


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hierarchy_encodes_each_level(tmp_path: Path) -> None:
    path = _write(tmp_path / "age.csv", "31;30-39;*\n35;30-39;*\n42;40-49;*\n")
    hierarchy = load_hierarchy("age", path)
    assert hierarchy.height == 3 and hierarchy.domain_size == 3
    assert hierarchy.labels_at(1) == ("30-39", "40-49")
    assert hierarchy.codes_at(1).tolist() == [0, 0, 1]
    assert hierarchy.codes_at(2).tolist() == [0, 0, 0]
    assert hierarchy.leaves_under(1).tolist() == [2, 2, 1]


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("31;30-39;*\n35;30-39\n", 2, None),  # ragged row
        ("31;30-39;*\n31;30-39;*\n", 2, "column 1"),  # value twice
        ("31;30-39;*\n35;;*\n", 2, "column 2"),  # empty cell
        ("31;30-39;*\n35;30-39;x\n", 2, "column 3"),  # not a tree
        ("31;30-39;*\n\n35;30-39;*\n", 2, None),  # blank line inside
    ],
)
def test_a_bad_hierarchy_is_refused_with_file_line_and_column(
    tmp_path: Path, text: str, line: int, field: str | None
) -> None:
    path = _write(tmp_path / "age.csv", text)
    with pytest.raises(InvalidInput) as caught:
        load_hierarchy("age", path)
    location = caught.value.location
    assert location is not None
    assert location.file == str(path)
    assert location.line == line
    assert location.field == field
    assert "35" not in caught.value.message and "31" not in caught.value.message


def test_a_data_value_missing_from_the_hierarchy_is_located_but_not_shown() -> None:
    hierarchy = hierarchy_from_rows("postcode", [["LS1 4AP", "LS1", "*"], ["LS2 9JT", "LS2", "*"]])
    with pytest.raises(InvalidInput) as caught:
        encode_column(hierarchy, ["LS1 4AP", "M1 1AE", "LS2 9JT", "M1 1AE"],
                      source="data.csv", column="postcode")
    error = caught.value
    assert error.location is not None
    assert (error.location.file, error.location.line, error.location.field) == (
        "data.csv", 3, "postcode")
    assert [detail["line"] for detail in error.details] == [3, 5]
    assert "M1 1AE" not in str(error) and "M1 1AE" not in repr(error.details)


def test_a_missing_hierarchy_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_hierarchy("age", tmp_path / "nope.csv")
    assert caught.value.location is not None
    assert caught.value.location.file == str(tmp_path / "nope.csv")

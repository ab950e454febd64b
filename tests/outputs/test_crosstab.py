"""The crosstab builder: figures per cell and margins, Parquet and CSV, clear errors."""

from __future__ import annotations

import statistics
from pathlib import Path

import polars as pl
import pytest

from openhaven.core.errors import InvalidInput
from openhaven.outputs.crosstab import build_crosstab

RECORDS = [
    ("north", "f", 10.0), ("north", "f", 30.0), ("north", "m", 5.0),
    ("south", "f", 7.0), ("south", "m", 1.0), ("south", "m", 2.0), ("south", "m", 3.0),
    ("south", None, 4.0), (None, "m", 9.0),
]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    frame = pl.DataFrame(RECORDS, schema=["region", "sex", "cost"], orient="row")
    path = tmp_path / "cohort.parquet"
    frame.write_parquet(path)
    return path


def test_cells_and_margins(data: Path) -> None:
    table = build_crosstab(data, ["region"], ["sex"], values="cost",
                           aggs=["count", "mean", "sum", "median", "std", "min", "max"])
    assert table.row_keys == (("north",), ("south",), ("All",))
    assert table.col_keys == (("f",), ("m",), ("All",))
    assert table.dropped_missing_keys == 2
    north_f = table.cell(("north",), ("f",))
    assert (north_f.count, north_f.total, north_f.mean) == (2, 40.0, 20.0)
    assert north_f.largest == (30.0, 10.0)
    south_m = table.cell(("south",), ("m",))
    assert south_m.aggregate("median") == 2.0
    assert south_m.aggregate("std") == pytest.approx(statistics.stdev([1, 2, 3]))
    assert (south_m.aggregate("min"), south_m.aggregate("max")) == (1.0, 3.0)
    assert table.cell(("north",), ("All",)).count == 3
    assert table.cell(("All",), ("m",)).count == 4
    grand = table.cell(("All",), ("All",))
    assert (grand.count, grand.total) == (7, 58.0)
    assert grand.aggregate("median") == 5.0


def test_empty_combinations_are_zero_cells(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\nx,1\ny,2\n")
    table = build_crosstab(path, ["a"], ["b"])
    assert table.cell(("x",), (2,)).count == 0
    assert table.cell(("x",), (2,)).aggregate("sum") is None


def test_several_row_variables_and_csv_agree_with_parquet(data: Path, tmp_path: Path) -> None:
    csv = tmp_path / "cohort.csv"
    pl.read_parquet(data).write_csv(csv)
    from_parquet = build_crosstab(data, ["region", "sex"], ["cost"])
    from_csv = build_crosstab(csv, ["region", "sex"], ["cost"])
    assert from_parquet.row_keys == from_csv.row_keys
    assert from_parquet.row_keys[-1] == ("All", "")
    assert {k: v.count for k, v in from_parquet.cells.items()} == \
        {k: v.count for k, v in from_csv.cells.items()}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rows": ["nope"], "cols": ["sex"]}, "nope"),
        ({"rows": ["region"], "cols": ["sex"], "values": "region", "aggs": ["mean"]}, "region"),
        ({"rows": ["region"], "cols": ["sex"], "aggs": ["mean"]}, "values"),
        ({"rows": ["region"], "cols": ["sex"], "aggs": ["mode"]}, "agg"),
    ],
)
def test_bad_requests_name_the_field(data: Path, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_crosstab(data, **kwargs)  # type: ignore[arg-type]
    assert caught.value.location is not None and caught.value.location.field == field


def test_unreadable_and_missing_files_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match="could not be read") as caught:
        build_crosstab(broken, ["a"], ["b"])
    assert caught.value.location is not None and caught.value.location.file == "broken.parquet"
    with pytest.raises(InvalidInput, match="No such data file"):
        build_crosstab(tmp_path / "absent.csv", ["a"], ["b"])


def test_subgroup_condition(data: Path) -> None:
    table = build_crosstab(data, ["region"], ["sex"], where="cost > 4")
    assert table.cell(("All",), ("All",)).count == 4      # 10, 30, 5 and 7
    assert table.dropped_missing_keys == 1
    with pytest.raises(InvalidInput) as caught:
        build_crosstab(data, ["region"], ["sex"], where="no_such_column > 1")
    assert caught.value.location is not None and caught.value.location.field == "where"


def test_single_pass_rollup_agrees_with_grouping_sets(cohort: Path) -> None:
    # count/mean take the one-pass roll-up; adding a median forces GROUPING SETS.
    rolled = build_crosstab(cohort, ["region", "band"], ["sex"], values="cost",
                            aggs=["count", "mean"])
    direct = build_crosstab(cohort, ["region", "band"], ["sex"], values="cost",
                            aggs=["count", "mean", "median"])
    assert rolled.row_keys == direct.row_keys and rolled.col_keys == direct.col_keys
    for key, stats in direct.cells.items():
        other = rolled.cells[key]
        assert (other.count, other.values, other.missing, other.negatives) == \
            (stats.count, stats.values, stats.missing, stats.negatives)
        assert other.total == pytest.approx(stats.total)
        assert other.mean == pytest.approx(stats.mean)
        assert (other.minimum, other.maximum) == (stats.minimum, stats.maximum)
        assert other.largest == stats.largest

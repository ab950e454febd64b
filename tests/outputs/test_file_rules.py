"""File rules for job outputs: allowed types, limits, and no identifiers by name or shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openhaven.outputs.file_rules import PNG_SIGNATURE, check_output_file, identifier_kind
from openhaven.provisioning.pseudonym import pseudonymise

NHS = "9434765919"  # a valid test number (Modulus 11)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def rules(path: Path, **limits: int) -> set[str]:
    return {finding.rule for finding in check_output_file(path, **limits).findings}


def test_a_plain_table_passes(tmp_path: Path) -> None:
    check = check_output_file(write(tmp_path, "t.csv", "region,count\nnorth,120\nsouth,95\n"))
    assert check.verdict == "pass" and check.rows == 2


@pytest.mark.parametrize("name", ["model.pkl", "data.parquet", "notes", "t.xlsx"])
def test_only_allowed_types(tmp_path: Path, name: str) -> None:
    assert rules(write(tmp_path, name, "x")) == {"file-type"}


def test_size_and_row_limits(tmp_path: Path) -> None:
    big = write(tmp_path, "big.txt", "a line\n" * 100)
    assert rules(big, max_bytes=100) == {"file-size"}
    assert rules(big, max_rows=50) == {"row-limit"}
    assert rules(big) == set()


def test_identifier_columns_and_values_in_csv(tmp_path: Path) -> None:
    by_name = check_output_file(write(tmp_path, "a.csv", "NHS Number,count\n1,2\n"))
    assert [f.rule for f in by_name.findings] == ["identifier-column"]
    key = bytes(32)
    pseudonym = pseudonymise(key, b"patient")
    by_value = check_output_file(write(
        tmp_path, "b.csv", f"who,count\n{pseudonym},1\nx,2\n{NHS[:3]} {NHS[3:6]} {NHS[6:]},3\n"))
    wheres = [f.where for f in by_value.findings]
    assert wheres == ["b.csv, line 2, column who"]  # one finding per column is enough
    for finding in by_name.findings + by_value.findings:
        assert NHS not in json.dumps(finding.as_dict()) and pseudonym not in finding.reason


def test_identifiers_in_json_txt_and_svg(tmp_path: Path) -> None:
    doc = {"rows": [{"group": "a", "n": 10}, {"group": "b", "patient_id": 7}]}
    assert rules(write(tmp_path, "r.json", json.dumps(doc))) == {"identifier-column"}
    assert rules(write(tmp_path, "v.json", json.dumps({"values": [int(NHS)]}))) == {
        "identifier-value"}
    assert rules(write(tmp_path, "log.txt", f"done\nfirst patient {NHS}\n")) == {
        "identifier-value"}
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>n=12</text></svg>'
    assert rules(write(tmp_path, "f.svg", svg)) == set()
    scripted = svg.replace("<text>", "<script>alert(1)</script><text>")
    assert rules(write(tmp_path, "s.svg", scripted)) == {"svg-script"}
    assert rules(write(tmp_path, "bad.svg", "<svg")) == {"file-type"}


def test_png_must_be_a_png(tmp_path: Path) -> None:
    assert rules(write(tmp_path, "ok.png", PNG_SIGNATURE + b"rest")) == set()
    assert rules(write(tmp_path, "fake.png", b"GIF89a")) == {"file-type"}


def test_identifier_shapes() -> None:
    assert identifier_kind(NHS) == "NHS number"
    assert identifier_kind("9434765918") is None        # check digit wrong: a count, maybe
    assert identifier_kind("12345678901") is None       # eleven digits
    assert identifier_kind("a" * 24) == "pseudonym"
    assert identifier_kind("a" * 25) is None
    assert identifier_kind("total 1204") is None

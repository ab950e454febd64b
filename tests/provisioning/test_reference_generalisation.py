"""postcode_region and code_parent: the shipped reference data, the haven's own files, and
the generator's places and codes run through the operators' SQL in the engine."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from openhaven.core.errors import ConfigurationError, InvalidInput
from openhaven.engine import open_session
from openhaven.governance.icd10 import parse_term
from openhaven.provisioning.reference.settings import (
    POSTCODE_REGIONS_ENV,
    SNOMED_RELATIONSHIPS_ENV,
    ReferenceFiles,
    reference_files,
)
from openhaven.provisioning.reference.tables import (
    RF2_COLUMNS,
    install_reference_tables,
    postcode_table,
    shipped_snomed_parents,
)
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.provisioning.transformations import render_column
from openhaven.records.generator.care_catalogue import (
    ENCOUNTER_TYPES,
    MEASUREMENTS,
    PROCEDURES,
)
from openhaven.records.generator.clinical_catalogue import CONDITIONS
from openhaven.records.generator.places import REGIONS
from openhaven.records.schema import TABLES_BY_NAME

ROOT = "138875005"
#: generator districts whose postcode area mostly lies in another region (the area table
#: gives the area's majority region; a district-level table gives their own)
STRADDLING = {"S40": "Yorkshire and The Humber", "PE21": "East of England",
              "MK40": "South East", "KT1": "South East"}
ONS_REGIONS = {
    "E12000001": "North East", "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber", "E12000004": "East Midlands",
    "E12000005": "West Midlands", "E12000006": "East of England", "E12000007": "London",
    "E12000008": "South East", "E12000009": "South West", "W92000004": "Wales",
    "S92000003": "Scotland", "N92000002": "Northern Ireland",
}


def _apply(table: str, column: str, operator: str, values: list[Any],
           systems: list[str] | None = None, files: ReferenceFiles | None = None) -> list[Any]:
    """Run ``operator`` over ``values`` in the engine, as the extract builder does."""
    source = TABLES_BY_NAME[table].column(column)
    rendered = render_column(operator, f"t.{column}", source, dt.date.min)
    assert rendered is not None
    data: dict[str, Any] = {"row": list(range(len(values))),
                            column: pa.array(values, pa.string())}
    if systems is not None:
        data["code_system"] = systems
    with open_session(None) as session:
        install_reference_tables(session, files)
        session.register("t", pa.table(data))
        out: list[Any] = session.query(
            f"SELECT {rendered[1]} AS v FROM t ORDER BY row").column("v").to_pylist()
    return out


def _generator_postcodes() -> list[tuple[str, str]]:
    """One full postcode per generator district, with the region the generator puts it in."""
    return [(f"{district} 4AP", region.name) for region in REGIONS
            for district, _town in region.districts]


# --- postcodes -------------------------------------------------------------------------------

def test_the_area_table_covers_the_uk_with_ons_codes_and_names() -> None:
    rows = postcode_table().to_pylist()
    assert len(rows) == len({r["key"] for r in rows}) == 121
    assert {(r["region_code"], r["region_name"]) for r in rows} == set(ONS_REGIONS.items())
    assert all(re.fullmatch(r"[A-Z]{1,2}", r["key"]) for r in rows)


def test_generator_postcodes_map_to_the_generators_region_but_for_straddling_areas() -> None:
    postcodes = _generator_postcodes()
    regions = _apply("patients", "postcode", "postcode_region", [p for p, _ in postcodes])
    mismatched = {p.split()[0]: got for (p, want), got in zip(postcodes, regions, strict=True)
                  if got != want}
    assert mismatched == STRADDLING


def test_a_district_level_table_wins_over_the_areas(tmp_path: Path) -> None:
    codes = {name: code for code, name in ONS_REGIONS.items()}
    table = tmp_path / "districts.csv"
    table.write_text("# built from the generator's places\ndistrict,region_code,region_name\n"
                     + "".join(f"{d},{codes[r.name]},{r.name}\n" for r in REGIONS
                               for d, _t in r.districts), encoding="utf-8")
    postcodes = _generator_postcodes()
    files = ReferenceFiles(postcode_regions=table)
    regions = _apply("patients", "postcode", "postcode_region", [p for p, _ in postcodes],
                     files=files)
    assert regions == [want for _p, want in postcodes]
    # a district the table lacks falls back to its area
    assert _apply("patients", "postcode", "postcode_region:code", ["LS2 9JT", "KT2 5AA"],
                  files=files) == ["E12000003", "E12000008"]


@pytest.mark.parametrize(("postcode", "expected"), [
    ("ls1 4ap", "E12000003"), ("LS14AP", "E12000003"), ("  SW1A 1AA ", "E12000007"),
    ("EH1 1YZ", "S92000003"), ("BT1 5GS", "N92000002"), ("CF10 1EP", "W92000004"),
    ("GY1 1AA", None), ("JE2 3AB", None), ("IM1 1AA", None),  # Crown dependencies
    ("XQ1 1AA", None), ("LS1", None), ("LS1 4A", None), ("12345", None), ("", None),
    ("LS1 4AP; DROP", None), (None, None),
])
def test_unknown_or_malformed_postcodes_become_null(postcode: str | None,
                                                    expected: str | None) -> None:
    assert _apply("patients", "postcode", "postcode_region:code", [postcode]) == [expected]


@pytest.mark.parametrize(("content", "message"), [
    ("postcode,region_code,region_name\n", "header"),
    ("area,region_code,region_name\nLS,E1200000X,Somewhere\n", "line 2"),
    ("area,region_code,region_name\nLS1,E12000003,Yorkshire\n", "not a postcode area"),
    ("# a comment\ndistrict,region_code,region_name\nLS1,E12000003,Y\nLS1,E12000003,Y\n",
     "line 4: LS1 is listed twice"),
])
def test_a_bad_haven_table_is_refused_naming_the_line(tmp_path: Path, content: str,
                                                      message: str) -> None:
    table = tmp_path / "regions.csv"
    table.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        postcode_table(table)


def test_an_area_level_haven_table_replaces_the_shipped_one(tmp_path: Path) -> None:
    table = tmp_path / "areas.csv"
    table.write_text("area,region_code,region_name\nLS,E12000003,Yorkshire and The Humber\n",
                     encoding="utf-8")
    assert _apply("patients", "postcode", "postcode_region", ["LS1 4AP", "M1 1AE"],
                  files=ReferenceFiles(postcode_regions=table)) == [
        "Yorkshire and The Humber", None]


# --- configuration ---------------------------------------------------------------------------

def test_files_come_from_the_settings_file_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(POSTCODE_REGIONS_ENV, raising=False)
    monkeypatch.delenv(SNOMED_RELATIONSHIPS_ENV, raising=False)
    assert reference_files(tmp_path) == ReferenceFiles()
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "districts.csv").write_text("district,region_code,region_name\n")
    (tmp_path / "other.csv").write_text("area,region_code,region_name\n")
    (tmp_path / "openhaven.toml").write_text(
        '[provisioning.reference]\npostcode_regions = "ref/districts.csv"\n')
    assert reference_files(tmp_path).postcode_regions == tmp_path / "ref" / "districts.csv"
    monkeypatch.setenv(POSTCODE_REGIONS_ENV, str(tmp_path / "other.csv"))
    assert reference_files(tmp_path).postcode_regions == tmp_path / "other.csv"
    monkeypatch.setenv(SNOMED_RELATIONSHIPS_ENV, str(tmp_path / "missing.txt"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        reference_files(tmp_path)


# --- clinical codes --------------------------------------------------------------------------

def _generator_snomed_codes() -> set[str]:
    return ({c.snomed for c in CONDITIONS} | {m.snomed for m in MEASUREMENTS.values()}
            | {p.snomed for p in PROCEDURES.values()}
            | {e.snomed for e in ENCOUNTER_TYPES.values()})


def test_every_snomed_code_the_generator_and_demo_record_has_a_parent() -> None:
    codes = sorted(_generator_snomed_codes() | {"38341003"})  # the demo's hypertension
    parents = _apply("conditions", "code", "code_parent", codes, ["snomed"] * len(codes))
    assert all(parents), dict(zip(codes, parents, strict=True))
    assert parents[codes.index("38341003")] == "49601007"  # disorder of cardiovascular system


def test_the_shipped_snomed_hierarchy_is_one_tree_under_the_root() -> None:
    rows = shipped_snomed_parents().to_pylist()
    parent = {r["code"]: r["parent"] for r in rows}
    assert len(parent) == len(rows) and parent[ROOT] is None
    for code in parent:
        seen, at = set(), code
        while at != ROOT:
            assert at not in seen and parent.get(at) is not None, f"{code} never reaches root"
            seen.add(at)
            at = parent[at]


def test_icd10_codes_climb_category_block_chapter() -> None:
    codes = sorted({c.icd10 for c in CONDITIONS})
    systems = ["icd10"] * len(codes)
    one, two, three, four = (
        _apply("conditions", "code", f"code_parent:{n}", codes, systems) for n in (1, 2, 3, 4))
    for code, category, block, chapter, beyond in zip(codes, one, two, three, four,
                                                      strict=True):
        if "." in code:  # a subcategory: its category, then the block and chapter
            assert category == code.split(".")[0]
            assert parse_term(code).within(parse_term(block))
            assert parse_term(block).within(parse_term(chapter)) and beyond is None
        else:  # a category climbs one level fewer
            assert parse_term(code).within(parse_term(category))
            assert parse_term(category).within(parse_term(block)) and chapter is None
    assert _apply("conditions", "code", "code_parent", ["I10.X", "i10x", "E11.9 ", "E1"],
                  ["icd10", "ICD10", "icd10", "icd10"]) == ["I10", "I10", "E11", None]


def test_codes_without_a_known_parent_become_null() -> None:
    assert _apply("conditions", "code", "code_parent",
                  ["44054006", "123456", "2345-7", "325278007", "E11.9"],
                  ["snomed", "snomed", "loinc", "dmd", "snomed"]) == [
        "73211009", None, None, None, None]
    # hypertension is four levels below the root: five levels up is no concept
    assert _apply("conditions", "code", "code_parent:5", ["38341003"], ["snomed"]) == [None]


def _rf2(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """Relationship rows (source, destination, type, active) in RF2's layout."""
    lines = ["\t".join(RF2_COLUMNS)] + [
        "\t".join((str(100 + n) + "020", "20250101", active, "900000000000207008", source,
                   destination, "0", kind, "900000000000011006", "900000000000451002"))
        for n, (source, destination, kind, active) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_rf2_snapshot_gives_the_active_is_a_parents_narrowest_first(tmp_path: Path) -> None:
    snapshot = _rf2(tmp_path / "sct2_Relationship_Snapshot_INT_20250101.txt", [
        ("44054006", "73211009", "116680003", "1"),   # T2DM is a diabetes mellitus
        ("44054006", "99999001", "116680003", "1"),   # ... and a broad grouping
        ("11111001", "99999001", "116680003", "1"),   # the broad grouping has more children
        ("44054006", "55555005", "116680003", "0"),   # inactive: ignored
        ("44054006", "77777007", "363698007", "1"),   # a finding site, not "is a": ignored
        ("73211009", "126877002", "116680003", "1"),
    ])
    files = ReferenceFiles(snomed_relationships=snapshot)
    assert _apply("conditions", "code", "code_parent", ["44054006", "38341003"],
                  ["snomed", "snomed"], files=files) == ["73211009", None]
    assert _apply("conditions", "code", "code_parent:2", ["44054006"], ["snomed"],
                  files=files) == ["126877002"]
    # ICD-10 keeps its own structure beside the release
    assert _apply("conditions", "code", "code_parent", ["E11.9"], ["icd10"],
                  files=files) == ["E11"]


def test_a_file_that_is_not_an_rf2_snapshot_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "sct2_Description_Snapshot.txt"
    wrong.write_text("id\teffectiveTime\tactive\tterm\n", encoding="utf-8")
    with open_session(None) as session, pytest.raises(ConfigurationError, match="RF2"):
        install_reference_tables(session, ReferenceFiles(snomed_relationships=wrong))


# --- the specification -----------------------------------------------------------------------

@pytest.mark.parametrize(("table", "columns", "field_name", "message"), [
    ("patients", {"postcode": "postcode_region:county"}, "tables.patients.postcode", ":code"),
    ("patients", {"date_of_birth": "postcode_region"}, "tables.patients.date_of_birth",
     "does not apply"),
    ("conditions", {"code": "code_parent:0"}, "tables.conditions.code", "1 to 5"),
    ("conditions", {"code": "code_parent:6"}, "tables.conditions.code", "1 to 5"),
    ("conditions", {"code": "code_parent:two"}, "tables.conditions.code", "1 to 5"),
    ("patients", {"postcode": "code_parent"}, "tables.patients.postcode", "code_system"),
])
def test_bad_arguments_are_refused_where_they_are(
    table: str, columns: dict[str, str], field_name: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        DatasetSpecification.from_dict(
            {"tables": {table: {"patient_id": "pseudonymise", **columns}}})
    assert caught.value.location is not None and caught.value.location.field == field_name
    assert message in str(caught.value)


def test_a_region_can_be_a_quasi_identifier_of_the_privacy_model() -> None:
    spec = DatasetSpecification.from_dict({
        "tables": {"patients": {"patient_id": "pseudonymise", "postcode": "postcode_region",
                                "sex": "keep"},
                   "conditions": {"patient_id": "pseudonymise", "code_system": "keep",
                                  "code": "code_parent:2"}},
        "privacy": {"quasi_identifiers": ["postcode_region", "sex"], "k": 5},
    })
    assert spec.output_columns("patients") == ["pseudonym", "sex", "postcode_region"]
    assert spec.as_dict()["tables"]["conditions"]["code"] == "code_parent:2"

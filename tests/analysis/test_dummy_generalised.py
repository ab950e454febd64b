"""Dummy data for generalised columns holds what the real extract would: regions for
``postcode_region``, areas for ``postcode_area``, ancestors for ``code_parent``."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.analysis.dummy_data import code_list, generate_dummy_extract
from openhaven.analysis.extract_schema import extract_schema
from openhaven.engine import open_session
from openhaven.provisioning.reference.tables import (
    icd10_parents,
    postcode_table,
    shipped_snomed_parents,
)
from openhaven.provisioning.specification import DatasetSpecification


def _specification(region: str, code: str) -> DatasetSpecification:
    return DatasetSpecification.from_dict({"tables": {
        "patients": {"patient_id": "pseudonymise", "sex": "keep", "postcode": region},
        "conditions": {"patient_id": "pseudonymise", "code_system": "keep", "code": code},
    }})


def _parent_map() -> dict[tuple[str, str], str | None]:
    found: dict[tuple[str, str], str | None] = {}
    for table in (icd10_parents(), shipped_snomed_parents()):
        rows = table.to_pylist()
        found.update({(r["code_system"], r["code"]): r["parent"] for r in rows})
    return found


def _ancestors(system: str, levels: int) -> set[str | None]:
    parents = _parent_map()
    reached: set[str | None] = set()
    for code in code_list("conditions", system):
        value: str | None = code.replace(".", "").upper() if system == "icd10" else code
        for _ in range(levels):
            value = None if value is None else parents.get((system, value))
        reached.add(value)
    return reached


@pytest.mark.parametrize(("region", "as_codes"), [("postcode_region", False),
                                                  ("postcode_region:code", True)])
@pytest.mark.parametrize("levels", [1, 2])
def test_dummy_columns_hold_values_the_operators_produce(
    tmp_path: Path, region: str, as_codes: bool, levels: int
) -> None:
    schema = extract_schema(_specification(region, f"code_parent:{levels}"))
    generate_dummy_extract(schema, tmp_path / "dummy", patients=300, seed=5)
    regions = set(postcode_table().column("region_code" if as_codes else "region_name")
                  .to_pylist())
    with open_session(tmp_path / "dummy" / "extract.duckdb", read_only=True) as dummy:
        found_regions = set(dummy.query(
            "SELECT DISTINCT postcode_region FROM patients").column(0).to_pylist())
        rows = dummy.query("SELECT DISTINCT code_system, code FROM conditions").to_pylist()
    assert found_regions and found_regions <= regions
    assert rows
    for system in ("snomed", "icd10"):
        codes = {r["code"] for r in rows if r["code_system"] == system}
        assert codes <= _ancestors(system, levels)
        # generalised, not the catalogue's own codes passed through
        assert not (codes - {None}) & set(code_list("conditions", system))


def test_dummy_postcode_areas_are_letters_only(tmp_path: Path) -> None:
    schema = extract_schema(_specification("postcode_area", "keep"))
    generate_dummy_extract(schema, tmp_path / "dummy", patients=100, seed=1)
    with open_session(tmp_path / "dummy" / "extract.duckdb", read_only=True) as dummy:
        areas = dummy.query("SELECT DISTINCT postcode_area FROM patients").column(0).to_pylist()
    assert areas and all(a.isalpha() and a.isupper() and len(a) <= 2 for a in areas)

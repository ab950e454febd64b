"""The extract pipeline end to end on real files: privacy model, suppression, refreshes."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pipeline_fixtures import CUT_OFF, GENERALISED, MASTER, NHS_NUMBERS, write_population

from openhaven.core.errors import SafeguardRefused
from openhaven.engine import open_session
from openhaven.provisioning.extract_builder import (
    MANIFEST_FILE,
    RISK_FILE,
    ExtractBuild,
    build_extract,
)
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.provisioning.specification import DatasetSpecification

QUASI = ["age_band", "sex", "postcode_area"]


def _spec(**privacy: Any) -> DatasetSpecification:
    raw: dict[str, Any] = dict(GENERALISED)
    if privacy:
        raw = {**raw, "privacy": {"quasi_identifiers": QUASI, **privacy}}
    return DatasetSpecification.from_dict(raw)


def _build(tmp_path: Path, spec: DatasetSpecification, name: str = "v1",
           reference: str = "OH-1", opted_out: list[str] | None = None) -> ExtractBuild:
    store = tmp_path / "records.duckdb"
    if not store.exists():
        write_population(store)
    return build_extract(store, tmp_path / name, specification=spec,
                         project_key=project_key(MASTER, reference),
                         opted_out_nhs_numbers=opted_out or [], cut_off=CUT_OFF)


def _rows(build: ExtractBuild, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(
        build.path.parent / "tables" / f"{table}.parquet").to_pylist()
    return rows


def _class_sizes(rows: list[dict[str, Any]], quasi: list[str]) -> Counter[tuple[Any, ...]]:
    """Equivalence classes counted in plain Python, apart from the code under test."""
    return Counter(tuple(r[q] for q in quasi) for r in rows
                   if any(r[q] is not None for q in quasi))


def test_without_suppression_an_unmet_model_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(SafeguardRefused, match="privacy model") as caught:
        _build(tmp_path, _spec(k=50))
    assert caught.value.location is not None and caught.value.location.field == "privacy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.duckdb"]


def test_suppression_beyond_the_approved_share_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SafeguardRefused, match="at most 1"):
        _build(tmp_path, _spec(k=5, suppression="record", suppression_limit=0.01))
    assert not (tmp_path / "v1").exists()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_k_anonymity_holds_whenever_the_report_says_so(tmp_path: Path, k: int) -> None:
    build = _build(tmp_path, _spec(k=k, suppression="record", suppression_limit=0.5))
    patients = _rows(build, "patients")
    sizes = _class_sizes(patients, QUASI)
    assert build.privacy["satisfied"] is True
    assert min(sizes.values()) >= k
    assert build.risk["smallest_class"] == min(sizes.values())
    assert build.risk["highest_risk"] == pytest.approx(1 / min(sizes.values()))
    suppressed = build.privacy["suppressed_patients"]
    assert len(patients) == 120 - suppressed == build.patient_count
    # the suppressed patients' conditions went with them
    assert {r["pseudonym"] for r in _rows(build, "conditions")} == {
        r["pseudonym"] for r in patients}


def test_cell_suppression_blanks_quasi_identifiers_and_keeps_the_patient(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec(k=4, suppression="cell", suppression_limit=0.5))
    patients = _rows(build, "patients")
    assert len(patients) == 120
    blanked = [r for r in patients if all(r[q] is None for q in QUASI)]
    assert len(blanked) == build.privacy["suppressed_patients"] > 0
    assert build.risk["suppressed"] == len(blanked)
    assert min(_class_sizes(patients, QUASI).values()) >= 4


def test_l_diversity_of_the_sensitive_attribute(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec(k=2, sensitive="ethnicity", l=2, suppression="record",
                                   suppression_limit=0.6))
    by_class: dict[tuple[Any, ...], set[str]] = {}
    for row in _rows(build, "patients"):
        by_class.setdefault(tuple(row[q] for q in QUASI), set()).add(row["ethnicity"])
    assert by_class and min(len(v) for v in by_class.values()) >= 2


def test_risk_report_is_written_next_to_the_extract(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec())
    report = json.loads((build.path.parent / RISK_FILE).read_text())
    assert report["risk"]["quasi_identifiers"] == ["age_band", "sex", "ethnicity",
                                                   "postcode_area"]
    assert report["risk"]["records"] == 120
    assert "records" in report["risk"]["summary"]
    assert sum(report["risk"]["records_by_class_size"].values()) == 120


def test_refresh_with_the_same_inputs_is_byte_identical(tmp_path: Path) -> None:
    spec = _spec(k=3, suppression="record", suppression_limit=0.5)
    first, second = _build(tmp_path, spec, "v1"), _build(tmp_path, spec, "v2")
    for name in ("tables/patients.parquet", "tables/conditions.parquet", MANIFEST_FILE,
                 RISK_FILE):
        assert (tmp_path / "v1" / name).read_bytes() == (tmp_path / "v2" / name).read_bytes()
    assert first.manifest_digest == second.manifest_digest
    other = _build(tmp_path, spec, "v3", reference="OH-2")
    assert other.manifest_digest != first.manifest_digest


def test_pseudonyms_are_stable_within_and_unlinkable_across_projects(tmp_path: Path) -> None:
    one = _build(tmp_path, _spec(), "a1", reference="OH-1")
    again = _build(tmp_path, _spec(), "a2", reference="OH-1")
    other = _build(tmp_path, _spec(), "b1", reference="OH-2")
    assert one.pseudonyms == again.pseudonyms
    assert not set(one.pseudonyms) & set(other.pseudonyms)
    expected = pseudonymise(project_key(MASTER, "OH-1"), patient_token(NHS_NUMBERS[0], "p000"))
    assert expected in one.pseudonyms


def test_date_shifting_is_consistent_within_a_patient(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec())
    key = project_key(MASTER, "OH-1")
    with open_session(tmp_path / "records.duckdb", read_only=True) as store:
        source = store.query("SELECT p.nhs_number, p.patient_id, c.condition_id, c.onset_date "
                             "FROM conditions c JOIN patients p USING (patient_id)").to_pylist()
    original: dict[tuple[str, int], dt.date] = {}
    for row in source:
        pseudonym = pseudonymise(key, patient_token(row["nhs_number"], row["patient_id"]))
        original[(pseudonym, int(row["condition_id"][-1]))] = row["onset_date"]
    offsets: dict[str, set[int]] = {}
    for row in _rows(build, "conditions"):
        candidates = [original[(row["pseudonym"], j)] for j in range(2)]
        shift = min((row["onset_date"] - c).days for c in candidates
                    if abs((row["onset_date"] - c).days) <= 30)
        offsets.setdefault(row["pseudonym"], set()).add(shift)
    assert all(len(shifts) == 1 for shifts in offsets.values())  # one offset per patient
    distinct = {next(iter(shifts)) for shifts in offsets.values()}
    assert len(distinct) > 10 and max(abs(d) for d in distinct) <= 30  # varied, bounded


def test_no_direct_identifier_reaches_the_extract(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec())
    text = b"".join(p.read_bytes() for p in (build.path.parent / "tables").iterdir())
    text += (build.path.parent / MANIFEST_FILE).read_bytes()
    text += (build.path.parent / RISK_FILE).read_bytes()
    for number in NHS_NUMBERS:
        assert number.encode() not in text
    assert b"Name1" not in text and b"Family1" not in text and b"0113" not in text
    with open_session(build.path, read_only=True) as session:
        columns = {r["column_name"] for r in session.query(
            "SELECT column_name FROM information_schema.columns").to_pylist()}
    assert not columns & {"nhs_number", "given_name", "family_name", "phone", "postcode",
                          "date_of_birth", "patient_id"}


def test_cohort_criteria_select_patients(tmp_path: Path) -> None:
    spec = DatasetSpecification.from_dict({
        **GENERALISED,
        "cohort": {"conditions": ["E11"], "age": [40, 70], "onset": ["2016-01-01", None]},
    })
    build = _build(tmp_path, spec)
    with open_session(tmp_path / "records.duckdb", read_only=True) as store:
        expected = store.scalar(
            "SELECT count(*) FROM patients p WHERE date_sub('year', p.date_of_birth, "
            "DATE '2026-06-30') BETWEEN 40 AND 70 AND EXISTS (SELECT 1 FROM conditions c "
            "WHERE c.patient_id = p.patient_id AND c.code LIKE 'E11%' "
            "AND c.onset_date >= DATE '2016-01-01')")
    assert 0 < build.patient_count == expected < 120
    bands = {r["age_band"] for r in _rows(build, "patients")}
    assert bands <= {"40-59", "60-79"}


def test_choices_come_after_the_cohort(tmp_path: Path) -> None:
    build = _build(tmp_path, _spec(), opted_out=NHS_NUMBERS[:10])
    assert build.patient_count == 110
    assert build.removed_by_choices == 10


def test_specification_round_trips_through_as_dict() -> None:
    raw = {**GENERALISED,
           "cohort": {"conditions": ["E11"], "age": [40, None], "onset": ["2016-01-01", None]},
           "privacy": {"quasi_identifiers": QUASI, "k": 5, "sensitive": "ethnicity", "l": 2,
                       "suppression": "record", "suppression_limit": 0.05}}
    spec = DatasetSpecification.from_dict(raw)
    assert DatasetSpecification.from_dict(spec.as_dict()) == spec

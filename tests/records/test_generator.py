"""The synthetic population: deterministic, schema-exact, consistent and England-shaped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openhaven.core.errors import InvalidInput
from openhaven.records import nhs_number
from openhaven.records.generator import generate_population, generate_to_parquet, write_parquet
from openhaven.records.generator import population as population_module
from openhaven.records.generator.conditions import ALL_CONDITIONS
from openhaven.records.generator.ethnicity import CODES, ENGLAND_PERCENT
from openhaven.records.generator.nhs_numbers import nhs_numbers_for, permute_positions
from openhaven.records.generator.places import POSTCODE_PATTERN
from openhaven.records.generator.population_pyramid import BAND_STARTS, band_shares
from openhaven.records.schema import TABLES

AS_OF = dt.date(2026, 1, 1)
PATIENTS = 20_000
EVENT_TABLES = ("encounters", "conditions", "observations", "medications", "procedures", "notes")
EVENT_DATE = {
    "encounters": "start_date",
    "conditions": "onset_date",
    "observations": "observation_date",
    "medications": "start_date",
    "procedures": "procedure_date",
    "notes": "note_date",
}


@pytest.fixture(scope="module")
def arrow_population() -> dict[str, pa.Table]:
    return generate_population(PATIENTS, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def frames(arrow_population: dict[str, pa.Table]) -> dict[str, pl.DataFrame]:
    result = {name: pl.from_arrow(table) for name, table in arrow_population.items()}
    patients = result["patients"]
    assert isinstance(patients, pl.DataFrame)
    result["patients"] = patients.with_columns(
        age=(pl.lit(AS_OF) - pl.col("date_of_birth")).dt.total_days() / 365.2425
    )
    return result  # type: ignore[return-value]


def _condition_keys(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    codes = {c.snomed: c.key for c in ALL_CONDITIONS} | {c.icd10: c.key for c in ALL_CONDITIONS}
    return frames["conditions"].with_columns(key=pl.col("code").replace_strict(codes))


def _share_with(frames: dict[str, pl.DataFrame], key: str, among: pl.DataFrame) -> float:
    having = _condition_keys(frames).filter(pl.col("key") == key)["patient_id"].unique()
    return float(among["patient_id"].is_in(having.implode()).mean() or 0.0)


# Determinism and shape -------------------------------------------------------------------


def test_the_same_seed_gives_identical_tables_and_another_seed_does_not() -> None:
    first = generate_population(2_000, seed=11)
    again = generate_population(2_000, seed=11)
    other = generate_population(2_000, seed=12)
    for name in first:
        assert first[name].equals(again[name]), name
    assert not first["patients"].equals(other["patients"])
    assert not first["notes"].equals(other["notes"])


def test_every_table_is_present_with_exactly_the_record_models_schema(
    arrow_population: dict[str, pa.Table],
) -> None:
    assert list(arrow_population) == [spec.name for spec in TABLES]
    for spec in TABLES:
        table = arrow_population[spec.name]
        assert table.schema.equals(spec.arrow_schema()), spec.name
        assert table.num_rows > 0, spec.name
        for column in spec.columns:
            if not column.nullable:
                assert table.column(column.name).null_count == 0, (spec.name, column.name)


def test_zero_patients_gives_empty_tables_and_a_negative_count_is_refused() -> None:
    empty = generate_population(0)
    assert all(table.num_rows == 0 for table in empty.values())
    assert empty["notes"].schema.equals(TABLES[-1].arrow_schema())
    with pytest.raises(InvalidInput, match="negative") as refused:
        generate_population(-1)
    assert refused.value.location is not None and refused.value.location.field == "patients"


def test_record_keys_are_unique_in_every_table(frames: dict[str, pl.DataFrame]) -> None:
    for spec in TABLES:
        keys = frames[spec.name][spec.key]
        assert keys.n_unique() == keys.len(), spec.name


# Identifiers ------------------------------------------------------------------------------


def test_nhs_numbers_are_valid_and_distinct(frames: dict[str, pl.DataFrame]) -> None:
    numbers = frames["patients"]["nhs_number"].drop_nulls().to_list()
    assert len(numbers) == PATIENTS
    assert len(set(numbers)) == len(numbers)
    assert all(nhs_number.is_valid(n) for n in numbers)


def test_nhs_numbers_stay_distinct_across_blocks_generated_apart() -> None:
    early = nhs_numbers_for(np.arange(0, 150_000, dtype=np.int64), seed=3)
    late = nhs_numbers_for(np.arange(150_000, 300_000, dtype=np.int64), seed=3)
    together = np.concatenate([early, late])
    assert (together > 0).all()
    assert np.unique(together).size == together.size
    assert not np.array_equal(early, nhs_numbers_for(np.arange(0, 150_000), seed=4))


def test_the_nhs_number_permutation_is_a_bijection_on_its_domain() -> None:
    positions = np.arange(0, 2_000_000, 7, dtype=np.int64)
    permuted = permute_positions(positions, seed=1)
    assert permuted.min() >= 0 and permuted.max() < 300_000_000
    assert np.unique(permuted).size == positions.size


def test_contact_details_have_uk_formats(frames: dict[str, pl.DataFrame]) -> None:
    patients = frames["patients"]
    postcodes = patients["postcode"]
    assert postcodes.null_count() == 0
    assert postcodes.str.contains(POSTCODE_PATTERN).all()
    assert patients["practice_code"].str.contains(r"^[A-Z][0-9]{5}$").all()
    phones = patients["phone"].drop_nulls()
    drama = r"^(07700 900\d{3}|01632 960\d{3}|020 7946 0\d{3}|01\d{2} 49[68] 0\d{3})$"
    assert phones.str.contains(drama).all()
    assert 0 < patients["phone"].null_count() < 0.15 * PATIENTS
    assert patients["address_line"].str.contains(r"^(Flat \d+, )?\d+ [A-Z]").all()


def test_patients_are_registered_with_a_practice_in_or_next_to_their_district(
    frames: dict[str, pl.DataFrame],
) -> None:
    from openhaven.records.generator.places import geography

    geo = geography()
    practice_district = {
        code: geo.district_codes[district]
        for code, district in zip(geo.practice_codes, geo.practice_district, strict=True)
    }
    patients = frames["patients"]
    outward = patients["postcode"].str.split(" ").list.first().to_list()
    registered = [practice_district[c] for c in patients["practice_code"].to_list()]
    same = np.mean([a == b for a, b in zip(outward, registered, strict=True)])
    assert 0.85 < same < 0.97


# Demography -------------------------------------------------------------------------------


def test_age_and_sex_follow_englands_pyramid(frames: dict[str, pl.DataFrame]) -> None:
    patients = frames["patients"]
    band = np.minimum(patients["age"].to_numpy() // 5, len(BAND_STARTS) - 1).astype(int)
    female = (patients["sex"] == "female").to_numpy()
    observed = np.zeros((len(BAND_STARTS), 2))
    np.add.at(observed, (band, female.astype(int)), 1)
    observed /= observed.sum()
    assert np.abs(observed - band_shares()).max() < 0.006
    assert abs(female.mean() - band_shares()[:, 1].sum()) < 0.015


def test_deaths_are_few_age_dependent_and_within_the_window(
    frames: dict[str, pl.DataFrame],
) -> None:
    patients = frames["patients"]
    dead = patients.filter(pl.col("date_of_death").is_not_null())
    assert 0.01 < dead.height / PATIENTS < 0.06
    old = patients.filter(pl.col("age") >= 80)["date_of_death"].is_not_null().mean()
    young = patients.filter(pl.col("age") < 40)["date_of_death"].is_not_null().mean()
    assert old > 10 * (young or 1e-6)
    assert (dead["date_of_death"] <= AS_OF).all()
    assert (dead["date_of_death"] > dead["date_of_birth"]).all()
    assert (dead["date_of_death"] >= dt.date(2022, 12, 31)).all()


def test_ethnic_groups_match_the_census(frames: dict[str, pl.DataFrame]) -> None:
    ethnicity = frames["patients"]["ethnicity"]
    recorded = ethnicity.drop_nulls()
    assert 0.01 < ethnicity.null_count() / PATIENTS < 0.06
    assert set(recorded.unique().to_list()) <= set(CODES)
    total = sum(ENGLAND_PERCENT.values())
    for code in CODES:
        expected = ENGLAND_PERCENT[code] / total
        share = float((recorded == code).mean() or 0.0)
        assert abs(share - expected) < max(0.015, expected * 0.25), code


def test_names_depend_on_sex_and_birth_cohort(frames: dict[str, pl.DataFrame]) -> None:
    patients = frames["patients"]
    first = patients["given_name"].str.split(" ").list.first()
    margarets = patients.filter(first == "Margaret")
    poppies = patients.filter(first == "Poppy")
    assert margarets.height > 0 and poppies.height > 0
    assert (margarets["sex"] == "female").all()
    assert margarets["age"].min() > poppies["age"].max()  # type: ignore[operator]
    with_middle = patients["given_name"].str.contains(" ").mean()
    assert 0.25 < with_middle < 0.4  # type: ignore[operator]
    assert patients["family_name"].n_unique() > 200
    assert patients["given_name"].n_unique() > 300


# Clinical realism --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("hypertension", 0.11, 0.18),
        ("type_2_diabetes", 0.04, 0.08),
        ("asthma", 0.045, 0.085),
        ("coronary_heart_disease", 0.02, 0.045),
        ("atrial_fibrillation", 0.013, 0.032),
        ("depression", 0.07, 0.14),
        ("dementia", 0.003, 0.012),
    ],
)
def test_prevalence_is_near_the_recorded_english_figures(
    frames: dict[str, pl.DataFrame], key: str, low: float, high: float
) -> None:
    assert low < _share_with(frames, key, frames["patients"]) < high


def test_sex_specific_cancers_occur_only_in_that_sex(frames: dict[str, pl.DataFrame]) -> None:
    conditions = _condition_keys(frames).join(frames["patients"], on="patient_id")
    assert (conditions.filter(pl.col("key") == "breast_cancer")["sex"] == "female").all()
    assert (conditions.filter(pl.col("key") == "prostate_cancer")["sex"] == "male").all()


def test_comorbidity_raises_risk(frames: dict[str, pl.DataFrame]) -> None:
    middle_aged = frames["patients"].filter(pl.col("age").is_between(50, 80))
    conditions = _condition_keys(frames)
    diabetic = conditions.filter(pl.col("key") == "type_2_diabetes")["patient_id"].implode()
    with_diabetes = middle_aged.filter(pl.col("patient_id").is_in(diabetic))
    without = middle_aged.filter(~pl.col("patient_id").is_in(diabetic))
    ckd_with = _share_with(frames, "chronic_kidney_disease", with_diabetes)
    ckd_without = _share_with(frames, "chronic_kidney_disease", without)
    assert ckd_with > 1.5 * ckd_without


def test_both_code_systems_appear_for_conditions(frames: dict[str, pl.DataFrame]) -> None:
    systems = frames["conditions"]["code_system"].value_counts()
    counts = dict(zip(systems["code_system"], systems["count"], strict=True))
    assert set(counts) == {"snomed", "icd10"}
    assert counts["icd10"] < counts["snomed"]
    assert frames["conditions"].filter(pl.col("code") == "38341003").height > 0
    assert frames["conditions"].filter(pl.col("code") == "I10").height > 0


def test_observations_agree_with_diagnoses(frames: dict[str, pl.DataFrame]) -> None:
    observations = frames["observations"]
    conditions = _condition_keys(frames)
    hypertensive = conditions.filter(pl.col("key") == "hypertension")["patient_id"].implode()
    ckd = conditions.filter(pl.col("key") == "chronic_kidney_disease")["patient_id"].implode()
    systolic = observations.filter(pl.col("code") == "271649006")
    mean_htn = systolic.filter(pl.col("patient_id").is_in(hypertensive))["value_numeric"].mean()
    mean_rest = systolic.filter(~pl.col("patient_id").is_in(hypertensive))["value_numeric"].mean()
    assert mean_htn > mean_rest + 8  # type: ignore[operator]
    ckd_onset = (
        conditions.filter(pl.col("key") == "chronic_kidney_disease")
        .group_by("patient_id")
        .agg(onset=pl.col("onset_date").min())
    )
    egfr = observations.filter(pl.col("code") == "1011481000000105").join(
        ckd_onset, on="patient_id", how="left"
    )
    after = egfr.filter(pl.col("observation_date") >= pl.col("onset"))
    before = egfr.filter(pl.col("onset").is_null() | (pl.col("observation_date") < pl.col("onset")))
    assert after.height > 0 and before.height > 0
    assert (after["value_numeric"] < 60).all()
    assert (before["value_numeric"] >= 60).all()
    assert egfr.filter(pl.col("patient_id").is_in(ckd)).height >= after.height

    pressures = observations.filter(pl.col("code").is_in(["271649006", "271650006"])).pivot(
        on="code", index=["encounter_id", "patient_id"], values="value_numeric",
        aggregate_function="first",
    )
    assert (pressures["271649006"] > pressures["271650006"]).all()
    assert (observations.filter(pl.col("code") == "271649006")["unit"] == "mm[Hg]").all()

    smoking = observations.filter(pl.col("code") == "365981007")
    assert smoking["value_numeric"].null_count() == smoking.height
    assert set(smoking["value_text"].unique()) <= {
        "Never smoked tobacco", "Ex-smoker", "Current smoker",
    }
    numeric = observations.filter(pl.col("code") != "365981007")
    assert numeric["value_numeric"].null_count() == 0
    assert numeric["unit"].null_count() == 0


def test_medicines_are_dmd_coded_and_linked_to_their_conditions(
    frames: dict[str, pl.DataFrame],
) -> None:
    medications = frames["medications"]
    assert (medications["code_system"] == "dmd").all()
    assert medications["code"].str.contains(r"^\d{6,18}$").all()
    metformin = medications.filter(pl.col("code") == "325278007")["patient_id"].unique()
    diabetic = _condition_keys(frames).filter(pl.col("key") == "type_2_diabetes")["patient_id"]
    assert metformin.len() > 0
    assert metformin.is_in(diabetic.implode()).all()
    stopped = medications.filter(pl.col("end_date").is_not_null())
    assert (stopped["end_date"] >= stopped["start_date"]).all()


# Consistency ------------------------------------------------------------------------------


def test_every_event_belongs_to_a_patient_and_to_that_patients_encounter(
    frames: dict[str, pl.DataFrame],
) -> None:
    patient_ids = frames["patients"]["patient_id"].implode()
    owners = frames["encounters"].select("encounter_id", owner="patient_id")
    for name in EVENT_TABLES:
        table = frames[name]
        assert table["patient_id"].is_in(patient_ids).all(), name
        if name == "encounters":
            continue
        linked = table.filter(pl.col("encounter_id").is_not_null())
        assert linked.height == table.height, name
        joined = linked.join(owners, on="encounter_id", how="left")
        assert joined["owner"].null_count() == 0, name
        assert (joined["owner"] == joined["patient_id"]).all(), name


def test_no_event_predates_birth_or_follows_death_or_the_extract_date(
    frames: dict[str, pl.DataFrame],
) -> None:
    lives = frames["patients"].select(
        "patient_id",
        "date_of_birth",
        last=pl.coalesce("date_of_death", pl.lit(AS_OF)),
    )
    for name, column in EVENT_DATE.items():
        joined = frames[name].join(lives, on="patient_id")
        assert (joined[column] >= joined["date_of_birth"]).all(), name
        assert (joined[column] <= joined["last"]).all(), name
    encounters = frames["encounters"]
    assert (encounters["end_date"] >= encounters["start_date"]).all()
    conditions = frames["conditions"].filter(pl.col("resolved_date").is_not_null())
    assert (conditions["resolved_date"] > conditions["onset_date"]).all()


def test_events_average_about_twenty_per_patient(frames: dict[str, pl.DataFrame]) -> None:
    events = sum(frames[name].height for name in EVENT_TABLES)
    assert 14 < events / PATIENTS < 30


def test_notes_carry_their_own_patients_identifiers(frames: dict[str, pl.DataFrame]) -> None:
    notes = frames["notes"].join(frames["patients"], on="patient_id")
    assert set(notes["note_type"].unique()) == {
        "consultation", "discharge_summary", "referral", "letter",
    }
    texts = notes["text"].to_list()
    nhs_numbers = notes["nhs_number"].to_list()
    families = notes["family_name"].to_list()
    has_nhs = [
        nhs is not None and nhs in re.sub(r"[ -]", "", text)
        for text, nhs in zip(texts, nhs_numbers, strict=True)
    ]
    has_family = [
        family.upper() in text.upper() for text, family in zip(texts, families, strict=True)
    ]
    assert all(n or f for n, f in zip(has_nhs, has_family, strict=True))
    assert np.mean(has_nhs) > 0.5 and np.mean(has_family) > 0.9
    sample = notes.head(2_000)
    with_postcode = [
        pc in text for text, pc in zip(sample["text"], sample["postcode"], strict=True)
    ]
    assert np.mean(with_postcode) > 0.5
    assert notes["text"].str.contains(r"\d{3} \d{3} \d{4}").any()
    assert notes["text"].str.contains(r"\d{1,2} [A-Z][a-z]+ \d{4}").any()


# Parquet -----------------------------------------------------------------------------------


def test_write_parquet_round_trips_and_leaves_no_temporary_files(
    arrow_population: dict[str, pa.Table], tmp_path: Path
) -> None:
    small = {name: table.slice(0, 500) for name, table in arrow_population.items()}
    paths = write_parquet(small, tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {f"{s.name}.parquet" for s in TABLES}
    for name, path in paths.items():
        assert path == tmp_path / "out" / f"{name}.parquet"
        assert pq.read_table(path).equals(small[name])
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_write_parquet_refuses_a_table_that_does_not_match_the_model(
    arrow_population: dict[str, pa.Table], tmp_path: Path
) -> None:
    bad = dict(arrow_population)
    bad["notes"] = bad["notes"].drop_columns(["text"])
    with pytest.raises(InvalidInput, match=r"notes.*missing columns \['text'\]"):
        write_parquet(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def test_generating_blocks_in_threads_to_parquet_equals_generating_in_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(population_module, "BLOCK_PATIENTS", 1_000)
    in_memory = generate_population(3_500, seed=5)
    counts = generate_to_parquet(3_500, tmp_path, seed=5, chunk_size=2_000, workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{s.name}.parquet" for s in TABLES
    )
    for spec in TABLES:
        from_disk = pq.read_table(tmp_path / f"{spec.name}.parquet")
        assert counts[spec.name] == in_memory[spec.name].num_rows
        assert from_disk.equals(in_memory[spec.name]), spec.name
    ids = in_memory["observations"]["observation_id"].to_pylist()
    assert len(set(ids)) == len(ids)
    nhs = in_memory["patients"]["nhs_number"].to_pylist()
    assert len(set(nhs)) == len(nhs)


def test_note_templates_use_only_the_fields_notes_provide() -> None:
    from openhaven.records.generator.note_templates import FIELDS, templates

    for name, parts in templates().items():
        used = {
            root
            for part in parts
            if isinstance(part, pl.Expr)
            for root in part.meta.root_names()
        }
        assert used <= set(FIELDS), name
        assert {"nhs", "family"} & used or {"given", "family"} <= used, name


def test_a_failure_part_way_leaves_earlier_files_untouched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(population_module, "BLOCK_PATIENTS", 500)
    first = generate_to_parquet(1_000, tmp_path, seed=1, workers=1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_generate_block = population_module.generate_block

    def failing(seed: int, block_index: int, *args: object) -> dict[str, pa.Table]:
        if block_index == 2:
            raise RuntimeError("disk on fire")
        return real_generate_block(seed, block_index, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(population_module, "generate_block", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_to_parquet(2_000, tmp_path, seed=2, workers=1)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert first["patients"] == 1_000


def test_notes_mention_only_conditions_already_diagnosed(
    frames: dict[str, pl.DataFrame],
) -> None:
    from openhaven.records.generator.note_templates import lay_term

    conditions = _condition_keys(frames)
    notes = frames["notes"]
    checked = 0
    for condition in ALL_CONDITIONS:
        term = lay_term(condition.key)
        mentioning = notes.filter(pl.col("text").str.contains(term, literal=True))
        if mentioning.height == 0:
            continue
        earliest = (
            conditions.filter(pl.col("key") == condition.key)
            .group_by("patient_id")
            .agg(first_onset=pl.col("onset_date").min())
        )
        joined = mentioning.join(earliest, on="patient_id", how="left")
        assert joined["first_onset"].null_count() == 0, condition.key
        assert (joined["first_onset"] <= joined["note_date"]).all(), condition.key
        checked += joined.height
    assert checked > 1_000


def test_every_date_respects_another_extract_date() -> None:
    as_of = dt.date(2019, 3, 31)
    population = generate_population(1_500, seed=4, as_of=as_of)
    for spec in TABLES:
        for column in spec.columns:
            if column.type.value == "date":
                values = population[spec.name][column.name].drop_null().to_pylist()
                assert values, (spec.name, column.name)
                assert max(values) <= as_of, (spec.name, column.name)
    births = population["patients"]["date_of_birth"].to_pylist()
    assert min(births) >= dt.date(1910, 1, 1)

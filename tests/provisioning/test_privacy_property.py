"""Over random populations and requirements: whenever an extract is written, its classes meet
the approved k and l (counted here independently); whenever it is refused, nothing is left."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openhaven.core.errors import SafeguardRefused
from openhaven.provisioning.extract_builder import build_extract
from openhaven.provisioning.specification import DatasetSpecification
from openhaven.records.store import open_store, upsert_all

RUN = itertools.count()
QUASI = ["date_of_birth_year", "sex", "postcode_district"]

people = st.lists(
    st.tuples(st.integers(1950, 1954), st.sampled_from(["female", "male"]),
              st.sampled_from(["LS1 1AA", "LS2 1AA", "M1 1AE"]),
              st.sampled_from(["A", "B", "C"])),
    min_size=1, max_size=40,
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=people, k=st.integers(1, 6), l_value=st.sampled_from([None, 2]),
       suppression=st.sampled_from(["none", "record", "cell"]),
       limit=st.sampled_from([0.0, 0.2, 1.0]))
def test_written_extracts_meet_their_model(
    tmp_path: Path, population: list[tuple[int, str, str, str]], k: int,
    l_value: int | None, suppression: str, limit: float,
) -> None:
    folder = tmp_path / f"run{next(RUN)}"
    folder.mkdir()
    store = folder / "records.duckdb"
    with open_store(store) as session:
        upsert_all(session, {"patients": pa.table({
            "patient_id": [f"p{i}" for i in range(len(population))],
            "nhs_number": pa.array([None] * len(population), pa.string()),
            "date_of_birth": [dt.date(y, 6, 1) for y, *_ in population],
            "sex": [s for _, s, _, _ in population],
            "postcode": [p for _, _, p, _ in population],
            "ethnicity": [e for *_, e in population],
        })})
    privacy: dict[str, Any] = {"quasi_identifiers": QUASI, "k": k,
                               "suppression": suppression, "suppression_limit": limit}
    if l_value is not None:
        privacy.update(sensitive="ethnicity", l=l_value)
    spec = DatasetSpecification.from_dict({"tables": {"patients": {
        "patient_id": "pseudonymise", "date_of_birth": "year", "sex": "keep",
        "postcode": "postcode_district", "ethnicity": "keep"}}, "privacy": privacy})
    try:
        build = build_extract(store, folder / "v1", specification=spec,
                              project_key=b"k" * 32, opted_out_nhs_numbers=[],
                              cut_off=dt.date(2026, 1, 1))
    except SafeguardRefused:
        assert sorted(p.name for p in folder.iterdir()) == ["records.duckdb"]
        return
    rows = pq.read_table(folder / "v1" / "tables" / "patients.parquet").to_pylist()
    classes: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for row in rows:
        key = tuple(row[q] for q in QUASI)
        if any(v is not None for v in key):
            classes[key].append(row["ethnicity"])
    assert all(len(members) >= k for members in classes.values())
    if l_value is not None:
        assert all(len(set(members)) >= l_value for members in classes.values())
    suppressed = build.privacy["suppressed_patients"]
    assert suppressed <= int(limit * len(population))
    assert len(rows) == len(population) - (suppressed if suppression == "record" else 0)
    shutil.rmtree(folder)

"""The haven's rules for valid records: what goes to quarantine instead of the store.

These apply to input that *is* valid (it parsed, and every field had the right type and
format) but breaks a rule of the haven. Each rule works on whole Arrow columns, so a
million rows cost a few vectorised passes, and names its reason without any value:

* a duplicate id within one input whose copies differ (identical copies load once);
* an NHS number failing the Modulus 11 check;
* a birth or death date in the future, a death before birth;
* a record whose patient is in neither the input nor the store (or was quarantined);
* an event dated before its patient's birth, or in the future;
* an end date before its start date.

A quarantined item (resource or row) takes all its rows with it; the first reason found
is the one reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openhaven.records import nhs_number
from openhaven.records.ingest.staging import ITEM_COLUMN
from openhaven.records.schema import TABLES_BY_NAME, ColumnType

# (end column, start column) pairs that must be in order.
ORDERED_DATES = {
    "encounters": ("end_date", "start_date"),
    "conditions": ("resolved_date", "onset_date"),
    "medications": ("end_date", "start_date"),
}


@dataclass
class Verdict:
    accepted: dict[str, pa.Table]
    reasons: dict[int, str]


def apply_rules(
    tables: dict[str, pa.Table],
    parse_reasons: dict[int, str],
    stored_patients: pa.Table,
    today: date,
) -> Verdict:
    """Decide which staged items load; ``stored_patients`` has patient_id, date_of_birth."""
    reasons = dict(parse_reasons)
    for name, data in tables.items():
        _conflicting_duplicates(name, data, reasons)
    patients = tables.get("patients")
    if patients is not None:
        _patient_rules(patients, reasons, today)
    known_ids, known_births, quarantined_ids = _known_patients(patients, stored_patients, reasons)
    for name, data in tables.items():
        if name != "patients":
            _event_rules(name, data, known_ids, known_births, quarantined_ids, reasons, today)
    bad = pa.array(np.fromiter(reasons.keys(), dtype=np.int64, count=len(reasons)))
    accepted = {
        name: _first_copies(
            name, data.filter(pc.invert(pc.is_in(data[ITEM_COLUMN], value_set=bad)))
        )
        for name, data in tables.items()
    }
    return Verdict(accepted, reasons)


def _first_copies(name: str, data: pa.Table) -> pa.Table:
    """Identical copies of a row (the same resource in two files) load once."""
    keys = data[TABLES_BY_NAME[name].key]
    if pc.count_distinct(keys).as_py() == data.num_rows:
        return data
    _, first = np.unique(np.asarray(keys.to_pylist(), dtype=object), return_index=True)
    return data.take(pa.array(np.sort(first)))


def _flag(
    data: pa.Table, mask: pa.Array | pa.ChunkedArray, reason: str, reasons: dict[int, str]
) -> None:
    selected = np.asarray(pc.fill_null(mask, False))
    if not selected.any():
        return
    for item in np.unique(np.asarray(data[ITEM_COLUMN])[selected]):
        reasons.setdefault(int(item), reason)


def _conflicting_duplicates(name: str, data: pa.Table, reasons: dict[int, str]) -> None:
    key = TABLES_BY_NAME[name].key
    counts = pc.value_counts(data[key])
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    if len(repeated) == 0:
        return
    mask = pc.is_in(data[key], value_set=repeated)
    copies = data.filter(mask)
    columns = TABLES_BY_NAME[name].column_names
    seen: dict[object, tuple[object, ...]] = {}
    conflicting: set[object] = set()
    for row in copies.select(columns).to_pylist():
        values = tuple(row.values())
        first = seen.setdefault(row[key], values)
        if first != values:
            conflicting.add(row[key])
    if conflicting:
        conflict_mask = pc.is_in(data[key], value_set=pa.array(sorted(conflicting, key=str)))
        _flag(data, conflict_mask, f"duplicate {name} id with conflicting content", reasons)


def _patient_rules(patients: pa.Table, reasons: dict[int, str], today: date) -> None:
    numbers = patients["nhs_number"].to_pylist()
    bad_numbers = [value is not None and not nhs_number.is_valid(value) for value in numbers]
    if any(bad_numbers):
        for index in np.flatnonzero(bad_numbers):
            value = numbers[index]
            why = nhs_number.why_invalid(value) or "is not valid"
            item = int(patients[ITEM_COLUMN][int(index)].as_py())
            reasons.setdefault(item, f"nhs_number {why}")
    limit = pa.scalar(today, pa.date32())
    born, died = patients["date_of_birth"], patients["date_of_death"]
    _flag(patients, pc.greater(born, limit), "date_of_birth is in the future", reasons)
    _flag(patients, pc.greater(died, limit), "date_of_death is in the future", reasons)
    _flag(patients, pc.less(died, born), "date_of_death is before date_of_birth", reasons)


def _known_patients(
    patients: pa.Table | None, stored: pa.Table, reasons: dict[int, str]
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Ids and birth dates a record may refer to: accepted input patients, then the store."""
    if patients is None:
        return (
            stored["patient_id"].combine_chunks(),
            stored["date_of_birth"].combine_chunks(),
            pa.array([], pa.string()),
        )
    bad = pa.array(np.fromiter(reasons.keys(), dtype=np.int64, count=len(reasons)))
    rejected = pc.is_in(patients[ITEM_COLUMN], value_set=bad)
    accepted = patients.filter(pc.invert(rejected))
    quarantined = patients.filter(rejected)["patient_id"]
    incoming = accepted["patient_id"]
    from_store = stored.filter(pc.invert(pc.is_in(stored["patient_id"], value_set=incoming)))
    ids = pa.concat_arrays(
        [incoming.combine_chunks(), from_store["patient_id"].combine_chunks().cast(pa.string())]
    )
    births = pa.concat_arrays(
        [
            accepted["date_of_birth"].combine_chunks(),
            from_store["date_of_birth"].combine_chunks().cast(pa.date32()),
        ]
    )
    return ids, births, quarantined.combine_chunks()


def _event_rules(
    name: str,
    data: pa.Table,
    known_ids: pa.Array,
    known_births: pa.Array,
    quarantined_ids: pa.Array,
    reasons: dict[int, str],
    today: date,
) -> None:
    position = pc.index_in(data["patient_id"], value_set=known_ids)
    missing = pc.is_null(position)
    if pc.any(missing).as_py():
        was_quarantined = pc.and_(missing, pc.is_in(data["patient_id"], value_set=quarantined_ids))
        _flag(data, was_quarantined, "refers to a patient that was quarantined", reasons)
        _flag(
            data, missing, "refers to a patient in neither the input nor the record store", reasons
        )
    born = pc.take(known_births, position)
    limit = pa.scalar(today, pa.date32())
    spec = TABLES_BY_NAME[name]
    for column in spec.columns:
        if column.type is not ColumnType.DATE:
            continue
        values = data[column.name]
        _flag(data, pc.less(values, born), f"{column.name} is before the patient's birth", reasons)
        _flag(data, pc.greater(values, limit), f"{column.name} is in the future", reasons)
    if name in ORDERED_DATES:
        end, start = ORDERED_DATES[name]
        _flag(data, pc.less(data[end], data[start]), f"{end} is before {start}", reasons)

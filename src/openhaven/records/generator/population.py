"""Generating a whole population: fixed-size blocks of patients, each with all its events.

The population is cut into blocks of ``BLOCK_PATIENTS``. A block's content depends only on
the seed, the block's number, its size and the extract date, so blocks can be generated
in any order, one at a time (to bound memory) or in parallel, and the result is the same:
``generate_population`` and ``generate_to_parquet`` give identical records for the same
arguments. Identifiers are unique across blocks: patient ids and NHS numbers come from the
patient's position in the population, event ids carry the block number.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from openhaven.core.errors import InvalidInput, Location
from openhaven.records.generator import (
    conditions,
    encounters,
    notes,
    observations,
    patients,
    treatments,
)
from openhaven.records.generator.arrow_columns import EPOCH
from openhaven.records.generator.nhs_numbers import MAX_PATIENTS
from openhaven.records.schema import TABLES

BLOCK_PATIENTS = 50_000
#: Event ids are the block number times this plus the row within the block.
MAX_ROWS_PER_BLOCK = 10**8
DEFAULT_AS_OF = dt.date(2026, 1, 1)
MAX_DEFAULT_WORKERS = 4
#: Below this many patients blocks are made one after another.
PARALLEL_FROM_PATIENTS = 4 * BLOCK_PATIENTS


def check_patient_count(patients: int) -> None:
    """Refuse a negative count, and one beyond what distinct NHS numbers allow."""
    if patients < 0:
        raise InvalidInput("the number of patients cannot be negative", Location(field="patients"))
    if patients > MAX_PATIENTS:
        raise InvalidInput(
            f"at most {MAX_PATIENTS:,} patients can be generated", Location(field="patients")
        )


def block_bounds(patient_count: int) -> list[tuple[int, int, int]]:
    """(block number, first patient position, patient count) for each block."""
    bounds = []
    for number, first in enumerate(range(0, patient_count, BLOCK_PATIENTS)):
        bounds.append((number, first, min(BLOCK_PATIENTS, patient_count - first)))
    return bounds


def generate_block(
    seed: int, block_index: int, first_position: int, count: int, as_of: dt.date
) -> dict[str, pa.Table]:
    """All seven tables for one block of patients."""
    rng = np.random.default_rng([seed, block_index, count])
    as_of_day = int((np.datetime64(as_of, "D") - EPOCH).astype(np.int64))

    block = patients.draw_patients(rng, first_position, count, as_of_day, seed)
    presence = conditions.draw_presence(rng, block)
    block = block.with_deaths(patients.draw_deaths(rng, block, presence.mortality_multiplier()))
    condition_rows = conditions.draw_rows(rng, block, presence)
    encounter_rows = encounters.draw_encounters(rng, block, presence, condition_rows)
    encounter_ids = encounters.encounter_ids(block_index, encounter_rows.count)
    observation_rows = observations.draw_observations(rng, block, condition_rows, encounter_rows)
    medication_rows = treatments.draw_medications(rng, block, condition_rows, encounter_rows)
    procedure_rows = treatments.draw_procedures(rng, block, condition_rows, encounter_rows)
    note_rows = notes.draw_notes(rng, encounter_rows)

    for rows in (encounter_rows.count, observation_rows.encounter.size):
        if rows >= MAX_ROWS_PER_BLOCK:
            raise ValueError("a block produced more rows than its identifiers can number")

    return {
        "patients": block.table(),
        "encounters": encounters.encounters_table(block, encounter_rows, encounter_ids),
        "conditions": conditions.conditions_table(
            block_index,
            block.patient_id,
            condition_rows,
            encounter_ids,
            encounter_rows.condition_encounter,
        ),
        "observations": observations.observations_table(
            block_index, block, encounter_rows, encounter_ids, observation_rows
        ),
        "medications": treatments.medications_table(
            block_index, block, encounter_rows, encounter_ids, medication_rows
        ),
        "procedures": treatments.procedures_table(
            block_index, block, encounter_rows, encounter_ids, procedure_rows
        ),
        "notes": notes.notes_table(
            rng,
            block_index,
            block,
            encounter_rows,
            encounter_ids,
            condition_rows,
            medication_rows,
            note_rows,
        ),
    }


def default_workers(patients: int) -> int:
    """One worker thread per CPU (at most four) for large populations; none for small
    ones, where a single block leaves nothing to overlap."""
    if patients < PARALLEL_FROM_PATIENTS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def iter_blocks(
    patient_count: int,
    *,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    workers: int | None = None,
) -> Iterator[dict[str, pa.Table]]:
    """The population's blocks in order, generated one at a time or by worker threads.

    With ``workers`` above one, blocks are made by that many threads and handed back in
    order; at most two blocks per worker are in flight, which bounds memory. Threads
    suffice because nearly all the work happens inside numpy, Arrow and polars, which
    release the interpreter lock; they cost far less than processes (no start-up, no
    copying of results). The blocks are identical either way.
    """
    bounds = block_bounds(patient_count)
    if workers is None:
        workers = default_workers(patient_count)
    if workers <= 1 or len(bounds) <= 1:
        for number, first, count in bounds:
            yield generate_block(seed, number, first, count, as_of)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generator") as pool:
        in_flight: deque[Future[dict[str, pa.Table]]] = deque()
        pending = iter(bounds)
        for number, first, count in itertools.islice(pending, 2 * workers):
            in_flight.append(pool.submit(generate_block, seed, number, first, count, as_of))
        while in_flight:
            block = in_flight.popleft().result()
            for number, first, count in itertools.islice(pending, 1):
                in_flight.append(pool.submit(generate_block, seed, number, first, count, as_of))
            yield block


def generate_population(
    patients: int,
    *,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    workers: int | None = None,
) -> dict[str, pa.Table]:
    """A synthetic England-like population: one Arrow table per record table, by name.

    Deterministic: the same ``patients``, ``seed`` and ``as_of`` always give the same
    tables, whatever ``workers`` (threads generating blocks; see ``iter_blocks``). Every
    table has exactly the schema of ``openhaven.records.schema``; a table holds one chunk
    per block (the blocks are not copied into one).
    """
    check_patient_count(patients)
    parts: dict[str, list[pa.Table]] = {spec.name: [] for spec in TABLES}
    for block in iter_blocks(patients, seed=seed, as_of=as_of, workers=workers):
        for name, table in block.items():
            parts[name].append(table)
    return {
        spec.name: (
            pa.concat_tables(parts[spec.name])
            if parts[spec.name]
            else spec.arrow_schema().empty_table()
        )
        for spec in TABLES
    }

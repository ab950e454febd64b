"""The project's own Parquet layout: one ``<table>.parquet`` per record table in a folder.

This is the layout ingest reads back. Files are zstd-compressed and appear atomically:
each is written under a temporary name in the same folder and renamed into place only
when complete, so a reader never sees half a file and an interrupted run leaves the
previous files untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from openhaven.core.errors import InvalidInput, Location
from openhaven.records.generator.population import (
    BLOCK_PATIENTS,
    DEFAULT_AS_OF,
    check_patient_count,
    iter_blocks,
)
from openhaven.records.schema import TABLES, TABLES_BY_NAME

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 1
ROW_GROUP_ROWS = 1_000_000
#: Columns whose values hardly repeat: dictionary encoding them is wasted work.
NEARLY_UNIQUE = frozenset({"nhs_number", "address_line", "postcode", "phone", "text"})


def _encoding_options(name: str) -> dict[str, object]:
    """Dictionary-encode the repetitive columns only; no min/max statistics for note text."""
    columns = TABLES_BY_NAME[name].column_names
    return {
        "use_dictionary": [c for c in columns if c not in NEARLY_UNIQUE and not c.endswith("_id")],
        "write_statistics": [c for c in columns if c != "text"],
    }


def _temporary_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.partial")


def _check_schema(name: str, table: pa.Table) -> None:
    """Refuse a table the record model does not know, or one whose columns differ from it;
    the message names the table and columns, never a value."""
    if name not in TABLES_BY_NAME:
        raise InvalidInput(
            f"there is no record table called {name!r}; tables are {', '.join(TABLES_BY_NAME)}",
            Location(field=name),
        )
    expected = TABLES_BY_NAME[name].arrow_schema()
    if not table.schema.equals(expected):
        raise InvalidInput(
            f"table {name!r} does not match the record model: {_difference(expected, table)}",
            Location(field=name),
        )


def _difference(expected: pa.Schema, table: pa.Table) -> str:
    missing = [n for n in expected.names if n not in table.schema.names]
    extra = [n for n in table.schema.names if n not in expected.names]
    if missing or extra:
        return f"missing columns {missing}, unexpected columns {extra}"
    retyped = [f.name for f in expected if not table.schema.field(f.name).equals(f)]
    if retyped:
        return f"columns with another type or nullability {retyped}"
    return "columns in another order"


def write_parquet(population: Mapping[str, pa.Table], out_dir: Path) -> dict[str, Path]:
    """Write each table to ``out_dir/<table>.parquet``; returns the paths by table name.

    Every file is written under a temporary name first and all are renamed into place
    only once all are complete: a failure part-way leaves the folder as it was.
    """
    for name, table in population.items():
        _check_schema(name, table)
    out_dir.mkdir(parents=True, exist_ok=True)
    finals = {name: out_dir / f"{name}.parquet" for name in population}
    temporaries = {name: _temporary_path(final) for name, final in finals.items()}
    try:
        for name, table in population.items():
            pq.write_table(
                table,
                temporaries[name],
                compression=COMPRESSION,
                compression_level=COMPRESSION_LEVEL,
                row_group_size=ROW_GROUP_ROWS,
                **_encoding_options(name),  # type: ignore[arg-type]
            )
        for name, temporary in temporaries.items():
            os.replace(temporary, finals[name])
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
    return finals


@contextlib.contextmanager
def _writers(out_dir: Path) -> Iterator[dict[str, pq.ParquetWriter]]:
    writers: dict[str, pq.ParquetWriter] = {}
    temporaries = {spec.name: _temporary_path(out_dir / f"{spec.name}.parquet") for spec in TABLES}
    try:
        for spec in TABLES:
            writers[spec.name] = pq.ParquetWriter(
                temporaries[spec.name],
                spec.arrow_schema(),
                compression=COMPRESSION,
                compression_level=COMPRESSION_LEVEL,
                **_encoding_options(spec.name),  # type: ignore[arg-type]
            )
        yield writers
        for writer in writers.values():
            writer.close()
        for name, temporary in temporaries.items():
            os.replace(temporary, out_dir / f"{name}.parquet")
    finally:
        for writer in writers.values():
            with contextlib.suppress(Exception):
                writer.close()
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)


def generate_to_parquet(
    patients: int,
    out_dir: Path,
    *,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    chunk_size: int = BLOCK_PATIENTS,
    workers: int | None = None,
) -> dict[str, int]:
    """Generate ``patients`` straight to Parquet, a few blocks at a time; returns row counts.

    The records equal ``generate_population(patients, seed=seed, as_of=as_of)``; only
    memory use depends on ``chunk_size`` (patients held before writing, rounded up to
    whole blocks of ``BLOCK_PATIENTS``) and speed on ``workers``: the number of threads
    generating blocks while this one writes (default: ``population.default_workers``).
    """
    check_patient_count(patients)
    if chunk_size < 1:
        raise InvalidInput("the chunk size must be at least one", Location(field="chunk_size"))
    blocks_per_write = max(1, -(-chunk_size // BLOCK_PATIENTS))
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {spec.name: 0 for spec in TABLES}
    pending: dict[str, list[pa.Table]] = {spec.name: [] for spec in TABLES}
    with _writers(out_dir) as writers:

        def flush() -> None:
            for name, tables in pending.items():
                if tables:
                    writers[name].write_table(pa.concat_tables(tables), ROW_GROUP_ROWS)
                    tables.clear()

        blocks = iter_blocks(patients, seed=seed, as_of=as_of, workers=workers)
        for number, block in enumerate(blocks):
            for name, table in block.items():
                pending[name].append(table)
                counts[name] += table.num_rows
            if (number + 1) % blocks_per_write == 0:
                flush()
        flush()
    return counts

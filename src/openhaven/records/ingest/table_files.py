"""The project's own layout: ``<table>.parquet`` or ``<table>.csv`` per schema table.

CSV files have a header row and ISO dates (``YYYY-MM-DD``); an empty field is null. Every
value is read as text first and converted column by column, so a bad value is reported by
file, line and column (line 1 is the header; a quoted value spanning lines counts as one
line) instead of failing the whole file with the parser's message, which would quote it.
Parquet columns must hold the schema's type or one that converts to it exactly; a text
column is validated like CSV, and rows are numbered from 1.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openhaven.records.ingest.staging import Staging
from openhaven.records.schema import TABLES_BY_NAME, Column, ColumnType, Table

SUFFIXES = (".parquet", ".csv")
_PATTERNS = {
    ColumnType.DATE: (r"^\d{4}-\d{2}-\d{2}$", "must be an ISO date (YYYY-MM-DD)"),
    ColumnType.DOUBLE: (
        r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$",
        "must be a number",
    ),
    ColumnType.INTEGER: (r"^\s*[+-]?\d+\s*$", "must be a whole number"),
}
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# Which stored Parquet types may stand for each schema type (besides text, validated).
_COMPATIBLE = {
    ColumnType.STRING: lambda t: pa.types.is_null(t),
    ColumnType.DATE: lambda t: pa.types.is_date(t) or pa.types.is_null(t),
    ColumnType.DOUBLE: lambda t: (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    ),
    ColumnType.INTEGER: lambda t: pa.types.is_integer(t) or pa.types.is_null(t),
}


def is_table_file(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES and path.stem in TABLES_BY_NAME


class TableFileReader:
    """Reads ``<table>.parquet`` and ``<table>.csv`` files into the staging area."""

    def __init__(self, staging: Staging) -> None:
        self.staging = staging

    def read(self, path: Path, name: str) -> None:
        spec = TABLES_BY_NAME[path.stem]
        if path.suffix.lower() == ".csv":
            file_index = self.staging.add_file(name, "line")
            raw = self._read_csv(path, spec, file_index)
            first_position = 2
        else:
            file_index = self.staging.add_file(name, "row")
            raw = self._read_parquet(path, file_index)
            first_position = 1
        if raw is None:
            return
        typed = self._typed(raw, spec, file_index, first_position)
        if typed is None:
            return
        items = self.staging.new_items(file_index, first_position, typed.num_rows, spec.name)
        self.staging.add_table(spec.name, items, typed)

    def finish(self) -> None:
        """Nothing spans files in this layout."""

    def _read_csv(self, path: Path, spec: Table, file_index: int) -> pa.Table | None:
        try:
            with path.open("rb") as handle:
                header = next(csv.reader([handle.readline().decode("utf-8")]), [])
        except UnicodeDecodeError:
            self.staging.problem(file_index, None, None, "is not UTF-8 text")
            return None
        options = pacsv.ConvertOptions(
            column_types={column: pa.string() for column in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        try:
            return pacsv.read_csv(path, convert_options=options)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            line = _first_bad_csv_line(path)
            self.staging.problem(
                file_index,
                line,
                None,
                "is not valid CSV (wrong number of fields, bad quoting or not UTF-8)",
            )
            return None

    def _read_parquet(self, path: Path, file_index: int) -> pa.Table | None:
        try:
            return pq.read_table(path)
        except (pa.ArrowInvalid, OSError):
            self.staging.problem(file_index, None, None, "is not a readable Parquet file")
            return None

    def _typed(
        self, raw: pa.Table, spec: Table, file_index: int, first_position: int
    ) -> pa.Table | None:
        if not set(raw.column_names) & set(spec.column_names):
            # Probably no header: the first row would be data, so name none of it.
            self.staging.problem(
                file_index, None, None, f"has none of the columns of {spec.name} (no header row?)"
            )
            return None
        for extra in sorted(set(raw.column_names) - set(spec.column_names)):
            named = extra if _COLUMN_NAME.fullmatch(extra) else None
            self.staging.problem(file_index, None, named, f"has a column not in {spec.name}")
        arrays = []
        for column in spec.columns:
            if column.name not in raw.column_names:
                if not column.nullable:
                    self.staging.problem(file_index, None, column.name, "required column missing")
                arrays.append(pa.nulls(raw.num_rows, type=column.type.arrow))
                continue
            arrays.append(self._convert(raw[column.name], column, file_index, first_position))
        if self.staging.has_problems():
            return None
        return pa.Table.from_arrays(arrays, schema=spec.arrow_schema())

    def _convert(
        self, values: pa.ChunkedArray, column: Column, file_index: int, first_position: int
    ) -> pa.Array:
        target = column.type.arrow
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            converted = self._from_text(
                values.cast(pa.string()), column, file_index, first_position
            )
        else:
            try:
                if not _COMPATIBLE[column.type](values.type):
                    raise pa.ArrowInvalid("incompatible type")
                converted = values.cast(target, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self.staging.problem(
                    file_index, None, column.name, f"must hold {column.type.value} values"
                )
                return pa.nulls(len(values), type=target)
        if not column.nullable:
            self._report(
                pc.is_null(values),
                column.name,
                "is required but empty",
                file_index,
                first_position,
            )
        return converted

    def _from_text(
        self, values: pa.Array, column: Column, file_index: int, first_position: int
    ) -> pa.Array:
        if column.type is ColumnType.STRING:
            return values
        pattern, problem = _PATTERNS[column.type]
        shaped = pc.match_substring_regex(values, pattern)
        if column.type is ColumnType.DATE:
            clean = pc.if_else(shaped, values, pa.scalar(None, pa.string()))
            parsed = pc.strptime(clean, format="%Y-%m-%d", unit="s", error_is_null=True)
            converted = pc.cast(parsed, pa.date32())
            bad = pc.and_(pc.is_valid(values), pc.is_null(converted))
        else:
            clean = pc.if_else(
                shaped, pc.utf8_trim_whitespace(values), pa.scalar(None, pa.string())
            )
            converted = pc.cast(clean, column.type.arrow)
            bad = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(shaped, False)))
        self._report(bad, column.name, problem, file_index, first_position)
        return converted

    def _report(
        self, mask: pa.Array, field: str, problem: str, file_index: int, first_position: int
    ) -> None:
        rows = np.flatnonzero(np.asarray(pc.fill_null(mask, False)))
        for row in rows[:50]:
            self.staging.problem(file_index, int(row) + first_position, field, problem)
        if len(rows) > 50:
            self.staging.problem(
                file_index, None, field, f"{len(rows) - 50} more rows with the same problem"
            )


def _first_bad_csv_line(path: Path) -> int | None:
    """The line of the first record whose field count differs from the header's."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            for record in reader:
                if len(record) != len(header):
                    return reader.line_num
    except (UnicodeDecodeError, csv.Error):
        return None
    return None

"""The staging area every input format writes into before anything touches the store.

Readers turn files into rows for the schema tables, and say where each row came from.
The unit of provenance is an *item*: one FHIR resource, or one row of a Parquet/CSV file.
An item may give several rows (an Observation with components gives one row per
component), and a quarantined item takes all its rows with it. Rows carry only their item
number; the item registry holds file, position and kind, so the quarantine report can say
where a record came from without repeating any of its values.

Readers also record invalid input (``Problem``), resource types the model does not hold
(``not_modelled``) and model fields the input did not provide (``absent``), per file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from openhaven.core.errors import Location
from openhaven.records.schema import TABLES, ColumnType, Table

ITEM_COLUMN = "_item"
MAX_PROBLEMS_PER_FILE = 50


@dataclass(frozen=True)
class Problem:
    """One way in which an input is not valid; names the place and the field, never values."""

    file: str
    position_kind: str | None
    position: int | None
    field: str | None
    problem: str

    def location(self) -> Location:
        return Location(
            file=self.file,
            line=self.position if self.position_kind in ("line", "row") else None,
            entry=self.position if self.position_kind == "entry" else None,
            field=self.field,
        )

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"file": self.file}
        if self.position_kind is not None and self.position is not None:
            body[self.position_kind] = self.position
        if self.field is not None:
            body["field"] = self.field
        body["problem"] = self.problem
        return body


@dataclass
class _TableRows:
    spec: Table
    items: list[int] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    prebuilt: list[pa.Table] = field(default_factory=list)


class Staging:
    """Rows, items and findings gathered from every file of one ingest call."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.units: list[str] = []
        self._unit_index: dict[str, int] = {}
        self._item_file: list[int] = []
        self._item_pos: list[int] = []
        self._item_unit: list[int] = []
        self._item_chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._item_count = 0
        self._tables = {spec.name: _TableRows(spec) for spec in TABLES}
        self.file_position_kind: dict[int, str | None] = {}
        self.problems: list[Problem] = []
        self._problems_per_file: Counter[int] = Counter()
        self.parse_quarantine: dict[int, str] = {}
        self.not_modelled: Counter[str] = Counter()
        self.absent: dict[str, Counter[str]] = {}

    # -- files and items -------------------------------------------------------------
    def add_file(self, name: str, position_kind: str | None) -> int:
        self.files.append(name)
        index = len(self.files) - 1
        self.file_position_kind[index] = position_kind
        return index

    def unit_id(self, unit: str) -> int:
        found = self._unit_index.get(unit)
        if found is None:
            found = self._unit_index[unit] = len(self.units)
            self.units.append(unit)
        return found

    def new_item(self, file_index: int, position: int, unit: str) -> int:
        """Register one resource (or row) and return its item number."""
        self._item_file.append(file_index)
        self._item_pos.append(position)
        self._item_unit.append(self.unit_id(unit))
        self._item_count += 1
        return self._item_count - 1

    def new_items(self, file_index: int, first_position: int, count: int, unit: str) -> np.ndarray:
        """Register ``count`` consecutive rows of one file at once; returns their numbers."""
        self._flush_items()
        start = self._item_count
        ids = np.arange(start, start + count, dtype=np.int64)
        self._item_chunks.append(
            (
                np.full(count, file_index, dtype=np.int32),
                np.arange(first_position, first_position + count, dtype=np.int64),
                np.full(count, self.unit_id(unit), dtype=np.int32),
            )
        )
        self._item_count += count
        return ids

    def _flush_items(self) -> None:
        if self._item_file:
            self._item_chunks.append(
                (
                    np.asarray(self._item_file, dtype=np.int32),
                    np.asarray(self._item_pos, dtype=np.int64),
                    np.asarray(self._item_unit, dtype=np.int32),
                )
            )
            self._item_file, self._item_pos, self._item_unit = [], [], []

    def item_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(file index, position, unit index) per item, indexed by item number."""
        self._flush_items()
        if not self._item_chunks:
            empty32 = np.empty(0, dtype=np.int32)
            return empty32, np.empty(0, dtype=np.int64), empty32
        files, positions, units = zip(*self._item_chunks, strict=True)
        merged = (np.concatenate(files), np.concatenate(positions), np.concatenate(units))
        self._item_chunks = [merged]
        return merged

    @property
    def item_count(self) -> int:
        return self._item_count

    # -- rows -------------------------------------------------------------------------
    def add_row(self, table: str, item: int, values: tuple[Any, ...]) -> None:
        """One row in schema column order; dates as ISO ``YYYY-MM-DD`` strings or None."""
        rows = self._tables[table]
        rows.items.append(item)
        rows.rows.append(values)

    def add_table(self, table: str, items: np.ndarray, data: pa.Table) -> None:
        """Rows already typed to the schema (from Parquet or CSV)."""
        with_items = data.append_column(ITEM_COLUMN, pa.array(items, type=pa.int64()))
        self._tables[table].prebuilt.append(with_items)

    def tables(self) -> dict[str, pa.Table]:
        """Every table with rows, typed to the schema, plus the ``_item`` column."""
        built: dict[str, pa.Table] = {}
        for name, rows in self._tables.items():
            parts = list(rows.prebuilt)
            if rows.rows:
                parts.append(_rows_to_table(rows.spec, rows.rows, rows.items))
            if parts:
                built[name] = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        return built

    # -- findings ---------------------------------------------------------------------
    def problem(
        self, file_index: int, position: int | None, field_path: str | None, problem: str
    ) -> None:
        """Record invalid input; stops recording a file's problems at the cap."""
        self._problems_per_file[file_index] += 1
        if self._problems_per_file[file_index] > MAX_PROBLEMS_PER_FILE:
            return
        kind = self.file_position_kind.get(file_index) if position is not None else None
        self.problems.append(Problem(self.files[file_index], kind, position, field_path, problem))

    def problem_counts(self) -> dict[str, int]:
        return {self.files[i]: n for i, n in self._problems_per_file.items()}

    def has_problems(self) -> bool:
        return bool(self._problems_per_file)

    def quarantine_item(self, item: int, reason: str) -> None:
        """Quarantine an item at parse time (e.g. a note whose text is not inline)."""
        self.parse_quarantine.setdefault(item, reason)

    def note_absent(self, file_index: int, note: str, count: int = 1) -> None:
        self.absent.setdefault(self.files[file_index], Counter())[note] += count


def _rows_to_table(spec: Table, rows: Sequence[tuple[Any, ...]], items: list[int]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = []
    for column, values in zip(spec.columns, columns, strict=True):
        if column.type is ColumnType.DATE:
            arrays.append(pa.array(values, type=pa.string()).cast(pa.date32()))
        else:
            arrays.append(pa.array(values, type=column.type.arrow))
    arrays.append(pa.array(items, type=pa.int64()))
    names = [*spec.column_names, ITEM_COLUMN]
    return pa.Table.from_arrays(arrays, names=names)

"""Reading and writing the delimited text tables the standalone anonymiser works on.

The anonymiser treats every cell as text (a hierarchy maps text to text), so the table is read
with the standard ``csv`` module into one list of strings per column. A row with the wrong number
of cells is an error naming the file and line; nothing is guessed or dropped.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openhaven.core.errors import InvalidInput, Location


@dataclass(frozen=True)
class TextTable:
    """A table of text cells held column by column; ``source`` names where it came from."""

    header: tuple[str, ...]
    columns: dict[str, list[str]]
    source: str = "<memory>"

    @property
    def row_count(self) -> int:
        return len(self.columns[self.header[0]]) if self.header else 0

    def column(self, name: str) -> list[str]:
        try:
            return self.columns[name]
        except KeyError:
            raise InvalidInput(
                f"Column '{name}' is not in the table's header.",
                Location(file=self.source, line=1, field=name),
            ) from None

    @classmethod
    def from_rows(
        cls, header: Sequence[str], rows: Sequence[Sequence[str]], *, source: str = "<memory>"
    ) -> TextTable:
        """Build a table from a header and rows (line numbers in errors count the header)."""
        names = tuple(header)
        if len(set(names)) != len(names):
            raise InvalidInput("The header names a column twice.", Location(file=source, line=1))
        columns: dict[str, list[str]] = {name: [] for name in names}
        lists = [columns[name] for name in names]
        for offset, row in enumerate(rows):
            if len(row) != len(names):
                raise InvalidInput(
                    f"Row has {len(row)} cells but the header names {len(names)} columns.",
                    Location(file=source, line=offset + 2),
                )
            for target, cell in zip(lists, row, strict=True):
                target.append(cell)
        return cls(header=names, columns=columns, source=source)


def read_table(path: Path | str, *, sep: str = ",") -> TextTable:
    """Read a delimited file whose first line is the header."""
    path = Path(path)
    source = str(path)
    if len(sep) != 1:
        raise InvalidInput("The separator must be one character.", Location(field="--sep"))
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=sep)
            header = next(reader, None)
            if header is None:
                raise InvalidInput("The data file is empty.", Location(file=source))
            rows = [row for row in reader if row]
    except FileNotFoundError:
        raise InvalidInput("Data file not found.", Location(file=source)) from None
    except UnicodeDecodeError:
        raise InvalidInput("Data file is not UTF-8 text.", Location(file=source)) from None
    return TextTable.from_rows(header, rows, source=source)


def write_table(table: TextTable, path: Path | str, *, sep: str = ",") -> None:
    """Write the table atomically: a reader never sees half a file, a failure leaves none."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=sep, lineterminator="\n")
            writer.writerow(table.header)
            writer.writerows(zip(*(table.columns[name] for name in table.header), strict=True))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

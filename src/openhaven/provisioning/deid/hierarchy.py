"""Generalisation hierarchies: loading, validating and encoding them.

A hierarchy file uses the layout the reference anonymisation tool uses: one row per original
value, column 0 the value itself, column ``i`` its generalisation at level ``i`` (the last level
is usually ``*``). Every row must have the same number of columns, no cell may be empty, a value
may appear only once, and the hierarchy must be a tree: a generalised value at level ``i`` must
always generalise to the same value at level ``i + 1``. Errors name the file, the line and the
column, never the value (hierarchies of dates of birth or postcodes are patient values too).

Once loaded, a hierarchy is encoded as integer arrays so that generalising a whole column is one
array lookup: ``codes_at(level)[leaf_code]`` is the code of the leaf's generalisation.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from openhaven.core.errors import InvalidInput, Location

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Hierarchy:
    """One attribute's generalisation hierarchy, encoded.

    ``rows[i][level]`` is the text of leaf ``i`` at ``level``; ``level_codes[level][i]`` its code
    among the distinct values of that level; ``level_labels[level][code]`` the text of a code.
    """

    attribute: str
    source: str
    rows: tuple[tuple[str, ...], ...]
    leaf_index: dict[str, int] = field(repr=False)
    level_codes: tuple[IntArray, ...] = field(repr=False)
    level_labels: tuple[tuple[str, ...], ...] = field(repr=False)

    @property
    def height(self) -> int:
        """The number of levels, the original values (level 0) included."""
        return len(self.level_codes)

    @property
    def max_level(self) -> int:
        return self.height - 1

    @property
    def domain_size(self) -> int:
        """The number of original values the hierarchy defines (its rows)."""
        return len(self.rows)

    def codes_at(self, level: int) -> IntArray:
        return self.level_codes[level]

    def labels_at(self, level: int) -> tuple[str, ...]:
        return self.level_labels[level]

    def leaves_under(self, level: int) -> IntArray:
        """For each leaf, how many leaves (hierarchy rows) share its generalisation at ``level``."""
        codes = self.level_codes[level]
        per_code = np.bincount(codes, minlength=len(self.level_labels[level]))
        return per_code[codes]


def hierarchy_from_rows(
    attribute: str, rows: list[list[str]], *, source: str = "<memory>", first_line: int = 1
) -> Hierarchy:
    """Validate and encode a hierarchy given as rows of text (value, level 1, level 2, ...)."""
    if not rows:
        raise InvalidInput(
            f"The hierarchy for attribute '{attribute}' is empty.", Location(file=source)
        )
    width = len(rows[0])
    leaf_index: dict[str, int] = {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        if len(row) != width:
            raise InvalidInput(
                f"Row has {len(row)} columns but the hierarchy's first row has {width}; "
                "every value needs one generalisation per level.",
                Location(file=source, line=line),
            )
        for column, cell in enumerate(row):
            if cell == "":
                raise InvalidInput(
                    "Empty cell in hierarchy.",
                    Location(file=source, line=line, field=f"column {column + 1}"),
                )
        if row[0] in leaf_index:
            raise InvalidInput(
                f"Value appears twice in the hierarchy (first on line "
                f"{first_line + leaf_index[row[0]]}).",
                Location(file=source, line=line, field="column 1"),
            )
        leaf_index[row[0]] = offset
    _check_tree(rows, source, first_line)
    level_codes: list[IntArray] = []
    level_labels: list[tuple[str, ...]] = []
    for level in range(width):
        labels: dict[str, int] = {}
        codes = np.empty(len(rows), dtype=np.int64)
        for index, row in enumerate(rows):
            codes[index] = labels.setdefault(row[level], len(labels))
        level_codes.append(codes)
        level_labels.append(tuple(labels))
    return Hierarchy(
        attribute=attribute,
        source=source,
        rows=tuple(tuple(row) for row in rows),
        leaf_index=leaf_index,
        level_codes=tuple(level_codes),
        level_labels=tuple(level_labels),
    )


def _check_tree(rows: list[list[str]], source: str, first_line: int) -> None:
    """A generalised value must have one parent: otherwise levels do not nest and the lattice
    of transformations would not be monotonic."""
    width = len(rows[0])
    for level in range(1, width - 1):
        parent_of: dict[str, tuple[str, int]] = {}
        for offset, row in enumerate(rows):
            seen = parent_of.setdefault(row[level], (row[level + 1], offset))
            if seen[0] != row[level + 1]:
                raise InvalidInput(
                    f"The hierarchy is not a tree: a level-{level} value generalises to two "
                    f"different level-{level + 1} values (first seen on line "
                    f"{first_line + seen[1]}).",
                    Location(file=source, line=first_line + offset, field=f"column {level + 2}"),
                )


def load_hierarchy(attribute: str, path: Path | str, *, sep: str = ";") -> Hierarchy:
    """Read and validate a hierarchy file for ``attribute``."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(
            f"Hierarchy file for attribute '{attribute}' not found.", Location(file=source)
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput("Hierarchy file is not UTF-8 text.", Location(file=source)) from None
    rows: list[list[str]] = []
    first_line: int | None = None
    for line_number, row in enumerate(csv.reader(text.splitlines(), delimiter=sep), start=1):
        if not row or all(cell == "" for cell in row):
            if rows:
                raise InvalidInput(
                    "Blank line inside the hierarchy.", Location(file=source, line=line_number)
                )
            continue
        if first_line is None:
            first_line = line_number
        elif line_number != first_line + len(rows):
            raise InvalidInput(
                "Blank line inside the hierarchy.", Location(file=source, line=line_number - 1)
            )
        rows.append(row)
    return hierarchy_from_rows(attribute, rows, source=source, first_line=first_line or 1)


def encode_column(
    hierarchy: Hierarchy, values: list[str], *, source: str, column: str, first_line: int = 2
) -> IntArray:
    """Map a data column onto the hierarchy's leaf codes.

    Every value must be defined by the hierarchy; the error lists where the missing ones are
    (data file, line, column) but not what they were.
    """
    index = hierarchy.leaf_index
    codes = np.empty(len(values), dtype=np.int64)
    missing: list[int] = []
    for row, value in enumerate(values):
        code = index.get(value)
        if code is None:
            missing.append(row)
            codes[row] = -1
        else:
            codes[row] = code
    if missing:
        details = [
            {"file": source, "line": first_line + row, "field": column,
             "reason": "value not in the hierarchy"}
            for row in missing[:50]
        ]
        listed = f"; the first {len(details)} are listed" if len(missing) > len(details) else ""
        raise InvalidInput(
            f"{len(missing)} value(s) of column '{column}' are not in its hierarchy "
            f"({hierarchy.source}); every data value must have a row there{listed}.",
            Location(file=source, line=first_line + missing[0], field=column),
            details=details,
        )
    return codes

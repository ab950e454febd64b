"""The ICD-10 hierarchy that disease-specific (DS) purposes and limitations are matched through.

ICD-10 has four levels: 22 chapters (I–XXII), blocks of categories within a chapter
(``C30-C39``), three-character categories (``C34``) and four-character subcategories
(``C34.1``). Every level is a contiguous range of codes, so a term is kept as an interval of
subcategory positions and "is this term within that one" is interval containment: C34.1 lies
within C34, which lies within block C30-C39, which lies within chapter II (C00-D48). A range
that is not an official block (``C00-C97``, all malignant neoplasms) works the same way.

The chapters and blocks (public WHO structure, 2019 edition) ship as package data in
``reference_data/icd10_structure.csv``, so reasons can name the block and chapter a code
belongs to, and a code outside every block is refused rather than silently matched.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from openhaven.core.errors import InvalidInput, Location

_CATEGORY = re.compile(r"^([A-Z])(\d{2})(?:\.?(\d))?$")
_ROMAN = re.compile(r"^(X{0,2}(?:IX|IV|V?I{0,3})|XX|XXI|XXII)$")
SUBCATEGORIES_PER_CATEGORY = 10


@dataclass(frozen=True)
class Grouping:
    """A chapter or block: its kind, its range as written, its chapter numeral and title."""

    kind: str
    code_range: str
    chapter: str
    title: str
    first: int
    last: int


@dataclass(frozen=True)
class DiseaseTerm:
    """A code or range as the user wrote it (normalised) and the positions it covers."""

    code: str
    first: int
    last: int

    def within(self, other: DiseaseTerm) -> bool:
        """True when every code this term covers is also covered by ``other``."""
        return other.first <= self.first and self.last <= other.last

    def overlaps(self, other: DiseaseTerm) -> bool:
        return self.first <= other.last and other.first <= self.last


def _position(letter: str, number: str, sub: str | None) -> tuple[int, int]:
    """First and last subcategory positions of a category (``sub`` None) or subcategory."""
    category = (ord(letter) - ord("A")) * 100 + int(number)
    base = category * SUBCATEGORIES_PER_CATEGORY
    if sub is None:
        return base, base + SUBCATEGORIES_PER_CATEGORY - 1
    return base + int(sub), base + int(sub)


def _code_positions(code: str, field: str) -> tuple[int, int]:
    found = _CATEGORY.match(code)
    if found is None:
        raise InvalidInput(
            f"{code!r} is not an ICD-10 code (a letter and two digits, optionally .digit)",
            Location(field=field),
        )
    return _position(found.group(1), found.group(2), found.group(3))


def _normalise(code: str) -> str:
    found = _CATEGORY.match(code)
    if found is None or found.group(3) is None:
        return code
    return f"{found.group(1)}{found.group(2)}.{found.group(3)}"


@cache
def groupings() -> tuple[Grouping, ...]:
    """Every chapter and block, in the order of the shipped table."""
    source = resources.files("openhaven.governance.reference_data") / "icd10_structure.csv"
    found: list[Grouping] = []
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            start, end = row["range"].split("-")
            first, _ = _code_positions(start, "range")
            _, last = _code_positions(end, "range")
            found.append(
                Grouping(row["kind"], row["range"], row["chapter"], row["title"], first, last)
            )
    return tuple(found)


def chapters() -> list[Grouping]:
    return [g for g in groupings() if g.kind == "chapter"]


def blocks() -> list[Grouping]:
    return [g for g in groupings() if g.kind == "block"]


def parse_term(text: str, field: str = "DS") -> DiseaseTerm:
    """A code (``C34``, ``C34.1``), a range (``C00-C97``) or a chapter numeral (``II``).

    Refused, naming the field: malformed codes, reversed ranges, and codes that fall in no
    ICD-10 block.
    """
    raw = text.strip().upper()
    if _ROMAN.match(raw) and raw:
        for chapter in chapters():
            if chapter.chapter == raw:
                return DiseaseTerm(chapter.code_range, chapter.first, chapter.last)
        raise InvalidInput(f"{raw!r} is not an ICD-10 chapter (I to XXII)", Location(field=field))
    if "-" in raw:
        start, _, end = raw.partition("-")
        first, _ = _code_positions(start, field)
        _, last = _code_positions(end, field)
        if first > last:
            raise InvalidInput(
                f"ICD-10 range {raw!r} ends before it starts", Location(field=field)
            )
        code = f"{_normalise(start)}-{_normalise(end)}"
    else:
        first, last = _code_positions(raw, field)
        code = _normalise(raw)
    for position in (first, last):
        if _block_at(position) is None:
            raise InvalidInput(
                f"{code!r} is outside every ICD-10 block", Location(field=field)
            )
    return DiseaseTerm(code, first, last)


def _block_at(position: int) -> Grouping | None:
    for block in blocks():
        if block.first <= position <= block.last:
            return block
    return None


def describe(term: DiseaseTerm) -> str:
    """Where a term sits in the hierarchy, in words (``C34 (block C30-C39 …, chapter II)``)."""
    block = _block_at(term.first)
    same_block = block is not None and term.within(
        DiseaseTerm(block.code_range, block.first, block.last)
    )
    chapter = next(
        (c for c in chapters() if c.first <= term.first and term.last <= c.last), None
    )
    parts = []
    if same_block and block is not None and block.code_range != term.code:
        parts.append(f"block {block.code_range} {block.title}")
    if chapter is not None and chapter.code_range != term.code:
        parts.append(f"chapter {chapter.chapter} {chapter.title}")
    return f"{term.code} ({'; '.join(parts)})" if parts else term.code

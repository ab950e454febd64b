"""Dates as clinical notes write them, read into calendar dates and written back the same way.

Numeric dates are read day first (the UK order): 05/11/1968, 5/11/68, 05.11.68, 05-11-1968;
ISO 1968-11-05; written 5 November 1968, 5th Nov 1968, November 5, 1968. A month and year
alone (November 1968) is a partial date. Each match keeps how it was written, so a shifted
date is written back in the same layout and a timeline in text still reads naturally.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
SHORT_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
SHORT_MONTHS["sept"] = 9
#: a word that may be a month; ``_month_number`` decides (faster than a long alternation)
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"

NUMERIC = re.compile(
    r"(?<![\d/.\-])(?P<day>\d{1,2})(?P<sep>[/.\-])(?P<month>\d{1,2})(?P=sep)"
    r"(?P<year>\d{4}|\d{2})(?![\d/\-]|\.\d)"
)
ISO = re.compile(r"(?<![\d\-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d\-])")
DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_MONTH},?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})\b"
)
MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b")


@dataclass(frozen=True, slots=True)
class DateInText:
    start: int
    end: int
    value: dt.date
    #: the layout's name (for findings' reasons)
    layout: str
    #: writes another date in this match's layout
    write: Callable[[dt.date], str]
    #: False for a month and year without a day
    complete: bool = True


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # two-digit years: up to 30 years ahead of this century's current year is 20xx
        return 2000 + year if year <= (dt.date.today().year % 100) + 1 else 1900 + year
    return year


def _month_number(text: str) -> int | None:
    key = text.lower().rstrip(".")
    return MONTHS.get(key) or SHORT_MONTHS.get(key)


def _month_writer(original: str) -> Callable[[int], str]:
    """Writes a month number as the original was written (full or short, its case)."""
    full = original.lower().rstrip(".") in MONTHS
    names = calendar.month_name if full else calendar.month_abbr

    def write(month: int) -> str:
        name = names[month]
        if original.isupper():
            return name.upper()
        if original.islower():
            return name.lower()
        return name + ("." if original.endswith(".") else "")

    return write


def find_dates(text: str) -> tuple[DateInText, ...]:
    """Every readable date in ``text``; impossible dates (31/02/2020) are not dates."""
    return _find_dates(text)


@lru_cache(maxsize=64)
def _find_dates(text: str) -> tuple[DateInText, ...]:
    return tuple(_dates(text))


def _dates(text: str) -> Iterator[DateInText]:
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in ISO.finditer(text):
        value = _date(match["year"], match["month"], match["day"])
        if value is not None:
            taken.append(match.span())
            yield DateInText(*match.span(), value, "ISO (YYYY-MM-DD)",
                             lambda d: d.isoformat())
    for match in NUMERIC.finditer(text):
        if not free(*match.span()):
            continue
        value = _date(match["year"], match["month"], match["day"], two_digit=True)
        if value is None:
            continue
        taken.append(match.span())
        yield DateInText(*match.span(), value, f"numeric, day first ({match['sep']})",
                         _numeric_writer(match))
    for pattern, layout in ((DAY_MONTH_YEAR, "day month year"),
                            (MONTH_DAY_YEAR, "month day year")):
        for match in pattern.finditer(text):
            if not free(*match.span()):
                continue
            value = _written(match)
            if value is None:
                continue
            taken.append(match.span())
            yield DateInText(*match.span(), value, layout, _written_writer(match, text))
    for match in MONTH_YEAR.finditer(text):
        if not free(*match.span()):
            continue
        month = _month_number(match["month"])
        if month is None:
            continue
        value = dt.date(int(match["year"]), month, 1)
        write_month = _month_writer(match["month"])
        taken.append(match.span())
        yield DateInText(*match.span(), value, "month and year",
                         _month_year_writer(write_month), complete=False)


def _month_year_writer(write_month: Callable[[int], str]) -> Callable[[dt.date], str]:
    def write(d: dt.date) -> str:
        return f"{write_month(d.month)} {d.year}"

    return write


def _date(year: str, month: str, day: str, *, two_digit: bool = False) -> dt.date | None:
    try:
        return dt.date(_year(year) if two_digit else int(year), int(month), int(day))
    except ValueError:
        return None


def _written(match: re.Match[str]) -> dt.date | None:
    month = _month_number(match["month"])
    if month is None:
        return None
    try:
        return dt.date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def _numeric_writer(match: re.Match[str]) -> Callable[[dt.date], str]:
    sep = match["sep"]
    day_width = 2 if len(match["day"]) == 2 else 0
    month_width = 2 if len(match["month"]) == 2 else 0
    short_year = len(match["year"]) == 2

    def write(d: dt.date) -> str:
        year = f"{d.year % 100:02d}" if short_year else f"{d.year:04d}"
        return f"{d.day:0{day_width}d}{sep}{d.month:0{month_width}d}{sep}{year}"

    return write


def _written_writer(match: re.Match[str], text: str) -> Callable[[dt.date], str]:
    """Replaces the day, month and year inside the original words, keeping the rest."""
    original = text[match.start():match.end()]
    base = match.start()
    spans = {key: (match.start(key) - base, match.end(key) - base)
             for key in ("day", "month", "year")}
    write_month = _month_writer(match["month"])
    padded = len(match["day"]) == 2 and match["day"].startswith("0")

    def write(d: dt.date) -> str:
        parts = {"day": f"{d.day:02d}" if padded else str(d.day),
                 "month": write_month(d.month), "year": f"{d.year:04d}"}
        out = original
        for key, (start, end) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
            out = out[:start] + parts[key] + out[end:]
        return _fix_ordinal(out, d.day)

    return write


def _fix_ordinal(text: str, day: int) -> str:
    """A written ordinal follows the new day: 1st, 2nd, 3rd, 4th... 21st, 22nd."""
    def suffix(number: int) -> str:
        if 11 <= number % 100 <= 13:
            return "th"
        return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")

    return re.sub(
        rf"\b{day}(st|nd|rd|th)\b", f"{day}{suffix(day)}", text, count=1, flags=re.IGNORECASE
    )

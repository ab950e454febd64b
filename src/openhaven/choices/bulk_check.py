"""The bulk check: which NHS numbers in a list may be used, like the national check service.

A custodian submits a list (one NHS number a line) for a purpose or a project and gets back
the numbers that may be used, in the order given, a count of those removed by patients'
choices (never which), and every invalid line with its line number and reason — invalid
numbers are reported, never silently dropped. Blank lines are skipped and not counted.

The work is vectorised: Arrow reads and cleans the list (spaces and hyphens inside a number
are allowed), check digits are computed for all numbers at once with numpy, and membership
in the sorted opt-out set is one binary search per number. Ten million numbers against
600,000 opt-outs take a few seconds (benchmarks/bench_choices.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy.orm import Session

from openhaven.choices import service
from openhaven.choices.enforcement import choices_for_project
from openhaven.choices.policy import PURPOSES, load_policy
from openhaven.core.clock import utc_now
from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import record_event
from openhaven.records.nhs_number import WEIGHTS, why_invalid

MAX_INVALID_LISTED = 10_000


@dataclass
class CheckResult:
    submitted: int
    usable: int
    removed: int
    invalid: list[dict[str, Any]] = field(default_factory=list)
    invalid_count: int = 0
    usable_numbers: pa.Array | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "submitted": self.submitted,
            "usable": self.usable,
            "removed": self.removed,
            "invalid": list(self.invalid),
        }
        if self.invalid_count > len(self.invalid):
            body["invalid_not_listed"] = self.invalid_count - len(self.invalid)
        return body


def check_list_file(
    session: Session,
    haven: Haven,
    path: Path,
    *,
    purpose: str | None = None,
    project: str | None = None,
    out: Path | None = None,
    actor: str,
) -> CheckResult:
    """Check the list in ``path`` for ``purpose`` or ``project``; write usable ones to ``out``."""
    if not path.is_file():
        raise InvalidInput("No such file", Location(file=path.name))
    opted_out = opted_out_for(session, haven, purpose=purpose, project=project)
    result = check_numbers(read_list(path), opted_out)
    if out is not None:
        write_list(result.usable_numbers, out)
    record_event(
        haven, "choices.bulk_checked", actor=actor, subject=project,
        details={"purpose": purpose, "submitted": result.submitted, "usable": result.usable,
                 "removed": result.removed, "invalid": result.invalid_count},
    )
    return result


def opted_out_for(
    session: Session, haven: Haven, *, purpose: str | None, project: str | None,
    at: datetime | None = None,
) -> npt.NDArray[np.int64]:
    """The sorted NHS numbers (as integers) withheld for a project, or for a purpose."""
    moment = at or utc_now()
    if project is not None:
        found = governance.get_project(session, project)
        numbers = choices_for_project(session, haven, found, at=moment).withheld
    else:
        if purpose not in PURPOSES:
            raise InvalidInput(f"purpose must be one of: {', '.join(PURPOSES)}",
                               Location(field="purpose"))
        names = load_policy(haven).choices_for_purposes({purpose})
        collected: set[str] = set()
        for name in names:
            collected |= set(service.opted_out_nhs_numbers(session, choice=name, at=moment))
        numbers = sorted(collected)
    return np.sort(np.array(numbers, dtype=np.int64)) if numbers else np.empty(0, np.int64)


def read_list(path: Path) -> pa.Array:
    """The file's lines as strings (blank lines kept, so positions are line numbers - 1)."""
    if path.stat().st_size == 0:
        return pa.array([], pa.string())
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=["value"], block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False,
                                         escape_char=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={"value": pa.string()}, strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.column("value").combine_chunks()


def check_numbers(lines: pa.Array, opted_out: npt.NDArray[np.int64]) -> CheckResult:
    """Classify each line: blank (skipped), invalid, opted out (removed) or usable."""
    trimmed = pc.utf8_trim_whitespace(lines)
    length = np.asarray(pc.utf8_length(trimmed).to_numpy(zero_copy_only=False))
    blank = length == 0
    shaped = np.asarray(
        pc.and_(pc.utf8_is_digit(trimmed), pc.equal(length, 10)).to_numpy(zero_copy_only=False)
    )
    numbers = np.zeros(len(lines), dtype=np.int64)
    numbers[shaped] = pc.cast(pc.filter(trimmed, pa.array(shaped)), pa.int64()).to_numpy()
    # The few lines written with spaces or hyphens (943 476 5919) are cleaned one by one.
    reasons: dict[int, str] = {}
    for row in np.flatnonzero(~shaped & ~blank):
        cleaned = str(trimmed[int(row)].as_py()).replace(" ", "").replace("-", "")
        reason = why_invalid(cleaned)
        if reason is None:
            numbers[row], shaped[row] = int(cleaned), True
        else:
            reasons[int(row)] = reason
    valid = shaped & _check_digit_matches(numbers)
    hit = _members(numbers, opted_out) & valid
    usable = valid & ~hit
    invalid_rows = np.flatnonzero(~valid & ~blank)
    invalid = [
        {"line": int(row) + 1, "value": trimmed[int(row)].as_py(),
         "reason": reasons.get(int(row), "check digit does not match (Modulus 11)")}
        for row in invalid_rows[:MAX_INVALID_LISTED]
    ]
    usable_numbers = pc.utf8_lpad(pc.cast(pa.array(numbers[usable]), pa.string()), 10, "0")
    return CheckResult(
        submitted=int(len(lines) - blank.sum()),
        usable=int(usable.sum()),
        removed=int(hit.sum()),
        invalid=invalid,
        invalid_count=int(invalid_rows.size),
        usable_numbers=usable_numbers,
    )


def write_list(numbers: pa.Array | None, out: Path) -> None:
    """One number a line, written to a temporary name and renamed into place."""
    partial = out.with_name(f".{out.name}.partial")
    table = pa.table({"value": numbers if numbers is not None else pa.array([], pa.string())})
    pacsv.write_csv(table, partial,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    partial.replace(out)


def _check_digit_matches(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Modulus 11 for every number at once, the weighted sums read from two small tables."""
    stems = numbers // 10
    high = stems // 100_000
    total = _HIGH_SUMS[high % 10_000] + _LOW_SUMS[stems - high * 100_000]
    digit = 11 - total % 11
    digit = np.where(digit == 11, 0, digit)
    return np.asarray((digit != 10) & (digit == numbers % 10))


def _members(
    numbers: npt.NDArray[np.int64], opted_out: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which numbers are in ``opted_out``, for numbers whose check digit is valid.

    A valid number is fixed by its first nine digits, so membership is one bit in a bitmap
    of 10^9 nine-digit stems (125 MB, touched only where used): one lookup per number.
    """
    if opted_out.size == 0:
        return np.zeros(numbers.shape, dtype=bool)
    bits = np.zeros(_STEMS // 8, dtype=np.uint8)
    stems = opted_out // 10
    np.bitwise_or.at(bits, stems >> 3, np.left_shift(1, stems & 7).astype(np.uint8))
    queried = (numbers // 10) % _STEMS
    return np.asarray((bits[queried >> 3] >> (queried & 7).astype(np.uint8)) & 1 == 1)


def _digit_sums(width: int, weights: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    values = np.arange(10**width, dtype=np.int64)
    total = np.zeros_like(values)
    for position, weight in enumerate(weights):
        total += (values // 10 ** (width - 1 - position)) % 10 * weight
    return total


_STEMS = 10**9
_HIGH_SUMS = _digit_sums(4, WEIGHTS[:4])  # digits 1-4 of the nine, weights 10, 9, 8, 7
_LOW_SUMS = _digit_sums(5, WEIGHTS[4:])  # digits 5-9, weights 6, 5, 4, 3, 2

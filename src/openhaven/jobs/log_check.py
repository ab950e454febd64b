"""Check a job's log before anyone sees it: logs must not carry record-level data out.

A script's printed output is the one channel besides its output folder, so the log is held
back unless it passes three checks: it is within the size limit; it contains none of the
extract's pseudonyms (a printed row of a patient table would carry one); and it holds no
long tabular dump (many consecutive lines of delimited fields, the shape of printed rows).
The verdict says which check failed; the withheld log itself is kept nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_LOG_CHARACTERS = 32_000
#: More consecutive table-like lines than this look like printed records, not a summary.
MAX_TABLE_LINES = 25
#: Hex runs this long are compared with the pseudonyms by prefix: a table printer that
#: shortens long strings still prints enough of a pseudonym to single out a row.
PREFIX = 10
_TOKEN = re.compile(r"[0-9a-f]{" + str(PREFIX) + ",}", re.IGNORECASE)
_CELL_SPLIT = re.compile(r"\s*[|,;\t]\s*|\s{2,}")


@dataclass(frozen=True)
class LogVerdict:
    released: bool
    reason: str


def check_log(log: str, pseudonyms: Iterable[str], *, truncated: bool = False) -> LogVerdict:
    """Whether ``log`` may be shown to the project team, and why (never quoting it)."""
    if truncated or len(log) > MAX_LOG_CHARACTERS:
        return LogVerdict(False, f"the log is longer than the {MAX_LOG_CHARACTERS:,} "
                                 "characters a job may print; write results to the output folder")
    known = {p.lower()[:PREFIX] for p in pseudonyms if len(p) >= PREFIX}
    lowered = log.lower()
    short = [p.lower() for p in pseudonyms if 0 < len(p) < PREFIX]
    candidates = {m.group(0)[:PREFIX] for m in _TOKEN.finditer(lowered)}
    if candidates & known or any(p in lowered for p in short):
        return LogVerdict(False, "the log contains a patient pseudonym from the extract, "
                                 "so it may carry record-level data")
    if longest_table_run(log) > MAX_TABLE_LINES:
        return LogVerdict(False, f"the log prints more than {MAX_TABLE_LINES} rows of a table; "
                                 "record-level rows may not leave the haven")
    return LogVerdict(True, "the log passed the size, pseudonym and table checks")


def longest_table_run(log: str) -> int:
    """The longest run of consecutive lines with the same number (3+) of delimited fields."""
    longest = current = 0
    previous_width = -1
    for line in log.splitlines():
        stripped = line.strip()
        width = len([c for c in _CELL_SPLIT.split(stripped) if c]) if stripped else 0
        if width >= 3 and width == previous_width:
            current += 1
        else:
            current = 1 if width >= 3 else 0
        previous_width = width
        longest = max(longest, current)
    return longest

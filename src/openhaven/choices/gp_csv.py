"""Type 1 objections as CSV from GP systems: the layout, reading and writing.

One row per objection or withdrawal, with a header row (columns in any order)::

    nhs_number,status,effective_date,practice_code,recorded_at,acting_as
    9434765919,opt-out,2026-03-01,B82005,2026-03-01T09:30:00+00:00,self

* ``status``: ``opt-out`` or ``withdrawn``, or the SNOMED CT codes GP systems use
  (827241000000103 dissent from secondary use of GP patient identifiable data;
  827261000000102 dissent withdrawn);
* ``effective_date``: ISO 8601 date or date-time the objection takes effect;
* ``practice_code``: the practice's ODS code, recorded as who recorded it (``gp:<code>``);
* ``recorded_at`` (optional, default: the time of import) and ``acting_as`` (optional,
  default ``self``; a proxy role otherwise).

Rows become events of the policy's GP-ingest choice (``type-1`` by default) on the ``gp``
channel. Problems name the line (the header is line 1) and the column, never a value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from openhaven.choices.models import ChoiceEvent, ChoiceValue
from openhaven.core.errors import Location

COLUMNS = ("nhs_number", "status", "effective_date", "practice_code", "recorded_at", "acting_as")
REQUIRED = ("nhs_number", "status", "effective_date", "practice_code")
SNOMED_OPT_OUT = "827241000000103"
SNOMED_WITHDRAWN = "827261000000102"
STATUS_VALUES = {
    "opt-out": ChoiceValue.OPT_OUT,
    SNOMED_OPT_OUT: ChoiceValue.OPT_OUT,
    "withdrawn": ChoiceValue.WITHDRAW,
    SNOMED_WITHDRAWN: ChoiceValue.WITHDRAW,
}
ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")
GP_PREFIX = "gp:"
FIELD_NAMES = {"effective_at": "effective_date", "value": "status",
               "recorded_by": "practice_code"}


def read_rows(
    text: str, *, choice: str, file_name: str
) -> tuple[list[dict[str, Any]], list[Location], list[dict[str, Any]]]:
    """Entries, their locations, and problems (each with line, field and what is wrong)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], [], [{"file": file_name, "line": 1, "field": "header",
                         "problem": "the file is empty"}]
    names = [cell.strip().lower() for cell in header]
    problems: list[dict[str, Any]] = []
    for missing in (c for c in REQUIRED if c not in names):
        problems.append({"file": file_name, "line": 1, "field": missing,
                         "problem": "column is missing from the header"})
    for position, unknown in enumerate(names, 1):
        if unknown not in COLUMNS:
            problems.append({"file": file_name, "line": 1, "field": f"column {position}",
                             "problem": "is not a column of the layout"})
    if problems:
        return [], [], problems
    entries: list[dict[str, Any]] = []
    locations: list[Location] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            problems.append({"file": file_name, "line": line, "field": "row",
                             "problem": f"has {len(cells)} cells, the header {len(names)}"})
            continue
        row = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
        value = STATUS_VALUES.get(row["status"].lower())
        if value is None:
            problems.append({"file": file_name, "line": line, "field": "status",
                             "problem": "must be opt-out, withdrawn or their SNOMED CT code"})
        practice = row["practice_code"].upper()
        if not ODS_CODE.match(practice):
            problems.append({"file": file_name, "line": line, "field": "practice_code",
                             "problem": "must be an ODS code (3-10 letters or digits)"})
        entries.append({
            "nhs_number": row["nhs_number"].replace(" ", ""),
            "choice": choice,
            "value": value.value if value is not None else row["status"],
            "effective_at": row["effective_date"],
            "recorded_at": row.get("recorded_at") or None,
            "acting_as": row.get("acting_as") or None,
            "channel": "gp",
            "recorded_by": GP_PREFIX + practice,
        })
        locations.append(Location(file=file_name, line=line))
    return entries, locations, problems


def write_rows(events: Iterable[ChoiceEvent]) -> str:
    """The CSV for ``events`` (Type 1 events; who recorded them becomes the practice code)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in events:
        practice = event.recorded_by.removeprefix(GP_PREFIX)
        writer.writerow([
            event.nhs_number,
            "opt-out" if event.value == ChoiceValue.OPT_OUT else "withdrawn",
            event.effective_at.isoformat(),
            practice,
            event.recorded_at.isoformat(),
            str(event.acting_as),
        ])
    return out.getvalue()

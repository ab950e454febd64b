"""Run a researcher's query and let out only its checked form.

This is the single path from an aggregate query to a result a person can see: the raw
table exists only in memory here; what is stored, shown and logged is the checked table.
When the acting person is known, they must themselves be allowed to reach the project's data
now (``governance.access.may_access``): on the team, accredited, under an agreement in force.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from openhaven.analysis.measure_checks import check_measure_table
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.analysis.runner import run_query_unsafe
from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.governance.models import Person
from openhaven.ledger import record_event
from openhaven.outputs import repository
from openhaven.outputs.comparable_tables import ComparableTable, TableCell
from openhaven.outputs.small_counts import CheckedTable, suppress_small_counts
from openhaven.provisioning.extract_access import extract_for_analysis

#: where a count-of-patients output keeps its comparable form (for differencing at release)
COMPARABLE_KEY = "comparable_table"


def run_checked_query(
    session: Session, haven: Haven, reference: str, query: AggregateQuery, *, actor: str,
    person: Person | None = None,
) -> dict[str, Any]:
    """Run ``query`` on the project's current extract; return and record the checked table.

    ``person``, when given, is who is asking: refused (with the reason) unless
    ``may_access`` allows them this project's data at this moment.
    """
    project, extract = extract_for_analysis(session, haven, reference, person)
    raw = run_query_unsafe(haven.home / extract.path, query)
    if raw.measure == "count_patients":
        checked = suppress_small_counts(raw, haven.settings.small_count_threshold)
    else:
        checked = check_measure_table(raw, haven.settings.small_count_threshold)
    stored_checks = dict(checked.checks)
    comparable = _comparable(query, checked, extract.version)
    if comparable is not None:
        stored_checks[COMPARABLE_KEY] = comparable
    output = repository.record_output(
        session,
        project_id=project.id,
        extract_id=extract.id,
        kind="query",
        name=query.name,
        created_at=utc_now(),
        result=json.dumps(checked.as_dict()),
        verdict=checked.verdict,
        checks=json.dumps(stored_checks),
        status="checked",
    )
    record_event(
        haven,
        "output.checked",
        actor=actor,
        subject=reference,
        details={
            "output_id": output.id,
            "query": query.name,
            "query_hash": hashlib.sha256(
                json.dumps(query.as_dict(), sort_keys=True).encode()
            ).hexdigest(),
            "extract_version": extract.version,
            "verdict": checked.verdict,
            "suppressed_cells": len(checked.checks["minimum_cell_count"]["suppressed_cells"]),
        },
    )
    return {"output_id": output.id, "project": reference, **checked.as_dict()}


def _comparable(query: AggregateQuery, checked: CheckedTable,
                extract_version: int) -> dict[str, Any] | None:
    """A count of patients as the airlock compares it with the project's other tables.

    Cells are the published rows (no margins); the population's filters are one opaque
    condition, so the table relates to others with the same population (or none). Only
    tables of the same extract version and reference date are compared.
    """
    if query.measure_spec.kind != "count_patients":
        return None
    population = query.as_dict()["population"]
    where = ("population matches " + json.dumps(population, sort_keys=True)
             if population else None)
    cells = tuple(
        TableCell((index, 0), tuple(str(g) for g in row[:-1]), (),
                  tuple((d, str(g)) for d, g in zip(checked.dimensions, row[:-1], strict=True)),
                  None if row[-1] is None else float(row[-1]), row[-1] is None)
        for index, row in enumerate(checked.rows))
    universe = (f"patients: extract v{extract_version}, reference date "
                f"{query.reference_date.isoformat()}")
    return ComparableTable("query", universe, where, checked.dimensions, True, 0.0,
                           cells).as_dict()

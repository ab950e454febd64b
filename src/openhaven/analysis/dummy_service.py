"""Dummy data for a project, from its approved dataset specification.

The project's specification (what it may receive, field by field) is all that is read: the
extract itself is never opened, so dummy data can be handed to a researcher outside the
haven. The hand-over is recorded in the audit log (project, seed, sizes), like every other
thing given to a researcher.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.analysis.dummy_data import DummyReport, generate_dummy_extract
from openhaven.analysis.extract_schema import extract_schema
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import record_event
from openhaven.provisioning.specification import DatasetSpecification

MAX_DUMMY_PATIENTS = 200_000


def project_dummy_data(
    session: Session,
    haven: Haven,
    reference: str,
    destination: Path,
    *,
    actor: str,
    patients: int = 500,
    seed: int = 0,
    query: AggregateQuery | None = None,
    min_matches: int = 0,
) -> DummyReport:
    """Write dummy data shaped exactly like ``reference``'s extract into ``destination``."""
    from openhaven.core.errors import InvalidInput, Location

    if not 1 <= patients <= MAX_DUMMY_PATIENTS:
        raise InvalidInput(f"patients must be 1 to {MAX_DUMMY_PATIENTS:,}",
                           Location(field="patients"))
    if not 0 <= min_matches <= MAX_DUMMY_PATIENTS:
        raise InvalidInput(f"min_matches must be 0 to {MAX_DUMMY_PATIENTS:,}",
                           Location(field="min_matches"))
    project = governance.get_project(session, reference)
    specification = DatasetSpecification.from_dict(_as_mapping(project.dataset_specification))
    report = generate_dummy_extract(
        extract_schema(specification), destination, patients=patients, seed=seed,
        query=query, min_matches=min_matches,
    )
    record_event(haven, "dummy.generated", actor=actor, subject=reference, details={
        "patients": report.patients, "row_counts": report.row_counts, "seed": seed,
        "query": query.name if query else None, "matches": report.matches,
    })
    return report


def project_schema(session: Session, reference: str) -> dict[str, list[dict[str, str]]]:
    """The extract's schema, table by table: each column's name, type and transformation.

    Read from the dataset specification alone (no extract is opened), so it may be shown
    to the project's team anywhere.
    """
    project = governance.get_project(session, reference)
    specification = DatasetSpecification.from_dict(_as_mapping(project.dataset_specification))
    return {table: [{"name": c.name, "type": c.type.value, "transformation": c.transformation}
                    for c in columns]
            for table, columns in extract_schema(specification).items()}


def tables_as_csv(folder: Path) -> list[Path]:
    """Write each dummy table (``tables/*.parquet``) beside itself as CSV; the CSV paths."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    written = []
    for parquet in sorted((folder / "tables").glob("*.parquet")):
        target = parquet.with_suffix(".csv")
        pa_csv.write_csv(pq.read_table(parquet), target)
        written.append(target)
    return written


def _as_mapping(stored: Any) -> dict[str, Any]:
    if isinstance(stored, str):
        decoded: dict[str, Any] = json.loads(stored)
        return decoded
    return dict(stored or {})

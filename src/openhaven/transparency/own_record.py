"""What researchers see about me: a patient's own rows, as each project received them.

The plain answer to "what does anonymised mean for me". For each extract that included the
patient, the patient's pseudonym in that project is recomputed from the master key (the
same keyed function provisioning used) and the extract's rows for that pseudonym are read
back: pseudonymised, generalised and trimmed exactly as the project holds them.

Only ever for the patient themselves: callers pass the NHS number linked to the signed-in
account (or given by the patient to custodian staff), never one typed by someone else.
Every viewing is written to the ledger under the patient's reference.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.errors import NotFound
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.governance.workflow import get_project
from openhaven.ledger import patient_reference, record_event
from openhaven.provisioning import repository as extracts
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.provisioning.transformations import PSEUDONYM_COLUMN
from openhaven.transparency.membership_store import membership_store
from openhaven.transparency.patient_keys import nhs_key
from openhaven.transparency.patient_uses import normalised_nhs_number

ROW_LIMIT = 500  # per table: a patient's own history, not a bulk export


def record_as_received(
    session: Session, haven: Haven, nhs_number: str, reference: str, *, actor: str
) -> dict[str, Any]:
    """The patient's rows in each of project ``reference``'s extracts that included them."""
    number = normalised_nhs_number(nhs_number)
    project = get_project(session, reference)
    store = membership_store(haven)
    included = set(store.extracts_including(store.indices_for_key(nhs_key(haven, number))))
    # keyed on the NHS number itself, as provisioning does for every patient who has one
    pseudonyms = [pseudonymise(project_key(haven.master_key(), reference),
                               patient_token(number, ""))]
    received = []
    for extract in extracts.list_extracts(session, project.id):
        if extract.id not in included:
            continue
        received.append({
            "version": extract.version,
            "provisioned": extract.created_at.date().isoformat(),
            "tables": _rows_for(haven, extract.path, pseudonyms),
        })
    if not received:
        raise NotFound(f"Project {reference} received no extract that included this patient")
    record_event(haven, "transparency.own_record_viewed", actor=actor,
                 subject=patient_reference(haven, number),
                 details={"project": reference, "extracts": len(received)})
    return {"reference": reference, "extracts": received}


def _rows_for(haven: Haven, relative_path: str, pseudonyms: list[str]) -> dict[str, Any]:
    path = haven.home / relative_path
    if not path.exists():
        return {}  # the extract was destroyed at the end of the project
    tables: dict[str, Any] = {}
    marks = ", ".join("?" * len(pseudonyms))
    with open_session(path, read_only=True) as data:
        for table in data.table_names():
            names = data.query(f'DESCRIBE "{table}"').column("column_name").to_pylist()
            if PSEUDONYM_COLUMN not in names:
                continue
            rows = data.query(
                f'SELECT * FROM "{table}" WHERE {PSEUDONYM_COLUMN} IN ({marks}) '
                f"LIMIT {ROW_LIMIT}",
                pseudonyms,
            ).to_pylist()
            tables[table] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return tables


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

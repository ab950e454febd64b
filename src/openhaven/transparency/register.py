"""The public register: every project that uses patients' data, what for and on what basis.

Built from the governance records and the ledger, never typed by hand, so the register
cannot say something the records do not. Each row lists the ledger entries about its project
so anyone can check them against the verified audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices.enforcement import register_wording
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import read_entries
from openhaven.outputs import repository as outputs
from openhaven.provisioning import repository as extracts


def register_entries(session: Session, haven: Haven) -> list[dict[str, Any]]:
    """One JSON-ready row per project, in reference order."""
    ledger_refs: dict[str, list[int]] = {}
    for entry in read_entries(haven):
        if entry.subject:
            ledger_refs.setdefault(entry.subject, []).append(entry.seq)
    rows = []
    for project in governance.list_projects(session):
        summary = governance.project_summary(project)
        project_extracts = extracts.list_extracts(session, project.id)
        summary["opt_outs"] = register_wording(session, project.id)
        summary["extracts"] = [
            {
                "version": e.version,
                "provisioned": e.created_at.date().isoformat(),
                "patients": e.patient_count,
                "removed_by_opt_outs": e.removed_by_choices,
            }
            for e in project_extracts
        ]
        summary["outputs_checked"] = len(outputs.list_outputs(session, project.id))
        summary["ledger_entries"] = ledger_refs.get(project.reference, [])
        rows.append(summary)
    return sorted(rows, key=lambda row: str(row["reference"]))

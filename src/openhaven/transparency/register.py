"""The public register: every project that uses patients' data, what for and on what basis.

Built from the governance records and the ledger, never typed by hand, so the register
cannot say something the records do not. Each row lists the ledger entries about its project,
each with the address of its inclusion proof, so anyone can check them against a signed tree
head with only the haven's public key. The same rows feed the page, the JSON and CSV
downloads (``register_export``) and the published JSON Schema they validate against.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from openhaven.choices.enforcement import register_wording
from openhaven.choices.exemptions import exemption_summary, exemptions_for_project
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.models import Project
from openhaven.ledger import read_entries
from openhaven.outputs import repository as outputs
from openhaven.outputs.airlock import released_items
from openhaven.outputs.models import Output, OutputStatus
from openhaven.provisioning import repository as extracts
from openhaven.transparency.benefits import benefit_summary, benefits_for_project

PROOF_PATH = "/api/ledger/proof/{seq}"


def register_entries(session: Session, haven: Haven) -> list[dict[str, Any]]:
    """One JSON-ready row per project, in reference order."""
    ledger_refs: dict[str, list[dict[str, Any]]] = {}
    for entry in read_entries(haven):
        if entry.subject:
            ledger_refs.setdefault(entry.subject, []).append(
                {"seq": entry.seq, "action": entry.action,
                 "proof": PROOF_PATH.format(seq=entry.seq)}
            )
    rows = [_row(session, project, ledger_refs.get(project.reference, []))
            for project in governance.list_projects(session)]
    return sorted(rows, key=lambda row: str(row["reference"]))


def released_outputs(session: Session, project_id: int) -> list[Output]:
    """The project's outputs that left the haven.

    Hook for the airlock: today an output counts as released when its status is
    ``released``; when release records carry their own date and manifest, read them here.
    """
    return [o for o in outputs.list_outputs(session, project_id)
            if o.status == OutputStatus.RELEASED]


def _row(session: Session, project: Project,
         ledger_entries: list[dict[str, Any]]) -> dict[str, Any]:
    summary = governance.project_summary(project)
    project_outputs = outputs.list_outputs(session, project.id)
    summary["opt_outs"] = register_wording(session, project.id)
    summary["exemptions"] = [
        exemption_summary(e) for e in exemptions_for_project(session, project.id)
    ]
    summary["datasets"] = sorted(_tables(project.dataset_specification))
    summary["agreements"] = [
        {"starts": a.starts_at.date().isoformat(), "ends": a.ends_at.date().isoformat()}
        for a in project.agreements
    ]
    summary["extracts"] = [
        {
            "version": e.version,
            "provisioned": e.created_at.date().isoformat(),
            "patients": e.patient_count,
            "removed_by_opt_outs": e.removed_by_choices,
        }
        for e in extracts.list_extracts(session, project.id)
    ]
    summary["outputs_checked"] = len(project_outputs)
    through_airlock = released_items(session, project.id)
    airlock_outputs = {i["id"] for i in through_airlock if i["kind"] == "query"}
    summary["outputs_released"] = [
        {"id": o.id, "name": o.name, "kind": str(o.kind),
         "released": o.created_at.date().isoformat()}
        for o in released_outputs(session, project.id) if o.id not in airlock_outputs
    ] + through_airlock
    summary["benefits"] = [benefit_summary(b) for b in benefits_for_project(session, project.id)]
    summary["ledger_entries"] = ledger_entries
    return summary


def _tables(specification: Any) -> list[str]:
    if isinstance(specification, str):
        specification = json.loads(specification)
    tables = (specification or {}).get("tables") or {}
    return [str(name) for name in tables]

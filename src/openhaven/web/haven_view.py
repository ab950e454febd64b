"""Read-only views of the haven for pages and the API: counts and summaries, never records.

Everything here returns aggregates (row counts per table), governance summaries and checked
outputs. No function returns a patient-level row; a test walks every route to hold that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.ledger import read_entries, verify
from openhaven.outputs import repository as outputs
from openhaven.provisioning import repository as extracts
from openhaven.records.store import open_store, row_counts
from openhaven.transparency.register import register_entries

DEMO_REPORT = "demo-report.json"


@dataclass(frozen=True)
class HavenView:
    haven: Haven

    def record_counts(self) -> dict[str, int]:
        path = self.haven.paths.record_store
        if not path.exists():
            return {}
        with open_store(path, read_only=True) as session:
            return row_counts(session)

    def demo_stages(self) -> list[dict[str, Any]]:
        path = self.haven.home / DEMO_REPORT
        if not path.exists():
            return []
        stages: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return stages

    def projects(self, session: Session) -> list[dict[str, Any]]:
        return [self.project(session, p.reference) for p in governance.list_projects(session)]

    def project(self, session: Session, reference: str) -> dict[str, Any]:
        project = governance.get_project(session, reference)
        summary = governance.project_summary(project)
        summary["extracts"] = [
            _extract_summary(e) for e in extracts.list_extracts(session, project.id)
        ]
        summary["outputs"] = [
            output_summary(o) for o in outputs.list_outputs(session, project.id)
        ]
        return summary

    def output(self, session: Session, output_id: int) -> dict[str, Any]:
        found = outputs.get_output(session, output_id)
        summary = output_summary(found)
        summary["result"] = _decoded(found.result)
        summary["checks"] = _decoded(found.checks)
        return summary

    def register(self, session: Session) -> list[dict[str, Any]]:
        return register_entries(session, self.haven)

    def ledger(self, limit: int = 200) -> dict[str, Any]:
        entries = [e.as_dict() for e in read_entries(self.haven)]
        return {
            "verification": verify(self.haven).as_dict(),
            "entries": entries[-limit:][::-1],
            "total": len(entries),
        }


def _extract_summary(extract: Any) -> dict[str, Any]:
    return {
        "version": extract.version,
        "created_at": extract.created_at.isoformat(),
        "cut_off": extract.cut_off.isoformat(),
        "patient_count": extract.patient_count,
        "row_counts": extract.row_counts,
        "removed_by_choices": extract.removed_by_choices,
        "choices_snapshot_hash": extract.choices_snapshot_hash,
        "patients_digest": extract.patients_digest,
        "status": str(extract.status),
    }


def output_summary(output: Any) -> dict[str, Any]:
    return {
        "id": output.id,
        "name": output.name,
        "kind": str(output.kind),
        "created_at": output.created_at.isoformat(),
        "verdict": str(output.verdict),
        "status": str(output.status),
    }


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def static_folder() -> Path:
    return Path(__file__).parent / "static"

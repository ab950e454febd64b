"""JSON-ready views of requests for the CLI, the API and the committee's pages.

They name people by reference only (``person:12``), so what they return can be shown to any
role that may see the request, and logged, without revealing a name or an email.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openhaven.governance.models import AccessRequestRecord, VoteKind
from openhaven.governance.policy_conditions import sensitive_fields
from openhaven.governance.workflow import get_project, history, request_of


def queue_entry(record: AccessRequestRecord) -> dict[str, Any]:
    """One line of the committee's review queue."""
    screening = record.screening or {}
    project = record.project
    return {
        "reference": project.reference,
        "title": project.title,
        "version": record.version,
        "kind": str(record.kind),
        "commercial": bool(record.content.get("commercial")),
        "screening": str(screening.get("outcome", "")),
        "referred": [r["id"] for r in screening.get("fired", []) if r["outcome"] == "refer"],
        "flags": [r["id"] for r in screening.get("fired", []) if r["outcome"] == "flag"],
        "sensitive_fields": sensitive_fields(request_of(record)),
        "approvals": sum(1 for v in record.votes if v.vote == VoteKind.APPROVE),
        "quorum": int(screening.get("quorum", 0)),
        "submitted_at": None if record.submitted_at is None else record.submitted_at.isoformat(),
    }


def request_detail(session: Session, reference: str) -> dict[str, Any]:
    """Every version of a project's request with its screening and votes, and its history."""
    project = get_project(session, reference)
    return {
        "reference": project.reference,
        "status": str(project.status),
        "team": [m.person.reference for m in project.members],
        "conflicts": [f"person:{c.person_id}" for c in project.conflicts],
        "agreements": [
            {"starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat()}
            for a in project.agreements
        ],
        "versions": [
            {
                "version": record.version,
                "kind": str(record.kind),
                "status": str(record.status),
                "request": record.content,
                "screening": record.screening,
                "votes": [
                    {"person": f"person:{v.person_id}", "vote": str(v.vote),
                     "comment": v.comment, "acknowledges_flags": v.acknowledges_flags,
                     "cast_at": v.cast_at.isoformat()}
                    for v in record.votes
                ],
            }
            for record in project.requests
        ],
        "history": history(session, reference),
    }

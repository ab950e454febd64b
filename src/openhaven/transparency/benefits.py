"""Reported benefits: what came of a project's use of patients' data, for the register.

Recorded by custodian staff from what the project reports (a paper, a changed guideline, a
service improvement), each with its date and an optional public link, and written to the
ledger so the register's benefits can be checked like everything else on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.governance.workflow import get_project
from openhaven.ledger import record_event
from openhaven.transparency import repository
from openhaven.transparency.models import ProjectBenefit

SUMMARY_LIMIT = 2000
LINK_LIMIT = 500


def record_benefit(
    session: Session,
    haven: Haven,
    reference: str,
    *,
    reported_on: date,
    summary: str,
    link: str | None,
    recorded_by: str,
) -> ProjectBenefit:
    """Add a reported benefit to project ``reference``'s register entry."""
    project = get_project(session, reference)
    text = summary.strip()
    if not text:
        raise InvalidInput("summary is empty", Location(field="summary"))
    if len(text) > SUMMARY_LIMIT:
        raise InvalidInput(f"summary is longer than {SUMMARY_LIMIT} characters",
                           Location(field="summary"))
    if link is not None and link.strip():
        link = link.strip()
        if not link.startswith(("https://", "http://")) or len(link) > LINK_LIMIT:
            raise InvalidInput(
                f"link must be an http(s) address of at most {LINK_LIMIT} characters",
                Location(field="link"),
            )
    else:
        link = None
    benefit = ProjectBenefit(project_id=project.id, reported_on=reported_on, summary=text,
                             link=link, recorded_by=recorded_by)
    repository.add(session, benefit)
    record_event(haven, "register.benefit_recorded", actor=recorded_by, subject=reference,
                 details={"benefit": benefit.id, "reported_on": reported_on.isoformat()})
    return benefit


def benefits_for_project(session: Session, project_id: int) -> list[ProjectBenefit]:
    return repository.benefits_for_project(session, project_id)


def benefit_summary(benefit: ProjectBenefit) -> dict[str, Any]:
    return {"reported_on": benefit.reported_on.isoformat(), "summary": benefit.summary,
            "link": benefit.link}

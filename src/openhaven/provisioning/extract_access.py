"""The one gate in front of a project's extract for analysis: who may use it, and which.

Queries and jobs both run against "the project's current extract", and both must first ask
whether the person (or, for the haven's own runs, the project) may use the project's data at
this moment. That question is answered here, once, so the two paths cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.access import may_access
from openhaven.governance.models import Person, Project
from openhaven.governance.policy import load_policy
from openhaven.provisioning import repository
from openhaven.provisioning.models import Extract


def extract_for_analysis(
    session: Session, haven: Haven, reference: str, person: Person | None
) -> tuple[Project, Extract]:
    """The project and its latest extract, if ``person`` may use its data now.

    With ``person``, ``may_access`` decides (accreditation, team, agreement, the project in
    date); without one, the project must be approved and in date. Refused with the reason.
    """
    project = governance.get_project(session, reference)
    now = utc_now()
    if person is not None:
        decision = may_access(session, person, project, now,
                              required=load_policy(haven.home).required_accreditations)
        if not decision:
            raise PermissionDenied(f"No access to {reference}'s data: {decision.reason}")
    elif not governance.is_active(project, now):
        raise PermissionDenied(f"Project {reference} is not approved and in date")
    extract = repository.latest_extract(session, project.id)
    if extract is None:
        raise Conflict(f"Project {reference} has no extract yet: provision one first")
    return project, extract

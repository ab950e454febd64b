"""Storage for the transparency tables: the only module here that touches the session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.governance.models import Project
from openhaven.identity.models import Account
from openhaven.transparency.models import PatientLink, ProjectBenefit


def add(session: Session, row: ProjectBenefit | PatientLink) -> None:
    session.add(row)
    session.flush()


def benefits_for_project(session: Session, project_id: int) -> list[ProjectBenefit]:
    statement = (select(ProjectBenefit).where(ProjectBenefit.project_id == project_id)
                 .order_by(ProjectBenefit.reported_on, ProjectBenefit.id))
    return list(session.scalars(statement))


def link_for_account(session: Session, account_id: int) -> PatientLink | None:
    statement = select(PatientLink).where(PatientLink.account_id == account_id)
    return session.scalars(statement).first()


def account_exists(session: Session, account_id: int) -> bool:
    return session.get(Account, account_id) is not None


def project_by_id(session: Session, project_id: int) -> Project | None:
    return session.get(Project, project_id)


def flush(session: Session) -> None:
    session.flush()

"""Storage of the governance records: the only session use for them.

Services call these functions with the caller's session; nothing here commits (the caller's
unit of work does), but additions are flushed so that ids exist and constraints have been
checked before a ledger entry is written about them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openhaven.core.database import Base
from openhaven.governance.models import (
    AccessRequestRecord,
    Accreditation,
    Organisation,
    Person,
    PersonAccessState,
    PersonRole,
    Project,
    ProjectStatus,
    ProjectTransition,
    RequestStatus,
    Role,
)


def add(session: Session, *objects: Base) -> None:
    """Add new rows and flush them (ids assigned, constraints checked)."""
    session.add_all(objects)
    session.flush()


def save(session: Session) -> None:
    """Flush changes made to loaded rows (a project's status, for example)."""
    session.flush()


def organisation_by_name(session: Session, name: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.name == name)).first()


def organisation_by_id(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def all_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def person_by_email(session: Session, email: str) -> Person | None:
    return session.scalars(select(Person).where(Person.email == email)).first()


def person_by_id(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def all_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.id)))


def project_by_reference(session: Session, reference: str) -> Project | None:
    return session.scalars(select(Project).where(Project.reference == reference)).first()


def all_projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.reference)))


def references_starting(session: Session, prefix: str) -> list[str]:
    """Every project reference that starts with ``prefix`` (one year's references)."""
    statement = select(Project.reference).where(
        Project.reference.startswith(prefix, autoescape=True)
    )
    return list(session.scalars(statement))


def accreditations_of(session: Session, person_id: int) -> list[Accreditation]:
    statement = (
        select(Accreditation)
        .where(Accreditation.person_id == person_id)
        .order_by(Accreditation.valid_from, Accreditation.id)
    )
    return list(session.scalars(statement))


def access_state_of(session: Session, person_id: int) -> PersonAccessState | None:
    statement = select(PersonAccessState).where(PersonAccessState.person_id == person_id)
    return session.scalars(statement).first()


def people_with_role(session: Session, role: Role) -> list[Person]:
    statement = (
        select(Person).join(PersonRole).where(PersonRole.role == role).order_by(Person.id)
    )
    return list(session.scalars(statement).unique())


def projects_of_person(session: Session, person_id: int) -> list[Project]:
    """Projects whose team (lead included) holds the person."""
    return [
        project
        for project in all_projects(session)
        if any(member.person_id == person_id for member in project.members)
    ]


def projects_with_status(session: Session, status: ProjectStatus) -> list[Project]:
    statement = select(Project).where(Project.status == status).order_by(Project.reference)
    return list(session.scalars(statement))


def requests_with_status(session: Session, status: RequestStatus) -> list[AccessRequestRecord]:
    statement = (
        select(AccessRequestRecord)
        .where(AccessRequestRecord.status == status)
        .order_by(AccessRequestRecord.submitted_at, AccessRequestRecord.id)
    )
    return list(session.scalars(statement))


def transitions_of(session: Session, project_id: int) -> list[ProjectTransition]:
    statement = (
        select(ProjectTransition)
        .where(ProjectTransition.project_id == project_id)
        .order_by(ProjectTransition.id)
    )
    return list(session.scalars(statement))

"""Safe people and safe projects: who they are, what they asked for, what was decided.

Organisations employ people; people hold roles; a project is a data access request made by
an organisation, led by one person, with a team, moving from draft to submitted to approved
(or rejected), and later suspended or closed. Every decision on a project is kept, in order,
in ``project_decisions``, which is append-only: a decision is never edited, only followed by
another.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, JSONText, UTCDateTime, portable_enum


class OrganisationKind(StrEnum):
    NHS = "nhs"
    ACADEMIC = "academic"
    CHARITY = "charity"
    PUBLIC_BODY = "public_body"
    COMMERCIAL = "commercial"


class Role(StrEnum):
    PATIENT = "patient"
    PROXY = "proxy"
    RESEARCHER = "researcher"
    COMMITTEE_MEMBER = "committee_member"
    OUTPUT_CHECKER = "output_checker"
    CUSTODIAN_ADMIN = "custodian_admin"
    AUDITOR = "auditor"


class Identifiability(StrEnum):
    ANONYMISED_AGGREGATE = "anonymised_aggregate"
    PSEUDONYMISED = "pseudonymised"
    IDENTIFIABLE = "identifiable"


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        portable_enum(OrganisationKind, "organisation_kind"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", lazy="selectin", order_by="PersonRole.role"
    )

    @property
    def role_names(self) -> set[str]:
        return {str(role.role) for role in self.roles}

    @property
    def reference(self) -> str:
        """How the ledger names this person: never their name or email."""
        return f"person:{self.id}"


class PersonRole(Base):
    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    role: Mapped[Role] = mapped_column(portable_enum(Role, "role"), nullable=False)

    person: Mapped[Person] = relationship(back_populates="roles")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    lay_summary: Mapped[str] = mapped_column(Text, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    purpose_codes: Mapped[str] = mapped_column(Text, nullable=False)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), nullable=False, index=True
    )
    commercial: Mapped[bool] = mapped_column(Boolean, nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False)
    identifiability: Mapped[Identifiability] = mapped_column(
        portable_enum(Identifiability, "identifiability"), nullable=False
    )
    status: Mapped[ProjectStatus] = mapped_column(
        portable_enum(ProjectStatus, "project_status"), nullable=False, default=ProjectStatus.DRAFT
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dataset_specification: Mapped[dict[str, Any]] = mapped_column(JSONText, nullable=False)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    lead: Mapped[Person] = relationship(lazy="joined")
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", lazy="selectin", order_by="ProjectMember.id"
    )
    decisions: Mapped[list[ProjectDecision]] = relationship(
        back_populates="project", lazy="selectin", order_by="ProjectDecision.id"
    )

    @property
    def purpose_code_list(self) -> list[str]:
        return self.purpose_codes.split()

    @property
    def team(self) -> list[Person]:
        return [member.person for member in self.members]


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    role_in_project: Mapped[str] = mapped_column(String(64), nullable=False)

    project: Mapped[Project] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(lazy="joined")


class ProjectDecision(Base):
    """One decision on a project; append-only (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "project_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    decision: Mapped[Decision] = mapped_column(portable_enum(Decision, "decision"), nullable=False)
    by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    reasons: Mapped[str] = mapped_column(Text, nullable=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    project: Mapped[Project] = relationship(back_populates="decisions")
    by_person: Mapped[Person] = relationship(lazy="joined")

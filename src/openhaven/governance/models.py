"""Safe people and safe projects: who they are, what they asked for, what was decided.

Organisations employ people; people hold roles and dated accreditations; a project is a
data access request made by an organisation, led by one person, with a team, moving from
draft to submitted to approved (or rejected), and later suspended or closed. Every decision
on a project is kept, in order, in ``project_decisions``, which is append-only: a decision is
never edited, only followed by another.

The workflow's finer detail lives beside the project: each version of the request as written
(``access_requests``: the application, then any amendments) with its screening verdict and
its own state; the committee's votes and comments on it; members' declared conflicts of
interest; the data sharing agreement that bounds access in time; and every transition, in
order (``project_transitions``).
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


class AccreditationKind(StrEnum):
    ACCREDITED_RESEARCHER = "accredited_researcher"
    IG_TRAINING = "ig_training"


class RequestKind(StrEnum):
    APPLICATION = "application"
    AMENDMENT = "amendment"


class RequestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    COMMITTEE_REVIEW = "committee_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"


class VoteKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return_for_changes"
    COMMENT = "comment"


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
    requests: Mapped[list[AccessRequestRecord]] = relationship(
        back_populates="project", lazy="selectin", order_by="AccessRequestRecord.version"
    )
    agreements: Mapped[list[DataSharingAgreement]] = relationship(
        back_populates="project", lazy="selectin", order_by="DataSharingAgreement.id"
    )
    conflicts: Mapped[list[ConflictOfInterest]] = relationship(
        back_populates="project", lazy="selectin", order_by="ConflictOfInterest.id"
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


class Accreditation(Base):
    """One accreditation held by a person from ``valid_from`` until ``expires_at``.

    A renewal is a new row; nothing is overwritten, so the history of who was accredited
    when stays answerable.
    """

    __tablename__ = "accreditations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    kind: Mapped[AccreditationKind] = mapped_column(
        portable_enum(AccreditationKind, "accreditation_kind"), nullable=False
    )
    certificate: Mapped[str | None] = mapped_column(String(100), nullable=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    person: Mapped[Person] = relationship(lazy="joined")


class PersonAccessState(Base):
    """Whether a person's access was last recorded as suspended (for lack of accreditation).

    Access itself is decided from the accreditation dates at the moment of use; this row only
    remembers what was last written to the ledger, so each suspension and restoration is
    recorded exactly once.
    """

    __tablename__ = "person_access_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, unique=True)
    suspended: Mapped[bool] = mapped_column(Boolean, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AccessRequestRecord(Base):
    """One version of a project's data access request, as written, with its own state."""

    __tablename__ = "access_requests"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[RequestKind] = mapped_column(
        portable_enum(RequestKind, "request_kind"), nullable=False
    )
    status: Mapped[RequestStatus] = mapped_column(
        portable_enum(RequestStatus, "request_status"), nullable=False
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSONText, nullable=False)
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    project: Mapped[Project] = relationship(back_populates="requests")
    votes: Mapped[list[CommitteeVote]] = relationship(
        back_populates="request", lazy="selectin", order_by="CommitteeVote.id"
    )


class CommitteeVote(Base):
    """A committee member's vote or comment on one request version; never edited."""

    __tablename__ = "committee_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("access_requests.id"), nullable=False, index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    vote: Mapped[VoteKind] = mapped_column(portable_enum(VoteKind, "vote_kind"), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    acknowledges_flags: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    request: Mapped[AccessRequestRecord] = relationship(back_populates="votes")
    person: Mapped[Person] = relationship(lazy="joined")


class ConflictOfInterest(Base):
    """A committee member's declared conflict with a project: it excludes them from voting."""

    __tablename__ = "conflicts_of_interest"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    project: Mapped[Project] = relationship(back_populates="conflicts")


class DataSharingAgreement(Base):
    """The agreement that bounds an approved project's access: from ``starts_at`` to ``ends_at``."""

    __tablename__ = "data_sharing_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("access_requests.id"), nullable=False, index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    project: Mapped[Project] = relationship(back_populates="agreements")


class ProjectTransition(Base):
    """One step of the workflow (draft → submitted → screening → …), in order."""

    __tablename__ = "project_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_requests.id"), nullable=True, index=True
    )
    from_state: Mapped[str] = mapped_column(String(32), nullable=False)
    to_state: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    reasons: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

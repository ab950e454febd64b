"""Patients' recorded choices, kept as an append-only list of events.

A choice is never overwritten: each opt-out, and each withdrawal of one, is a new event with
the moment it was recorded and the moment it takes effect. The state at any instant is
derived from the events (the latest event in effect wins), so the haven can always say what
it knew, when, and why a patient was or was not in an extract. Triggers on both engines
refuse UPDATE and DELETE on this table.

The NHS number is stored in clear because the governance database, like the record store,
is custodian-only; it never leaves this table except as a set used to remove patients.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, UTCDateTime, portable_enum

RESEARCH_AND_PLANNING = "research-and-planning"
TYPE_1 = "type-1"


class ChoiceValue(StrEnum):
    OPT_OUT = "opt_out"
    WITHDRAW = "withdraw"


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    PAPER = "paper"
    GP = "gp"
    BULK_FILE = "bulk_file"


class ActingAs(StrEnum):
    SELF = "self"
    PARENTAL_RESPONSIBILITY = "parental_responsibility"
    LASTING_POWER_OF_ATTORNEY = "lasting_power_of_attorney"
    COURT_APPOINTED_DEPUTY = "court_appointed_deputy"


class ChoiceEvent(Base):
    __tablename__ = "choice_events"
    __table_args__ = (
        Index("ix_choice_events_choice_patient_effective", "choice", "nhs_number", "effective_at"),
    )

    id: Mapped[int] = mapped_column(
        # SQLite only auto-increments a primary key declared exactly INTEGER.
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
    )
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    choice: Mapped[str] = mapped_column(String(64), nullable=False)
    value: Mapped[ChoiceValue] = mapped_column(
        portable_enum(ChoiceValue, "choice_value"), nullable=False
    )
    channel: Mapped[Channel] = mapped_column(portable_enum(Channel, "channel"), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    acting_as: Mapped[ActingAs] = mapped_column(
        portable_enum(ActingAs, "acting_as"), nullable=False
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ExemptionBasis(StrEnum):
    """Why a project may receive data about patients who opted out (docs/choices.md)."""

    CONSENT = "consent"
    ANONYMISED = "anonymised"
    COPI_REGULATION_3 = "copi_regulation_3"
    OVERRIDING_PUBLIC_INTEREST = "overriding_public_interest"
    LEGAL_REQUIREMENT = "legal_requirement"


class ConsentValue(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ProjectExemption(Base):
    """An exemption from one choice for one project: never implicit, always with an approver.

    It holds from ``valid_from`` until ``valid_until`` (open-ended when empty). The register
    and every provisioning report show it.
    """

    __tablename__ = "choice_exemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    choice: Mapped[str] = mapped_column(String(64), nullable=False)
    basis: Mapped[ExemptionBasis] = mapped_column(
        portable_enum(ExemptionBasis, "exemption_basis"), nullable=False
    )
    approved_by: Mapped[str] = mapped_column(String(200), nullable=False)
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ProjectConsent(Base):
    """A patient's explicit consent to one project (or its withdrawal), append-only.

    Under a consent exemption, consent in force at the cut-off overrides an opt-out, whichever
    of the two was given first.
    """

    __tablename__ = "choice_project_consents"
    __table_args__ = (
        Index("ix_choice_project_consents_project_patient", "project_id", "nhs_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False)
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False)
    value: Mapped[ConsentValue] = mapped_column(
        portable_enum(ConsentValue, "consent_value"), nullable=False
    )
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RefreshNotice(Base):
    """A notice that an extract went stale because choices changed: one per recipient."""

    __tablename__ = "choice_refresh_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("extracts.id"), nullable=False)
    recipient: Mapped[str] = mapped_column(String(32), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class ProxyLink(Base):
    """An account's authority to act for one patient: the legal role, when it holds, and the
    evidence staff saw (a document reference, never the document).

    Set and withdraw on the patient's behalf at ``/my-choices`` use the role recorded here,
    never one the proxy names. The link holds from ``valid_from`` to ``valid_until``
    (inclusive; open-ended when empty) unless ended earlier (``ended_at``).
    """

    __tablename__ = "choice_proxy_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), nullable=False, index=True)
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    acting_as: Mapped[ActingAs] = mapped_column(
        portable_enum(ActingAs, "acting_as"), nullable=False
    )
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    evidence_reference: Mapped[str] = mapped_column(String(100), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    def in_force_on(self, day: date) -> bool:
        return (self.ended_at is None and self.valid_from <= day
                and (self.valid_until is None or day <= self.valid_until))

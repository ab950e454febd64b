"""The transparency tables: reported benefits of projects, and patients linked to accounts.

A benefit is what a project reports came of its use of patients' data (a paper, a changed
guideline, a service improvement); the register shows each with its date and a link.

A patient link says which record-store patient an account belongs to: the NHS number,
verified by custodian staff (who, when). The "how my data was used" page reads it and
nothing else, so a patient sees their own record only. The NHS number is stored in clear
because the governance database is custodian-only, like the record store.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, UTCDateTime


class ProjectBenefit(Base):
    __tablename__ = "project_benefits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    reported_on: Mapped[date] = mapped_column(Date, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)


class PatientLink(Base):
    """One account's verified NHS number (account ids are the identity tables'; no foreign
    key so this branch of migrations stands on the initial schema alone)."""

    __tablename__ = "patient_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    nhs_number: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    verified_by: Mapped[str] = mapped_column(String(200), nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

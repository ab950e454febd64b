"""What was provisioned: one row per extract version made for a project.

An extract row records enough to explain and reproduce the extract without opening it: the
cut-off, how many patients and rows it holds, how many patients their choices removed and
which snapshot of choices was applied (a hash), and a digest of the pseudonyms it contains.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, JSONText, UTCDateTime, portable_enum


class ExtractStatus(StrEnum):
    CURRENT = "current"
    STALE = "stale"
    DESTROYED = "destroyed"


class Extract(Base):
    __tablename__ = "extracts"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    cut_off: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    patient_count: Mapped[int] = mapped_column(Integer, nullable=False)
    row_counts: Mapped[dict[str, Any]] = mapped_column(JSONText, nullable=False)
    removed_by_choices: Mapped[int] = mapped_column(Integer, nullable=False)
    choices_snapshot_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    patients_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[ExtractStatus] = mapped_column(
        portable_enum(ExtractStatus, "extract_status"),
        nullable=False,
        default=ExtractStatus.CURRENT,
    )


class PseudonymKeyEpoch(Base):
    """One rotation of a project's pseudonymisation key: extracts made after it use ``epoch``.

    A project with no rows is in epoch 1 (the original derivation). Rows are only added.
    """

    __tablename__ = "pseudonym_key_epochs"
    __table_args__ = (UniqueConstraint("project_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)


class Reidentification(Base):
    """One custodian re-identification of a project pseudonym, with its reason.

    Holds the pseudonym asked about and whether it was found, never the NHS number found.
    """

    __tablename__ = "reidentifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    pseudonym: Mapped[str] = mapped_column(String(64), nullable=False)
    key_epoch: Mapped[int | None] = mapped_column(Integer, nullable=True)
    found: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

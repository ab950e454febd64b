"""What was provisioned: one row per extract version made for a project.

An extract row records enough to explain and reproduce the extract without opening it: the
cut-off, how many patients and rows it holds, how many patients their choices removed and
which snapshot of choices was applied (a hash), and a digest of the pseudonyms it contains.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
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

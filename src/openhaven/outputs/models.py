"""Outputs: each result of a query or job, the checks run on it, and where it stands.

``result`` holds only the checked table that is safe to release (never record-level rows);
``checks`` holds every check's finding with its reasons, so a verdict can be explained.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, JSONText, UTCDateTime, portable_enum


class OutputKind(StrEnum):
    QUERY = "query"
    JOB = "job"


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    REVIEW = "review"
    FAIL = "fail"


class OutputStatus(StrEnum):
    CHECKED = "checked"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


class Output(Base):
    __tablename__ = "outputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    extract_id: Mapped[int | None] = mapped_column(
        ForeignKey("extracts.id"), nullable=True, index=True
    )
    kind: Mapped[OutputKind] = mapped_column(
        portable_enum(OutputKind, "output_kind"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    result: Mapped[Any] = mapped_column(JSONText, nullable=False)
    verdict: Mapped[Verdict] = mapped_column(portable_enum(Verdict, "verdict"), nullable=False)
    checks: Mapped[Any] = mapped_column(JSONText, nullable=False)
    status: Mapped[OutputStatus] = mapped_column(
        portable_enum(OutputStatus, "output_status"),
        nullable=False,
        default=OutputStatus.CHECKED,
    )

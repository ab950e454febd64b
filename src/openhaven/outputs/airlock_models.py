"""The airlock's records: release requests, the files they bundle, and checkers' votes.

A request is one bundle a researcher asks to take out of the haven. Each item is either a
checked query output (``outputs``) or a file a job wrote, with the researcher's description
and, where a check failed, the written exception they ask the checkers to accept. Votes are
kept per review round: a returned request that is resubmitted starts a new round, so earlier
votes stay on record but never count twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openhaven.core.clock import utc_now
from openhaven.core.database import Base, JSONText, UTCDateTime, portable_enum
from openhaven.governance.models import Project


class ReleaseStatus(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    RELEASED = "released"


#: States in which nothing more can happen to a request.
FINAL_RELEASE_STATES = frozenset(
    {ReleaseStatus.WITHDRAWN, ReleaseStatus.REJECTED, ReleaseStatus.RELEASED}
)


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"


class ReleaseRequest(Base):
    __tablename__ = "release_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[ReleaseStatus] = mapped_column(
        portable_enum(ReleaseStatus, "release_status"), nullable=False,
        default=ReleaseStatus.SUBMITTED,
    )
    review_round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the signed manifest (JSON) and its Ed25519 signature (hex), set on release.
    manifest: Mapped[Any] = mapped_column(JSONText, nullable=True)
    signature: Mapped[str | None] = mapped_column(String(200), nullable=True)

    project: Mapped[Project] = relationship(lazy="joined")
    items: Mapped[list[ReleaseItem]] = relationship(
        back_populates="request", lazy="selectin", order_by="ReleaseItem.id"
    )
    reviews: Mapped[list[ReleaseReview]] = relationship(
        back_populates="request", lazy="selectin", order_by="ReleaseReview.id"
    )


class ReleaseItem(Base):
    __tablename__ = "release_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("release_requests.id"), nullable=False, index=True
    )
    #: "query" (a checked output) or "file" (a job's output file)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    output_id: Mapped[int | None] = mapped_column(
        ForeignKey("outputs.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: where the bytes lie, relative to the haven's home folder
    path: Mapped[str] = mapped_column(String(500), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    checks: Mapped[Any] = mapped_column(JSONText, nullable=False)
    exception_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    request: Mapped[ReleaseRequest] = relationship(back_populates="items")


class ReleaseReview(Base):
    __tablename__ = "release_reviews"
    __table_args__ = (UniqueConstraint("request_id", "review_round", "checker_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("release_requests.id"), nullable=False, index=True
    )
    review_round: Mapped[int] = mapped_column(Integer, nullable=False)
    checker_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    decision: Mapped[ReviewDecision] = mapped_column(
        portable_enum(ReviewDecision, "review_decision"), nullable=False
    )
    comments: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: True when this vote also accepts the written exceptions for failing items
    approves_exceptions: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utc_now)

    request: Mapped[ReleaseRequest] = relationship(back_populates="reviews")


class ReleaseTable(Base):
    """A requested table in comparable form (published cells, margins, definition).

    Kept for every table item so that later requests of the same project can be checked
    for differencing against it once it is released: never record-level data, only what
    the table publishes (see ``comparable_tables``).
    """

    __tablename__ = "release_tables"
    __table_args__ = (UniqueConstraint("item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("release_items.id"), nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    universe: Mapped[str] = mapped_column(String(200), nullable=False)
    definition: Mapped[Any] = mapped_column(JSONText, nullable=False)

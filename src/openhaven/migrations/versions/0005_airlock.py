"""The airlock: release requests, their items and the output checkers' votes.

Revision ID: 0005_airlock
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_airlock"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("submitted", "returned", "withdrawn", "rejected", "released")
DECISIONS = ("approve", "return", "reject")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "release_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", _enum(STATUSES, "release_status"), nullable=False),
        sa.Column("review_round", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manifest", sa.Text(), nullable=True),
        sa.Column("signature", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_release_requests_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["people.id"], name=op.f("fk_release_requests_requested_by_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_requests")),
    )
    op.create_index(op.f("ix_release_requests_project_id"), "release_requests", ["project_id"])
    op.create_index(
        op.f("ix_release_requests_requested_by"), "release_requests", ["requested_by"]
    )
    op.create_table(
        "release_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("output_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("exception_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["output_id"], ["outputs.id"], name=op.f("fk_release_items_output_id_outputs")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["release_requests.id"],
            name=op.f("fk_release_items_request_id_release_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_items")),
    )
    op.create_index(op.f("ix_release_items_output_id"), "release_items", ["output_id"])
    op.create_index(op.f("ix_release_items_request_id"), "release_items", ["request_id"])
    op.create_table(
        "release_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("review_round", sa.Integer(), nullable=False),
        sa.Column("checker_id", sa.Integer(), nullable=False),
        sa.Column("decision", _enum(DECISIONS, "review_decision"), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("approves_exceptions", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["people.id"], name=op.f("fk_release_reviews_checker_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["release_requests.id"],
            name=op.f("fk_release_reviews_request_id_release_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_reviews")),
        sa.UniqueConstraint(
            "request_id", "review_round", "checker_id",
            name=op.f("uq_release_reviews_request_id_review_round_checker_id"),
        ),
    )
    op.create_index(op.f("ix_release_reviews_checker_id"), "release_reviews", ["checker_id"])
    op.create_index(op.f("ix_release_reviews_request_id"), "release_reviews", ["request_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_release_reviews_request_id"), table_name="release_reviews")
    op.drop_index(op.f("ix_release_reviews_checker_id"), table_name="release_reviews")
    op.drop_table("release_reviews")
    op.drop_index(op.f("ix_release_items_request_id"), table_name="release_items")
    op.drop_index(op.f("ix_release_items_output_id"), table_name="release_items")
    op.drop_table("release_items")
    op.drop_index(op.f("ix_release_requests_requested_by"), table_name="release_requests")
    op.drop_index(op.f("ix_release_requests_project_id"), table_name="release_requests")
    op.drop_table("release_requests")

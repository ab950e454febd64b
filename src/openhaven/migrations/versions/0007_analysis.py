"""Analysis jobs: one row per researcher script run in the sandbox.

Revision ID: 0007_analysis
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_analysis"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("queued", "running", "succeeded", "failed", "blocked", "cancelled")


def upgrade() -> None:
    op.create_table(
        "analysis_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.Integer(), nullable=True),
        sa.Column("extract_version", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("script_name", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*STATES, name="analysis_job_state", native_enum=False,
                    create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("outputs", sa.Text(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["extract_id"], ["extracts.id"], name=op.f("fk_analysis_jobs_extract_id_extracts")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_analysis_jobs_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_jobs")),
    )
    op.create_index(
        op.f("ix_analysis_jobs_extract_id"), "analysis_jobs", ["extract_id"], unique=False
    )
    op.create_index(
        op.f("ix_analysis_jobs_project_id"), "analysis_jobs", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_analysis_jobs_project_id"), table_name="analysis_jobs")
    op.drop_index(op.f("ix_analysis_jobs_extract_id"), table_name="analysis_jobs")
    op.drop_table("analysis_jobs")

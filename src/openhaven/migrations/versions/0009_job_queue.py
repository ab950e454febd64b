"""The job queue: limits and how they were enforced, the claiming worker and its heartbeat,
cancel requests, and the workers' own heartbeat rows.

Revision ID: 0009_job_queue
Revises: 0007_analysis
Create Date: 2026-11-23

Follows 0007 on the analysis branch (it changes 0007's table); ``migrate`` upgrades to every
head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_job_queue"
down_revision: str | None = "0007_analysis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analysis_jobs") as table:
        table.add_column(sa.Column("limits", sa.Text(), nullable=False, server_default="{}"))
        table.add_column(sa.Column("enforced_by", sa.String(length=200), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("worker", sa.String(length=200), nullable=False,
                                   server_default=""))
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("cancel_requested_by", sa.String(length=200),
                                   nullable=False, server_default=""))
        table.add_column(sa.Column("cancel_requested_at", sa.DateTime(timezone=True),
                                   nullable=True))
        table.create_index(op.f("ix_analysis_jobs_state"), ["state"], unique=False)
    op.create_table(
        "analysis_job_workers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analysis_job_workers")),
    )


def downgrade() -> None:
    op.drop_table("analysis_job_workers")
    with op.batch_alter_table("analysis_jobs") as table:
        table.drop_index(op.f("ix_analysis_jobs_state"))
        for column in ("cancel_requested_at", "cancel_requested_by", "heartbeat_at", "worker",
                       "enforced_by", "limits"):
            table.drop_column(column)

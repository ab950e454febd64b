"""Provisioning: pseudonymisation key epochs and the re-identification log.

Revision ID: 0006_provisioning
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head. Both tables only grow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_provisioning"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects")
    )


def upgrade() -> None:
    op.create_table(
        "pseudonym_key_epochs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _project_fk("pseudonym_key_epochs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pseudonym_key_epochs")),
        sa.UniqueConstraint(
            "project_id", "epoch", name=op.f("uq_pseudonym_key_epochs_project_id_epoch")
        ),
    )
    op.create_index(op.f("ix_pseudonym_key_epochs_project_id"), "pseudonym_key_epochs",
                    ["project_id"])
    op.create_table(
        "reidentifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("key_epoch", sa.Integer(), nullable=True),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("reidentifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reidentifications")),
    )
    op.create_index(op.f("ix_reidentifications_project_id"), "reidentifications",
                    ["project_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reidentifications_project_id"), table_name="reidentifications")
    op.drop_table("reidentifications")
    op.drop_index(op.f("ix_pseudonym_key_epochs_project_id"), table_name="pseudonym_key_epochs")
    op.drop_table("pseudonym_key_epochs")

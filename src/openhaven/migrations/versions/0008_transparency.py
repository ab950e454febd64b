"""Transparency: projects' reported benefits and patients' verified account links.

Revision ID: 0008_transparency
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_transparency"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_benefits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_benefits_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_benefits")),
    )
    op.create_index(
        op.f("ix_project_benefits_project_id"), "project_benefits", ["project_id"], unique=False
    )
    op.create_table(
        "patient_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("verified_by", sa.String(length=200), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_links")),
        sa.UniqueConstraint("account_id", name=op.f("uq_patient_links_account_id")),
    )
    op.create_index(
        op.f("ix_patient_links_nhs_number"), "patient_links", ["nhs_number"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_patient_links_nhs_number"), table_name="patient_links")
    op.drop_table("patient_links")
    op.drop_index(op.f("ix_project_benefits_project_id"), table_name="project_benefits")
    op.drop_table("project_benefits")

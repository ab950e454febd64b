"""The airlock's history of tables: each requested table in comparable form.

Revision ID: 0010_airlock_history
Revises: 0005_airlock
Create Date: 2026-11-23

Differencing at request time compares a new table with every table the project has
released; ``release_tables`` keeps each table item's published cells and definition.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_airlock_history"
down_revision: str | None = "0005_airlock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("universe", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["release_items.id"], name=op.f("fk_release_tables_item_id_release_items")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_release_tables_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_tables")),
        sa.UniqueConstraint("item_id", name=op.f("uq_release_tables_item_id")),
    )
    op.create_index(op.f("ix_release_tables_project_id"), "release_tables", ["project_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_release_tables_project_id"), table_name="release_tables")
    op.drop_table("release_tables")

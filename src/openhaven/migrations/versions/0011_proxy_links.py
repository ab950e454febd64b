"""Choices: proxy links — an account's recorded authority to act for one patient.

Revision ID: 0011_proxy_links
Revises: 0003_choices (depends on 0002_identity for accounts)
Create Date: 2026-11-23

On the choices branch; it needs the accounts table, so it depends on the identity branch
without merging the two.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_proxy_links"
down_revision: str | None = "0003_choices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_identity"


def upgrade() -> None:
    op.create_table(
        "choice_proxy_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column(
            "acting_as",
            sa.Enum(
                "self", "parental_responsibility", "lasting_power_of_attorney",
                "court_appointed_deputy",
                name="acting_as", native_enum=False, create_constraint=True, length=32,
            ),
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("evidence_reference", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"],
            name=op.f("fk_choice_proxy_links_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_proxy_links")),
    )
    op.create_index(op.f("ix_choice_proxy_links_account_id"), "choice_proxy_links",
                    ["account_id"])
    op.create_index(op.f("ix_choice_proxy_links_nhs_number"), "choice_proxy_links",
                    ["nhs_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_choice_proxy_links_nhs_number"), table_name="choice_proxy_links")
    op.drop_index(op.f("ix_choice_proxy_links_account_id"), table_name="choice_proxy_links")
    op.drop_table("choice_proxy_links")

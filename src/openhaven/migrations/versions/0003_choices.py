"""Choices: project exemptions from opt-outs, consent to a project, refresh notices.

Revision ID: 0003_choices
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head. Consents to a project are
append-only like choice events: triggers refuse UPDATE and DELETE on both engines (the
function ``openhaven_refuse_change`` comes from 0001 on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_choices"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("choice_project_consents",)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects")
    )


def upgrade() -> None:
    op.create_table(
        "choice_exemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=False),
        sa.Column(
            "basis",
            _enum(
                "exemption_basis", "consent", "anonymised", "copi_regulation_3",
                "overriding_public_interest", "legal_requirement",
            ),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=200), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        _project_fk("choice_exemptions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_exemptions")),
    )
    op.create_index(
        op.f("ix_choice_exemptions_project_id"), "choice_exemptions", ["project_id"]
    )
    op.create_table(
        "choice_project_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("value", _enum("consent_value", "given", "withdrawn"), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("choice_project_consents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_project_consents")),
    )
    op.create_index(
        "ix_choice_project_consents_project_patient",
        "choice_project_consents",
        ["project_id", "nhs_number"],
    )
    op.create_table(
        "choice_refresh_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("choice_refresh_notices"),
        sa.ForeignKeyConstraint(
            ["extract_id"], ["extracts.id"],
            name=op.f("fk_choice_refresh_notices_extract_id_extracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_refresh_notices")),
    )
    op.create_index(
        op.f("ix_choice_refresh_notices_project_id"), "choice_refresh_notices", ["project_id"]
    )
    _add_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    op.drop_table("choice_refresh_notices")
    op.drop_index("ix_choice_project_consents_project_patient", "choice_project_consents")
    op.drop_table("choice_project_consents")
    op.drop_table("choice_exemptions")


def _add_append_only_guards() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_refuse_{operation.lower()}"
            if dialect == "postgresql":
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION openhaven_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def _drop_append_only_guards() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for operation in ("update", "delete"):
            name = f"{table}_refuse_{operation}"
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")

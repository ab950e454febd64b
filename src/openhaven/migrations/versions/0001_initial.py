"""The initial governance schema: people, projects, choices, extracts and outputs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Constraint names are explicit (they follow the naming convention in
``openhaven.core.database``) so later migrations can address them on both engines. The two
append-only tables, ``choice_events`` and ``project_decisions``, get triggers that refuse
UPDATE and DELETE on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("choice_events", "project_decisions")
TABLES_IN_CREATION_ORDER = (
    "choice_events",
    "organisations",
    "people",
    "person_roles",
    "projects",
    "extracts",
    "project_decisions",
    "project_members",
    "outputs",
)


def _enum(name: str, *values: str) -> sa.Enum:
    """Short text with a CHECK constraint named ``ck_<table>_<name>``."""
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "choice_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=False),
        sa.Column("value", _enum("choice_value", "opt_out", "withdraw"), nullable=False),
        sa.Column(
            "channel", _enum("channel", "web", "phone", "paper", "gp", "bulk_file"), nullable=False
        ),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "acting_as",
            _enum(
                "acting_as",
                "self",
                "parental_responsibility",
                "lasting_power_of_attorney",
                "court_appointed_deputy",
            ),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_events")),
    )
    op.create_index(
        "ix_choice_events_choice_patient_effective",
        "choice_events",
        ["choice", "nhs_number", "effective_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_choice_events_nhs_number"), "choice_events", ["nhs_number"], unique=False
    )

    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            _enum("organisation_kind", "nhs", "academic", "charity", "public_body", "commercial"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_people_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    op.create_index(op.f("ix_people_organisation_id"), "people", ["organisation_id"], unique=False)

    op.create_table(
        "person_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            _enum(
                "role",
                "patient",
                "proxy",
                "researcher",
                "committee_member",
                "output_checker",
                "custodian_admin",
                "auditor",
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_roles_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_roles")),
        sa.UniqueConstraint("person_id", "role", name=op.f("uq_person_roles_person_id_role")),
    )
    op.create_index(op.f("ix_person_roles_person_id"), "person_roles", ["person_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("lay_summary", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_codes", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("commercial", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column(
            "identifiability",
            _enum("identifiability", "anonymised_aggregate", "pseudonymised", "identifiable"),
            nullable=False,
        ),
        sa.Column(
            "status",
            _enum(
                "project_status",
                "draft",
                "submitted",
                "approved",
                "rejected",
                "suspended",
                "closed",
            ),
            nullable=False,
        ),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dataset_specification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["people.id"], name=op.f("fk_projects_lead_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_projects_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("reference", name=op.f("uq_projects_reference")),
    )
    op.create_index(op.f("ix_projects_lead_id"), "projects", ["lead_id"], unique=False)
    op.create_index(
        op.f("ix_projects_organisation_id"), "projects", ["organisation_id"], unique=False
    )

    op.create_table(
        "extracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cut_off", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("patient_count", sa.Integer(), nullable=False),
        sa.Column("row_counts", sa.Text(), nullable=False),
        sa.Column("removed_by_choices", sa.Integer(), nullable=False),
        sa.Column("choices_snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("patients_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "status", _enum("extract_status", "current", "stale", "destroyed"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_extracts_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extracts")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_extracts_project_id_version")),
    )
    op.create_index(op.f("ix_extracts_project_id"), "extracts", ["project_id"], unique=False)

    op.create_table(
        "project_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            _enum("decision", "approved", "rejected", "suspended", "closed"),
            nullable=False,
        ),
        sa.Column("by_person_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_person_id"], ["people.id"], name=op.f("fk_project_decisions_by_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_decisions_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_decisions")),
    )
    op.create_index(
        op.f("ix_project_decisions_by_person_id"),
        "project_decisions",
        ["by_person_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_project_decisions_project_id"), "project_decisions", ["project_id"], unique=False
    )

    op.create_table(
        "project_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role_in_project", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_project_members_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_members_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint(
            "project_id", "person_id", name=op.f("uq_project_members_project_id_person_id")
        ),
    )
    op.create_index(
        op.f("ix_project_members_person_id"), "project_members", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_project_members_project_id"), "project_members", ["project_id"], unique=False
    )

    op.create_table(
        "outputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("output_kind", "query", "job"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("verdict", _enum("verdict", "pass", "review", "fail"), nullable=False),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column(
            "status", _enum("output_status", "checked", "released", "withdrawn"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["extract_id"], ["extracts.id"], name=op.f("fk_outputs_extract_id_extracts")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_outputs_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outputs")),
    )
    op.create_index(op.f("ix_outputs_extract_id"), "outputs", ["extract_id"], unique=False)
    op.create_index(op.f("ix_outputs_project_id"), "outputs", ["project_id"], unique=False)
    _create_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    for table in reversed(TABLES_IN_CREATION_ORDER):
        op.drop_table(table)


def _create_append_only_guards() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION openhaven_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$
            """
        )
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
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS openhaven_refuse_change()")

"""Governance: accreditations, request versions, votes, conflicts, agreements, transitions.

Revision ID: 0004_governance
Revises: 0001
Create Date: 2026-11-23

Its own branch from 0001; ``migrate`` upgrades to every head. Committee votes and project
transitions are append-only like project decisions: triggers refuse UPDATE and DELETE on
both engines (the function ``openhaven_refuse_change`` comes from 0001 on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_governance"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("committee_votes", "project_transitions")
TABLES_IN_CREATION_ORDER = (
    "accreditations",
    "person_access_states",
    "access_requests",
    "committee_votes",
    "conflicts_of_interest",
    "data_sharing_agreements",
    "project_transitions",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(owner: str, column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_{owner}_{column}_{table}")
    )


def _index(table: str, column: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "accreditations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("accreditation_kind", "accredited_researcher", "ig_training"),
            nullable=False,
        ),
        sa.Column("certificate", sa.String(length=100), nullable=True),
        _when("valid_from"),
        _when("expires_at"),
        _when("recorded_at"),
        _fk("accreditations", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accreditations")),
    )
    _index("accreditations", "person_id")

    op.create_table(
        "person_access_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        _when("changed_at"),
        _fk("person_access_states", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_access_states")),
        sa.UniqueConstraint("person_id", name=op.f("uq_person_access_states_person_id")),
    )

    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("request_kind", "application", "amendment"), nullable=False),
        sa.Column(
            "status",
            _enum(
                "request_status",
                "draft",
                "submitted",
                "screening",
                "committee_review",
                "approved",
                "rejected",
                "returned",
            ),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("screening", sa.Text(), nullable=True),
        _when("created_at"),
        _when("submitted_at", nullable=True),
        _when("decided_at", nullable=True),
        _fk("access_requests", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
        sa.UniqueConstraint(
            "project_id", "version", name=op.f("uq_access_requests_project_id_version")
        ),
    )
    _index("access_requests", "project_id")

    op.create_table(
        "committee_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "vote",
            _enum("vote_kind", "approve", "reject", "return_for_changes", "comment"),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("acknowledges_flags", sa.Boolean(), nullable=False),
        _when("cast_at"),
        _fk("committee_votes", "request_id", "access_requests"),
        _fk("committee_votes", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_votes")),
    )
    _index("committee_votes", "request_id")
    _index("committee_votes", "person_id")

    op.create_table(
        "conflicts_of_interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _when("declared_at"),
        _fk("conflicts_of_interest", "project_id", "projects"),
        _fk("conflicts_of_interest", "person_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts_of_interest")),
        sa.UniqueConstraint(
            "project_id", "person_id", name=op.f("uq_conflicts_of_interest_project_id_person_id")
        ),
    )
    _index("conflicts_of_interest", "project_id")
    _index("conflicts_of_interest", "person_id")

    op.create_table(
        "data_sharing_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        _when("created_at"),
        _fk("data_sharing_agreements", "project_id", "projects"),
        _fk("data_sharing_agreements", "request_id", "access_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_sharing_agreements")),
    )
    _index("data_sharing_agreements", "project_id")
    _index("data_sharing_agreements", "request_id")

    op.create_table(
        "project_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _when("at"),
        _fk("project_transitions", "project_id", "projects"),
        _fk("project_transitions", "request_id", "access_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_transitions")),
    )
    _index("project_transitions", "project_id")
    _index("project_transitions", "request_id")
    _create_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    for table in reversed(TABLES_IN_CREATION_ORDER):
        op.drop_table(table)


def _create_append_only_guards() -> None:
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

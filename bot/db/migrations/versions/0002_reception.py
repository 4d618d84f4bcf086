"""reception: follow-up statuses and history, staff accounts, login sessions and attempts,
staff notification bookkeeping

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The status "closed" of 0001 was never set by any part of the product (there was no reception
screen yet); should a row carry it, it becomes "declined", and back again on downgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_STATUSES = "status IN ('new', 'contacted', 'booked', 'could_not_reach', 'declined')"
OLD_STATUSES = "status IN ('new', 'contacted', 'booked', 'closed')"


def _statuses(column: str) -> str:
    return f"{column} IN ('new', 'contacted', 'booked', 'could_not_reach', 'declined')"


def upgrade() -> None:
    # Two batches on SQLite: the copy made by the second must already satisfy the new CHECK.
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_handoffs_status"), type_="check")
    op.execute("UPDATE handoffs SET status = 'declined' WHERE status = 'closed'")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(batch_op.f("ck_handoffs_status"), sa.text(NEW_STATUSES))

    op.create_table(
        "handoff_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(_statuses("from_status"), name=op.f("ck_handoff_status_changes_from_status")),
        sa.CheckConstraint(_statuses("to_status"), name=op.f("ck_handoff_status_changes_to_status")),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_status_changes_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_status_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("handoff_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_status_changes_handoff_id"), ["handoff_id"], unique=False
        )

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column(
            "password_changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_account_key"), ["account_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_address_key"), ["address_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_attempted_at"), ["attempted_at"], unique=False)


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
    op.drop_table("handoff_status_changes")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_handoffs_status"), type_="check")
        batch_op.drop_column("staff_notified_at")
    op.execute("UPDATE handoffs SET status = 'closed' WHERE status IN ('could_not_reach', 'declined')")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_handoffs_status"), sa.text(OLD_STATUSES))

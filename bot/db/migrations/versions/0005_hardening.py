"""hardening: atomic login counters, reception idle timeout, staff notification outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

- `login_counters`: failed logins per account / address key in the current window, counted by one
  conditional UPDATE (issue 21, point 2). `login_attempts` stays (the retention job clears it).
- `staff_sessions.last_seen_at`: the idle timeout (SESSION_IDLE_S). Existing sessions take their
  creation time, so one idle for longer than the timeout asks for a new login once.
- `handoffs.staff_notify_claim` / `staff_notify_claimed_until`: the lease of a staff notification
  being sent; `staff_notified_at` now means "Telegram accepted it".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_counters",
        sa.Column("counter_key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("counter_key", name=op.f("pk_login_counters")),
    )
    with op.batch_alter_table("login_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_counters_window_started_at"), ["window_started_at"], unique=False
        )

    # SQLite cannot ADD COLUMN with a non-constant default: add it empty, fill it, then (a table
    # copy in SQLite's batch mode) make it NOT NULL with the default.
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE staff_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.alter_column(
            "last_seen_at",
            existing_type=sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        )

    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_notify_claim", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("staff_notify_claimed_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_column("staff_notify_claimed_until")
        batch_op.drop_column("staff_notify_claim")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("login_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_counters_window_started_at"))
    op.drop_table("login_counters")

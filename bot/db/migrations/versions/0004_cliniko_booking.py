"""cliniko booking: the appointment the assistant booked in the clinic's Cliniko diary

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Four nullable columns on handoffs: the Cliniko appointment id, the practitioner's first name,
the start time (UTC) and, when the person cancelled it in the chat, when. A handoff reception
books by calling back leaves them NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cliniko_appointment_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("cliniko_practitioner", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("cliniko_starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cliniko_cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_handoffs_cliniko_appointment_id"), ["cliniko_appointment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_cliniko_appointment_id"))
        batch_op.drop_column("cliniko_cancelled_at")
        batch_op.drop_column("cliniko_starts_at")
        batch_op.drop_column("cliniko_practitioner")
        batch_op.drop_column("cliniko_appointment_id")

"""analytics: the events bot/analytics keeps of Rasa's stream, and one row per conversation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Both tables hold names and counts only: a keyed hash stands for the conversation id, and no
message text, name or contact detail is ever written (bot/analytics/events.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSON on SQLite, JSONB on PostgreSQL (the models use the same variant)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
OUTCOMES = (
    "outcome IN ('emergency', 'urgent_medical', 'medical_review', "
    "'book_running_assessment', 'general_assessment')"
)
CHANNELS = "channel IN ('telegram', 'widget', 'rest', 'other')"


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("sender_key", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("value", JSON, nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_analytics_events_event_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("analytics_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_events_sender_key"), ["sender_key"], unique=False)

    op.create_table(
        "analytics_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_key", sa.String(length=32), nullable=False),
        sa.Column("session_start", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("questions_reached", JSON, nullable=False),
        sa.Column("questions_answered", JSON, nullable=False),
        sa.Column("last_question", sa.String(length=64), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("red_flags", JSON, nullable=False),
        sa.Column("booking_offered", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("handoff_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("talk_to_person", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("delete_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("data_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("faq_topics", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(CHANNELS, name=op.f("ck_analytics_conversations_channel")),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_analytics_conversations_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_conversations")),
        sa.UniqueConstraint(
            "sender_key", "session_start", name=op.f("uq_analytics_conversations_sender_key")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("analytics_conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_conversations_day"), ["day"], unique=False)


def downgrade() -> None:
    op.drop_table("analytics_conversations")
    op.drop_table("analytics_events")

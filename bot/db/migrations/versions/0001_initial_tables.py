"""initial tables: triages and handoffs

Revision ID: 0001
Revises:
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSON on SQLite, JSONB on PostgreSQL (the models use the same variant)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "triages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("itbs_likelihood", sa.String(length=16), nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("red_flags", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("pointers", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('emergency', 'urgent_medical', 'medical_review', "
            "'book_running_assessment', 'general_assessment')",
            name=op.f("ck_triages_outcome"),
        ),
        sa.CheckConstraint(
            "itbs_likelihood IN ('high', 'moderate', 'low')", name=op.f("ck_triages_itbs_likelihood")
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_triages_points_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triages")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("triages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triages_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference_code", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_kind", sa.String(length=16), nullable=False),
        sa.Column("contact_value", sa.String(length=320), nullable=False),
        sa.Column("site", sa.String(length=16), nullable=True),
        sa.Column("preferred_times", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="new", nullable=False),
        sa.Column("triage_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('booking', 'talk_to_person', 'red_flag_follow_up')", name=op.f("ck_handoffs_reason")
        ),
        sa.CheckConstraint("contact_kind IN ('phone', 'email')", name=op.f("ck_handoffs_contact_kind")),
        sa.CheckConstraint("site IN ('kenmore', 'jindalee')", name=op.f("ck_handoffs_site")),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'booked', 'closed')", name=op.f("ck_handoffs_status")
        ),
        sa.CheckConstraint("consent", name=op.f("ck_handoffs_consent_given")),
        sa.ForeignKeyConstraint(
            ["triage_id"], ["triages.id"], name=op.f("fk_handoffs_triage_id_triages"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_handoffs_reference_code")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoffs_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_triage_id"), ["triage_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_triage_id"))
        batch_op.drop_index(batch_op.f("ix_handoffs_status"))
        batch_op.drop_index(batch_op.f("ix_handoffs_conversation_id"))
    op.drop_table("handoffs")

    with op.batch_alter_table("triages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triages_conversation_id"))
    op.drop_table("triages")

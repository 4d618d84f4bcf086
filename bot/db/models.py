"""Tables of the clinic database: `triages` (every finished triage), `handoffs` (booking and
"talk to a person" requests that reception follows up) with their `handoff_status_changes`
(the follow-up history), and the reception screen's `staff_users`, `staff_sessions` (server-side
login sessions), `login_attempts` and `login_counters` (rate limiting); the clinic analytics' `analytics_events`
(what bot/analytics keeps of Rasa's event stream) and `analytics_conversations` (one row per
conversation: how far it got), which hold names and counts only, never a person's words, contact
details or conversation id (a keyed hash stands for it).

SQLAlchemy 2.0 declarative style (`DeclarativeBase`, `Mapped[]`, `mapped_column`). The same models
run on SQLite (the local default) and PostgreSQL: JSON columns are `JSON` (JSONB on PostgreSQL),
enumerations are short strings guarded by CHECK constraints (no native ENUM types to migrate),
timestamps are always timezone-aware UTC in Python whatever the backend stores.

Schema changes go through Alembic (`bot/db/migrations`); a test fails when models and migrations
drift apart.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.triage.engine import LIKELIHOODS
from bot.triage.engine import OUTCOMES as ENGINE_OUTCOMES

# Allowed values. Triage values are the clinical contract (docs/contracts.md, triage-spec §5),
# defined once by the engine (a pure module: importing it costs nothing).
OUTCOMES: tuple[str, ...] = ENGINE_OUTCOMES
ITBS_LIKELIHOODS: tuple[str, ...] = LIKELIHOODS
HANDOFF_REASONS: tuple[str, ...] = ("booking", "talk_to_person", "red_flag_follow_up")
CONTACT_KINDS: tuple[str, ...] = ("phone", "email")
SITES: tuple[str, ...] = ("kenmore", "jindalee")
# The follow-up a receptionist records (issue 11); migration 0002 replaced the earlier "closed".
HANDOFF_STATUSES: tuple[str, ...] = ("new", "contacted", "booked", "could_not_reach", "declined")
# The channels the analytics count a conversation under (bot/analytics/funnel.py maps Rasa's input
# channel names onto these: `web` is the website widget).
ANALYTICS_CHANNELS: tuple[str, ...] = ("telegram", "widget", "rest", "other")

# Constraint names are fixed by convention so that migrations (and SQLite batch mode, which must
# find constraints by name) stay deterministic on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """`TIMESTAMP WITH TIME ZONE` that always hands back aware UTC datetimes.

    PostgreSQL keeps the instant; SQLite has no time zones, so values are stored as naive UTC and
    made aware again on load. Naive datetimes are refused: guessing their zone (Brisbane? UTC?)
    would silently shift times by ten hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class Triage(Base):
    """One finished triage: the answers given, the engine's result, and where the chat happened."""

    __tablename__ = "triages"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint(_in("itbs_likelihood", ITBS_LIKELIHOODS), name="itbs_likelihood"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        # ids are never reused after a deletion (a stale id must not point at someone else's row)
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(32))
    itbs_likelihood: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[int | None]
    red_flags: Mapped[list[str]]
    reasons: Mapped[list[str]]
    pointers: Mapped[list[str]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    handoffs: Mapped[list[Handoff]] = relationship(back_populates="triage", passive_deletes=True)

    def __repr__(self) -> str:  # no answers or other health details in logs
        return f"<Triage id={self.id} outcome={self.outcome}>"


class Handoff(Base):
    """A request for a person to follow up: booking, talk to a person, or red-flag follow-up."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(_in("reason", HANDOFF_REASONS), name="reason"),
        CheckConstraint(_in("contact_kind", CONTACT_KINDS), name="contact_kind"),
        CheckConstraint(_in("site", SITES), name="site"),  # NULL passes: no preference
        CheckConstraint(_in("status", HANDOFF_STATUSES), name="status"),
        CheckConstraint("consent", name="consent_given"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference_code: Mapped[str] = mapped_column(String(16), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    contact_kind: Mapped[str] = mapped_column(String(16))
    contact_value: Mapped[str] = mapped_column(String(320))
    site: Mapped[str | None] = mapped_column(String(16))
    preferred_times: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new", index=True)
    triage_id: Mapped[int | None] = mapped_column(ForeignKey("triages.id", ondelete="SET NULL"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    # The staff notification outbox (issue 21): the row itself is the pending notification, so it
    # is recorded in the same transaction as the handoff. `staff_notified_at` is set only after
    # Telegram accepted the message (NULL = still to send). A sender first claims the row (one
    # conditional UPDATE: a random claim and a lease); a claim whose process crashed expires and
    # the next poll sends again (at least once; the duplicate carries the same text and key).
    staff_notified_at: Mapped[datetime | None]
    staff_notify_claim: Mapped[str | None] = mapped_column(String(32))
    staff_notify_claimed_until: Mapped[datetime | None]

    # A time the assistant booked in the clinic's Cliniko diary (issue 18); NULL when reception
    # books by calling back. `cliniko_cancelled_at` is set when the person cancelled it in the chat.
    cliniko_appointment_id: Mapped[str | None] = mapped_column(String(32), index=True)
    cliniko_practitioner: Mapped[str | None] = mapped_column(String(100))
    cliniko_starts_at: Mapped[datetime | None]
    cliniko_cancelled_at: Mapped[datetime | None]

    triage: Mapped[Triage | None] = relationship(back_populates="handoffs")
    history: Mapped[list[HandoffStatusChange]] = relationship(
        back_populates="handoff",
        order_by="HandoffStatusChange.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:  # no name or contact details in logs
        return f"<Handoff {self.reference_code} status={self.status}>"


class HandoffStatusChange(Base):
    """One follow-up step on a handoff: who changed it, when, from which status to which, and
    their note. Kept for as long as the handoff is (deleted with it)."""

    __tablename__ = "handoff_status_changes"
    __table_args__ = (
        CheckConstraint(_in("from_status", HANDOFF_STATUSES), name="from_status"),
        CheckConstraint(_in("to_status", HANDOFF_STATUSES), name="to_status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    # the username at the time: the history must still say who even after an account is removed
    changed_by: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    handoff: Mapped[Handoff] = relationship(back_populates="history")

    def __repr__(self) -> str:  # the note may hold health details
        return f"<HandoffStatusChange {self.from_status}->{self.to_status}>"


class StaffUser(Base):
    """A receptionist's account. Only an Argon2 hash of the password is ever stored."""

    __tablename__ = "staff_users"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    sessions: Mapped[list[StaffSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<StaffUser {self.username}>"


class StaffSession(Base):
    """A server-side login session. The cookie holds a random token; only its SHA-256 is stored
    here (a leaked database does not hand out live sessions). Logging out deletes the row, so a
    copied cookie stops working at once."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # The last request the receptionist made (written at most once a minute): the session ends
    # after SESSION_IDLE_S without one, whatever `expires_at` says.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    user: Mapped[StaffUser] = relationship(back_populates="sessions")

    def __repr__(self) -> str:  # never the token
        return f"<StaffSession user_id={self.user_id}>"


class LoginAttempt(Base):
    """One failed login, for rate limiting per account and per address (in the database so that
    every web process counts the same attempts). The account name and the address are stored as
    keyed hashes only: people sometimes type their password into the username box. Old rows are
    removed by the retention command."""

    __tablename__ = "login_attempts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64), index=True)
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now(), index=True)

    def __repr__(self) -> str:
        return f"<LoginAttempt id={self.id}>"


class LoginCounter(Base):
    """Failed logins in the current window for one key (an account or an address, as keyed
    hashes: "account:<hmac>", "address:<hmac>"). Counted by one conditional
    `UPDATE ... SET failures = failures + 1 WHERE failures < limit`, so any number of web
    processes at once never let more attempts through than the limit (bot/db/staff.py)."""

    __tablename__ = "login_counters"

    counter_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<LoginCounter failures={self.failures}>"


class AnalyticsEvent(Base):
    """One event of Rasa's stream as the analytics keep it (bot/analytics/events.py): its kind, a
    name (intent, action, slot, form) and, for a few slots, a value the assistant chose itself.
    `event_id` is the event's identity, so a replayed event is stored once."""

    __tablename__ = "analytics_events"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    sender_key: Mapped[str] = mapped_column(String(32), index=True)
    timestamp: Mapped[float] = mapped_column(Float)  # Rasa's event time (seconds since 1970, UTC)
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    intent: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    def __repr__(self) -> str:
        return f"<AnalyticsEvent {self.kind} {self.name}>"


class AnalyticsConversation(Base):
    """One conversation (a Rasa session) as the analytics count it, recomputed from its events
    whenever new ones arrive. `sender_key` is a keyed hash of the conversation id; after "delete
    my data" it is replaced by a random one, so the counts stay and nothing links them to the
    person any more."""

    __tablename__ = "analytics_conversations"
    __table_args__ = (
        UniqueConstraint("sender_key", "session_start"),
        CheckConstraint(_in("channel", ANALYTICS_CHANNELS), name="channel"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),  # NULL passes: not finished
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(32))  # indexed by the unique constraint
    session_start: Mapped[float] = mapped_column(Float)  # the session's first event (Rasa time)
    started_at: Mapped[datetime]  # the person's first message
    day: Mapped[date] = mapped_column(Date, index=True)  # started_at's date in the clinic's time zone
    channel: Mapped[str] = mapped_column(String(16))
    last_event_at: Mapped[datetime]
    messages: Mapped[int] = mapped_column(Integer)
    questions_reached: Mapped[list[str]]
    questions_answered: Mapped[list[str]]
    last_question: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    red_flags: Mapped[list[str]]
    booking_offered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    handoff_at: Mapped[datetime | None]
    talk_to_person: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    delete_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    data_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    faq_topics: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    def __repr__(self) -> str:
        return f"<AnalyticsConversation id={self.id} channel={self.channel} outcome={self.outcome}>"

"""Writes what the consumer reads into the clinic database: the reduced events, then each touched
conversation recomputed from its events (bot/analytics/funnel.py).

`ingest(session, events)` is idempotent: an event already stored (same `id`) is skipped, and a
conversation's row is always rebuilt from all its stored events, so events may arrive twice, late
or out of order and the counts come out the same. It adds and flushes; the caller commits (and
only then acknowledges the messages).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.analytics.funnel import Conversation, summarise
from bot.db.models import AnalyticsConversation, AnalyticsEvent

logger = logging.getLogger(__name__)


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def local_day(timestamp: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(timestamp, tz=zone).date()


def _row(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["id"],
        "sender_key": event["sender_key"],
        "timestamp": float(event["timestamp"]),
        "kind": event["event"],
        "name": event.get("name"),
        "value": event.get("value"),
        "intent": event.get("intent"),
        "channel": event.get("input_channel"),
    }


_EVENTS = AnalyticsEvent.__table__
_CONVERSATIONS = AnalyticsConversation.__table__
_EVENT_COLUMNS = (
    _EVENTS.c.event_id,
    _EVENTS.c.sender_key,
    _EVENTS.c.timestamp,
    _EVENTS.c.kind,
    _EVENTS.c.name,
    _EVENTS.c.value,
    _EVENTS.c.intent,
    _EVENTS.c.channel,
)


def _as_event(row: Any) -> dict[str, Any]:
    event_id, sender, timestamp, kind, name, value, intent, channel = row
    return {
        "id": event_id,
        "sender_key": sender,
        "timestamp": timestamp,
        "event": kind,
        "name": name,
        "value": value,
        "intent": intent,
        "input_channel": channel,
    }


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """Inserts the events not stored yet (one statement; duplicates are skipped by the database)."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is not None:
        session.execute(insert(_EVENTS).on_conflict_do_nothing(index_elements=["event_id"]), rows)
        return
    ids = [r["event_id"] for r in rows]
    known = set(session.scalars(select(_EVENTS.c.event_id).where(_EVENTS.c.event_id.in_(ids))))
    new = [row for row in rows if row["event_id"] not in known]
    if new:
        session.execute(_EVENTS.insert(), new)


def _window_start(session: Session, sender: str, earliest: float) -> float | None:
    """Where to start reading this sender's events again: the session the earliest new event
    belongs to (None: from the very first)."""
    return session.scalar(
        select(func.max(AnalyticsEvent.timestamp)).where(
            AnalyticsEvent.sender_key == sender,
            AnalyticsEvent.kind == "session_started",
            AnalyticsEvent.timestamp <= earliest,
        )
    )


def _conversation_row(
    conversation: Conversation, sender: str, zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    c = conversation
    return {
        "sender_key": sender,
        "session_start": c.session_start,
        "started_at": utc(c.started_at),
        "day": local_day(c.started_at, zone),
        "channel": c.channel,
        "last_event_at": utc(c.last_event_at),
        "messages": c.messages,
        "questions_reached": c.questions_reached,
        "questions_answered": c.questions_answered,
        "last_question": c.last_question,
        "finished_at": utc(c.finished_at) if c.finished_at is not None else None,
        "outcome": c.outcome,
        "red_flags": c.red_flags,
        "booking_offered": c.booking_offered,
        "handoff_at": utc(c.handoff_at) if c.handoff_at is not None else None,
        "talk_to_person": c.talk_to_person,
        "delete_requested": c.delete_requested,
        "data_deleted": c.deleted_at is not None,
        "faq_topics": dict(c.faq_topics),
        "updated_at": now,
    }


def _unlink(session: Session, sender: str, until: float, session_start: float) -> None:
    """After "delete my data": the conversation (its events up to `until`, its last) and everything
    before it of this sender get a random key, so the counts stay but nothing links them to the
    person's conversation id any more."""
    anonymous = secrets.token_hex(16)
    session.execute(
        update(AnalyticsEvent)
        .where(AnalyticsEvent.sender_key == sender, AnalyticsEvent.timestamp <= until)
        .values(sender_key=anonymous)
    )
    session.execute(
        update(AnalyticsConversation)
        .where(
            AnalyticsConversation.sender_key == sender, AnalyticsConversation.session_start <= session_start
        )
        .values(sender_key=anonymous)
    )


def recompute(session: Session, sender: str, earliest: float, zone: ZoneInfo) -> int:
    """Rebuilds the rows of `sender`'s conversations from the one `earliest` falls in onwards."""
    start = _window_start(session, sender, earliest)
    query = select(*_EVENT_COLUMNS).where(_EVENTS.c.sender_key == sender)
    old = delete(_CONVERSATIONS).where(_CONVERSATIONS.c.sender_key == sender)
    if start is not None:
        query = query.where(_EVENTS.c.timestamp >= start)
        old = old.where(_CONVERSATIONS.c.session_start >= start)
    events = [_as_event(row) for row in session.execute(query.order_by(_EVENTS.c.timestamp, _EVENTS.c.id))]
    conversations = summarise(events)
    session.execute(old)
    if conversations:
        now = datetime.now(timezone.utc)
        session.execute(
            _CONVERSATIONS.insert(), [_conversation_row(c, sender, zone, now) for c in conversations]
        )
    deleted = [c for c in conversations if c.deleted_at is not None]
    if deleted:
        last = deleted[-1]
        _unlink(session, sender, last.last_event_at, last.session_start)
    return len(conversations)


def ingest(session: Session, events: Iterable[Mapping[str, Any]], zone: ZoneInfo) -> int:
    """Stores reduced events (duplicates skipped) and rebuilds the conversations they touch.
    Returns how many distinct events the batch held."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        rows.setdefault(event["id"], _row(event))
    if not rows:
        return 0
    _insert_new(session, list(rows.values()))
    earliest: dict[str, float] = {}
    for row in rows.values():
        sender = row["sender_key"]
        earliest[sender] = min(earliest.get(sender, row["timestamp"]), row["timestamp"])
    for sender, first in earliest.items():
        recompute(session, sender, first, zone)
    return len(rows)

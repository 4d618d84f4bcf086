"""Rasa's SQL tracker store, plus the person's right to have their conversation deleted.

When `action_delete_my_data` succeeds it sets the slot `erase_conversation`. Rasa saves the
tracker after every message; on that save this store deletes every stored event of the
conversation instead of adding the new ones, so the transcript is gone too (the next message
starts a fresh conversation). Works on SQLite and PostgreSQL like the class it extends.

It also reads the conversation with lean queries instead of Rasa's ORM ones: Rasa builds a
mapped object for every stored event on every message (and again to count them before a save),
which with the replay of the events was about a third of the Rasa server's CPU under load. The
rows, their order and the session rule (events from the latest `session_started` on) are Rasa's.
And it keeps the trackers it saved (components/tracker_cache.py): when the database still holds
exactly what this server saved, the next message starts from a copy instead of a replay.

The event broker (components/event_broker.py) gets the events this store saved, right after they
were committed: Rasa's `stream_events` would read the whole conversation back and diff it to
find them. The turn that erases a conversation is published too (so "delete my data" is
counted), before its events are deleted with the rest.

The lean reads, the kept trackers and the direct publishing re-implement Rasa's SQLTrackerStore
(`_retrieve`, `_event_query`, `save`, `_additional_events`); they go through
components/patch_guard.py: on another Rasa, or when those have changed, the store reads, saves
and publishes with Rasa's own code (logged). The erasure works either way.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components import patch_guard
from components.patch_guard import Target
from components.tracker_cache import Stored, TrackerCache

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"
# On a tracker this store returned or saved: what the database held of its latest session then.
# A save adds the events after those (Rasa counts them again with a query for every save).
STORED_ATTRIBUTE = "_clinic_stored"
SENDER = sa.bindparam("sender_id")


# What the lean store re-implements, as in Rasa 3.6.21 (components/patch_guard.py).
RELIED_ON = (
    Target(
        SQLTrackerStore,
        "_retrieve",
        ("self", "sender_id", "fetch_events_from_all_sessions"),
        is_async=True,
        source_digest="c8adbf6f4b61ddd1",
    ),
    Target(
        SQLTrackerStore,
        "_event_query",
        ("self", "session", "sender_id", "fetch_events_from_all_sessions"),
        source_digest="cd44f7901b860bfd",
    ),
    Target(SQLTrackerStore, "save", ("self", "tracker"), is_async=True, source_digest="57165e46eab3de08"),
    Target(
        SQLTrackerStore,
        "_additional_events",
        ("self", "session", "tracker"),
        source_digest="d22f99eb863acb07",
    ),
    Target(
        SQLTrackerStore, "retrieve", ("self", "sender_id"), is_async=True, source_digest="0d99846daced97d3"
    ),
    Target(
        SQLTrackerStore,
        "retrieve_full_tracker",
        ("self", "conversation_id"),
        is_async=True,
        source_digest="22234b03f47fbdd3",
    ),
)
_lean = False


def apply() -> bool:
    """Idempotent; True if the store reads and saves leanly, False if the guard refused (logged:
    Rasa's own reads and saves, the erasure unchanged)."""
    global _lean
    _lean = patch_guard.allowed("tracker_store.lean", *RELIED_ON)
    return _lean


def erase_requested(tracker: DialogueStateTracker) -> bool:
    """True if, since the person's latest message, an action asked for the erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == ERASE_SLOT and event.value is True:
            return True
    return False


def _events_after(tracker: DialogueStateTracker, stored: Stored) -> Iterator[Event]:
    """The tracker's events that are not stored yet."""
    return itertools.islice(tracker.events, stored.events, len(tracker.events))


class ErasableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = TrackerCache()
        # built once, run with the conversation id bound (SQLAlchemy reuses their compiled form)
        latest_session = self._conversation_filter(SENDER, fetch_events_from_all_sessions=False)
        event = self.SQLEvent
        self._session_rows = sa.select(event.timestamp, event.data).where(*latest_session).order_by(event.id)
        self._all_rows = (
            sa.select(event.timestamp, event.data)
            .where(*self._conversation_filter(SENDER, fetch_events_from_all_sessions=True))
            .order_by(event.id)
        )
        self._session_summary = sa.select(sa.func.count(event.id), sa.func.max(event.timestamp)).where(
            *latest_session
        )

    def _conversation_filter(self, sender_id: Any, fetch_events_from_all_sessions: bool) -> list[Any]:
        """Rasa's `_event_query` conditions: this sender's events, from the latest session start
        on (all of them if the conversation has none, or if every session is asked for)."""
        event = self.SQLEvent
        conditions = [event.sender_id == sender_id]
        if not fetch_events_from_all_sessions:
            session_start = (
                sa.select(sa.func.max(event.timestamp))
                .where(event.sender_id == sender_id, event.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            conditions.append(sa.or_(event.timestamp >= session_start, session_start.is_(None)))
        return conditions

    def _stored(self, session: Any, sender_id: str) -> Stored:
        count, last_timestamp = session.execute(self._session_summary, {"sender_id": sender_id}).one()
        return Stored(count, last_timestamp)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        if not _lean:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        latest_session = not fetch_events_from_all_sessions
        with self.session_scope() as session:
            if latest_session and self.cache.has(sender_id):
                stored = self._stored(session, sender_id)
                tracker = self.cache.get(sender_id, stored, self.domain)
                if tracker is not None:
                    setattr(tracker, STORED_ATTRIBUTE, stored)
                    return tracker
            query = self._session_rows if latest_session else self._all_rows
            rows = session.execute(query, {"sender_id": sender_id}).all()
        if not (self.domain and rows):
            return None
        events = [json.loads(data) for _, data in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if latest_session:
            setattr(tracker, STORED_ATTRIBUTE, Stored(len(rows), max(timestamp for timestamp, _ in rows)))
        return tracker

    def _stored_before_save(self, session: Any, tracker: DialogueStateTracker) -> Stored:
        known = getattr(tracker, STORED_ATTRIBUTE, None)
        return known if known is not None else self._stored(session, tracker.sender_id)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        if not _lean:
            return super()._additional_events(session, tracker)
        return _events_after(tracker, self._stored_before_save(session, tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erase_requested(tracker):
            unsaved: list[Event] = []
            if self.event_broker is not None:
                with self.session_scope() as session:
                    unsaved = list(self._additional_events(session, tracker))
            self._erase(tracker.sender_id)
            self._publish(tracker.sender_id, [event.as_dict() for event in unsaved])
            return
        if not _lean:
            await super().save(tracker)
            return
        with self.session_scope() as session:
            before = self._stored_before_save(session, tracker)
            new_events = list(_events_after(tracker, before))
            dicts = [event.as_dict() for event in new_events]
            session.add_all(
                [self._row(tracker.sender_id, e, d) for e, d in zip(new_events, dicts, strict=True)]
            )
            session.commit()
        self._publish(tracker.sender_id, dicts)
        if any(isinstance(event, SessionStarted) for event in new_events):
            # a new session: the stored session is now shorter than this tracker; the next
            # message reads it from the database, as Rasa does
            self.cache.forget(tracker.sender_id)
            setattr(tracker, STORED_ATTRIBUTE, None)
            return
        timestamps = [event.timestamp for event in new_events]
        if before.last_timestamp is not None:
            timestamps.append(before.last_timestamp)
        after = Stored(before.events + len(new_events), max(timestamps, default=None))
        setattr(tracker, STORED_ATTRIBUTE, after)
        self.cache.put(tracker, after, self.domain)

    def _publish(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Hands the saved events to the event broker as Rasa's `stream_events` does (its
        `publish` only queues them: components/event_broker.py)."""
        if self.event_broker is None:
            return
        for data in events:
            self.event_broker.publish({"sender_id": sender_id, **data})

    def _row(self, sender_id: str, event: Event, data: dict[str, Any] | None = None) -> Any:
        """Rasa's row for one event (SQLTrackerStore.save)."""
        data = event.as_dict() if data is None else data
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _erase(self, sender_id: str) -> None:
        self.cache.forget(sender_id)
        sqlite = self.engine.dialect.name == "sqlite"
        with self.session_scope() as session:
            if sqlite:  # overwrite the deleted rows' bytes instead of leaving them in free pages
                session.execute(sa.text("PRAGMA secure_delete = ON"))
            removed = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        if sqlite:  # and no older copy of those pages left in a WAL file (when WAL is on)
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        logger.info("erased %d stored events of a conversation at the person's request", removed)


apply()

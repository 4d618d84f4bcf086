"""Rasa's SQL tracker store, plus the person's right to have their conversation deleted.

When `action_delete_my_data` succeeds it sets the slot `erase_conversation`. Rasa saves the
tracker after every message; on that save this store deletes every stored event of the
conversation instead of adding the new ones, so the transcript is gone too (the next message
starts a fresh conversation). Works on SQLite and PostgreSQL like the class it extends.

It also reads the conversation with two lean queries instead of Rasa's ORM ones: Rasa builds a
mapped object for every stored event on every message (and again to count them before a save),
which with the replay of the events was about a third of the Rasa server's CPU under load. The
rows, their order and the session rule (events from the latest `session_started` on) are Rasa's.
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

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"


def erase_requested(tracker: DialogueStateTracker) -> bool:
    """True if, since the person's latest message, an action asked for the erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == ERASE_SLOT and event.value is True:
            return True
    return False


class ErasableSQLTrackerStore(SQLTrackerStore):
    def _conversation_filter(self, sender_id: str, fetch_events_from_all_sessions: bool) -> list[Any]:
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

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = (
            sa.select(self.SQLEvent.data)
            .where(*self._conversation_filter(sender_id, fetch_events_from_all_sessions))
            .order_by(self.SQLEvent.id)
        )
        with self.session_scope() as session:
            events = [json.loads(data) for data in session.execute(query).scalars()]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        count = sa.select(sa.func.count(self.SQLEvent.id)).where(
            *self._conversation_filter(tracker.sender_id, fetch_events_from_all_sessions=False)
        )
        stored = session.execute(count).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not erase_requested(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            removed = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("erased %d stored events of a conversation at the person's request", removed)

"""Rasa's SQL tracker store, plus the person's right to have their conversation deleted.

When `action_delete_my_data` succeeds it sets the slot `erase_conversation`. Rasa saves the
tracker after every message; on that save this store deletes every stored event of the
conversation instead of adding the new ones, so the transcript is gone too (the next message
starts a fresh conversation). Works on SQLite and PostgreSQL like the class it extends.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet, UserUttered
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

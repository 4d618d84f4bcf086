"""The conversations this Rasa server saved last, kept in memory, so the next message of a
conversation does not rebuild its tracker from every stored event.

Rasa's SQL tracker store reads a conversation's events and replays them all for every message:
the cost grows with the conversation (a third of the Rasa server's CPU under load, more late in
a long conversation). Here the store keeps, per conversation, a copy of the tracker it saved and
what the database held right after (`Stored`: how many events of the latest session, and the
latest event time). On the next message it asks the database for those two numbers only; if they are
the same, nothing was written since (not by another Rasa server, not by an erasure or the
retention job) and a copy of the kept tracker is the conversation. Anything else rebuilds it
from the database as Rasa does. A copy shares the (unchanged) event objects, as Rasa's own
`DialogueStateTracker.copy()` does, and owns everything that events change.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.trackers import DialogueStateTracker

# About 2,000 open conversations per Rasa server; a conversation is a few hundred kB at most.
MAX_CONVERSATIONS = 2000


@dataclass(frozen=True)
class Stored:
    """What the database holds of a conversation's latest session: the number of events and the
    latest event time (new events are always later, so deletions and new events cannot look
    unchanged)."""

    events: int
    last_timestamp: float | None


def _copy_slot(slot: Any) -> Any:
    """`copy.copy(slot)` (Rasa's slots define no copy hooks), five times faster."""
    new = slot.__class__.__new__(slot.__class__)
    new.__dict__.update(slot.__dict__)
    return new


def copy_tracker(tracker: DialogueStateTracker, with_events: bool = True) -> DialogueStateTracker:
    """A tracker equal to `tracker` that can be changed without changing it: the same events in
    its own list (or none), its own slots and loop state (what applying an event changes)."""
    new = copy.copy(tracker)
    new.events = tracker._create_events(list(tracker.events) if with_events else [])
    new.slots = {name: _copy_slot(slot) for name, slot in tracker.slots.items()}
    new.active_loop = copy.copy(tracker.active_loop)
    new.latest_action = dict(tracker.latest_action) if tracker.latest_action is not None else None
    return new


def keep_recent(entries: OrderedDict, key: Any, value: Any, size: int) -> None:
    """Store `value` as the most recently used; forget the least recently used beyond `size`."""
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > size:
        entries.popitem(last=False)


class TrackerCache:
    """Least-recently-used trackers by conversation id, each valid for one `Stored` state and
    one domain (a new model has other slots)."""

    def __init__(self, size: int = MAX_CONVERSATIONS) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Stored, Any, DialogueStateTracker]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, sender_id: str, stored: Stored, domain: Any) -> DialogueStateTracker | None:
        entry = self._entries.get(sender_id)
        if entry is None or entry[0] != stored or entry[1] is not domain:
            self.misses += 1
            return None
        self._entries.move_to_end(sender_id)
        self.hits += 1
        return copy_tracker(entry[2])

    def has(self, sender_id: str) -> bool:
        return sender_id in self._entries

    def put(self, tracker: DialogueStateTracker, stored: Stored, domain: Any) -> None:
        keep_recent(self._entries, tracker.sender_id, (stored, domain, copy_tracker(tracker)), self.size)

    def forget(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)

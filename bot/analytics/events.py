"""What the clinic's analytics keep of Rasa's event stream, and how an event is recognised again.

Rasa publishes every event of every conversation: the person's words, the replies, every slot
with its value (names, phone numbers, free-text answers). The analytics need none of that.
`reduce_event` turns one of Rasa's events into what the analytics count, before it leaves the
Rasa server (components/event_broker.py) and again in the consumer for anything that arrives
unreduced (a stock Rasa broker's table):

- the conversation id becomes a keyed hash (`sender_key`: HMAC-SHA256 with `ANALYTICS_HASH_KEY`);
- a message keeps only its intent name and the channel it came in on, never its text, entities
  or metadata;
- an action keeps its name; a form keeps its name;
- a slot keeps its name, and its value only for the slots below whose values are names the
  assistant itself chose (the question being asked, the outcome, red-flag names, the topic,
  two flags); every other slot says only whether it holds something (`REDACTED`) or not (None);
- every other kind of event (the assistant's replies, featurisation, rejections…) is dropped.

Every reduced event carries an `id`: a hash of the sender key, the event's kind, its timestamp and
its name, so the same event published or delivered twice is stored once (docs/contracts.md).
Pure Python: imported by the Rasa server and by the app environment alike.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.triage.engine import OUTCOMES, RED_FLAG_ROUTES

FORMAT_VERSION = 1
REDACTED = "redacted"
KEPT_EVENTS = frozenset({"user", "action", "slot", "active_loop", "session_started", "restart"})

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _name(value: Any) -> str | None:
    """An identifier the assistant defines (slot, action, intent, form, channel, topic)."""
    return value if isinstance(value, str) and _NAME.fullmatch(value) else None


def _outcome(value: Any) -> str | None:
    return value if value in OUTCOMES else None


def _flags(value: Any) -> list[str] | None:
    if not isinstance(value, (list, tuple)):
        return None
    return [flag for flag in value if isinstance(flag, str) and flag in RED_FLAG_ROUTES]


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# Slots whose values the analytics read, each with the filter that keeps only what may be kept.
VALUE_SLOTS: dict[str, Callable[[Any], Any]] = {
    "requested_slot": _name,
    "triage_outcome": _outcome,
    "red_flags": _flags,
    "red_flags_reported": _flags,
    "handoff_reason": _name,
    "last_topic": _name,
    "erase_conversation": _flag,
    "triage_paused": _flag,
}


def sender_key(sender_id: str, key: str) -> str:
    """The conversation id as the analytics know it: 32 hex characters, not reversible without
    `ANALYTICS_HASH_KEY`."""
    return hmac.new(key.encode(), str(sender_id).encode(), hashlib.sha256).hexdigest()[:32]


def event_id(sender: str, kind: str, timestamp: float, name: str | None) -> str:
    """The identity of one event: the same event always gets the same id."""
    text = f"{sender}|{kind}|{timestamp!r}|{name or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _timestamp(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def _reduced(sender: str, kind: str, timestamp: float, fields: dict[str, Any]) -> dict[str, Any]:
    event = {"v": FORMAT_VERSION, "sender_key": sender, "event": kind, "timestamp": timestamp, **fields}
    event["id"] = event_id(sender, kind, timestamp, fields.get("name") or fields.get("intent"))
    return event


def _fields(event: Mapping[str, Any], kind: str, intent: Any) -> dict[str, Any] | None:
    if kind == "user":
        return {"intent": _name(intent), "input_channel": _name(event.get("input_channel"))}
    if kind == "slot":
        name = _name(event.get("name"))
        if name is None:
            return None
        value = event.get("value")
        keep = VALUE_SLOTS.get(name)
        return {"name": name, "value": keep(value) if keep else (None if value is None else REDACTED)}
    if kind in ("action", "active_loop"):
        return {"name": _name(event.get("name"))}
    return {}


def reduce_event(event: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """One of Rasa's events (with its `sender_id`, as Rasa's brokers publish them) as the
    analytics keep it, or None when the analytics do not keep this kind of event."""
    kind = event.get("event")
    timestamp = _timestamp(event.get("timestamp"))
    sender = event.get("sender_id")
    if kind not in KEPT_EVENTS or timestamp is None or not isinstance(sender, str) or not sender:
        return None
    parse_data = event.get("parse_data")
    intent = (parse_data.get("intent") or {}).get("name") if isinstance(parse_data, Mapping) else None
    fields = _fields(event, kind, intent)
    if fields is None:
        return None
    return _reduced(sender_key(sender, key), kind, timestamp, fields)


_SENDER_KEY = re.compile(r"[0-9a-f]{32}")


def clean_reduced(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """A reduced event read back from the queue, checked again field by field (whatever else it
    holds is dropped), or None if it is not one."""
    kind = event.get("event")
    timestamp = _timestamp(event.get("timestamp"))
    sender = event.get("sender_key")
    if (
        kind not in KEPT_EVENTS
        or timestamp is None
        or not isinstance(sender, str)
        or not _SENDER_KEY.fullmatch(sender)
    ):
        return None
    fields = _fields(event, kind, event.get("intent"))
    if fields is None:
        return None
    return _reduced(sender, kind, timestamp, fields)


def from_wire(event: Any, key: str) -> dict[str, Any] | None:
    """What the consumer reads, reduced: our broker's reduced events, or Rasa's own."""
    if not isinstance(event, Mapping):
        return None
    if "sender_key" in event:
        return clean_reduced(event)
    return reduce_event(event, key)

"""Shared helpers of the analytics tests: the recorded event streams and copies of them.

tests/unit/data/analytics_streams.json holds what the real event broker published
(components/event_broker.py) for scripted conversations over the real assistant (REST, and the
Telegram relay), reduced with the hash key "test-key"; tests/unit/data/record_analytics_streams.py
records them again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.analytics.events import event_id, sender_key

STREAMS_FILE = Path(__file__).resolve().parent / "data" / "analytics_streams.json"
KEY = "test-key"


@lru_cache(maxsize=1)
def _streams() -> dict[str, dict[str, Any]]:
    return json.loads(STREAMS_FILE.read_text())


def streams() -> dict[str, dict[str, Any]]:
    """name → {"sender", "messages", "events"} (fresh copies)."""
    return json.loads(json.dumps(_streams()))


def events(name: str) -> list[dict[str, Any]]:
    return streams()[name]["events"]


def all_events() -> list[dict[str, Any]]:
    return [event for stream in streams().values() for event in stream["events"]]


def copy_of(
    name: str,
    sender: str,
    *,
    shift_s: float = 0.0,
    stretch: float = 1.0,
    channel: str | None = None,
) -> list[dict[str, Any]]:
    """A recorded conversation as another sender's: moved by `shift_s` seconds, its pace slowed
    by `stretch`, its messages arriving on `channel` (a Rasa input channel name) if given."""
    original = events(name)
    start = original[0]["timestamp"]
    key = sender_key(sender, KEY)
    result = []
    for event in original:
        copy = dict(event)
        copy["timestamp"] = start + shift_s + (event["timestamp"] - start) * stretch
        copy["sender_key"] = key
        if channel is not None and copy["event"] == "user":
            copy["input_channel"] = channel
        copy["id"] = event_id(key, copy["event"], copy["timestamp"], copy.get("name") or copy.get("intent"))
        result.append(copy)
    return result


def last_timestamp(batch: list[dict[str, Any]]) -> float:
    return max(event["timestamp"] for event in batch)

"""A per-chat token bucket: a person can send a few messages in a burst, then about one a
second; a flood from one chat is not relayed to the assistant as-is."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class ChatRateLimiter:
    burst: int = 8
    per_second: float = 1.0
    clock: Callable[[], float] = time.monotonic
    max_chats: int = 10_000  # forget the quietest chats beyond this, so memory stays bounded
    _buckets: dict[int, _Bucket] = field(default_factory=dict)

    def allow(self, chat_id: int) -> bool:
        now = self.clock()
        bucket = self._buckets.pop(chat_id, None) or _Bucket(tokens=self.burst, updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        self._buckets[chat_id] = bucket  # most recently seen last
        if len(self._buckets) > self.max_chats:
            del self._buckets[next(iter(self._buckets))]
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True
        return False

    def should_warn(self, chat_id: int) -> bool:
        """True once per flood: the person is told once, not once per dropped message."""
        bucket = self._buckets.get(chat_id)
        if bucket is None or bucket.warned:
            return False
        bucket.warned = True
        return True

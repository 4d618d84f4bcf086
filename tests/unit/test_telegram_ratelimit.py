"""The per-chat rate limit (bot/telegram/ratelimit.py), on a fake clock."""

from __future__ import annotations

from bot.telegram.ratelimit import ChatRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_a_flood_is_held_back_and_told_once() -> None:
    clock = Clock()
    limiter = ChatRateLimiter(burst=3, per_second=1.0, clock=clock)
    assert [limiter.allow(1) for _ in range(5)] == [True, True, True, False, False]
    assert limiter.should_warn(1) is True
    assert limiter.should_warn(1) is False  # once per flood


def test_tokens_come_back_with_time_and_chats_are_independent() -> None:
    clock = Clock()
    limiter = ChatRateLimiter(burst=2, per_second=0.5, clock=clock)
    assert limiter.allow(1) and limiter.allow(1) and not limiter.allow(1)
    assert limiter.allow(2)  # another person is not slowed
    clock.now += 2.0
    assert limiter.allow(1)
    assert not limiter.allow(1)
    clock.now += 100
    assert limiter.allow(1) and limiter.allow(1) and not limiter.allow(1)  # never more than the burst


def test_memory_stays_bounded() -> None:
    limiter = ChatRateLimiter(max_chats=10, clock=Clock())
    for chat in range(100):
        limiter.allow(chat)
    assert len(limiter._buckets) == 10

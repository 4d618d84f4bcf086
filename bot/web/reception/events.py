"""What the reception screen learns without a reload: a small poller, started with the web app,
watches the handoffs table; each new handoff is pushed to every open queue page (server-sent
events) and, when configured, announced to staff on Telegram (`notify.py`).

Several web processes each run their own poller: every process tells its own browsers. Staff
notifications go out from an outbox (the handoff row: `staff_notified_at` NULL until Telegram
accepted it): a poller claims one with a lease, sends, and only then marks it sent. Two pollers
never send the same one at once; a poller that dies between claim and mark leaves a lease that
runs out, and the notification is sent again (at least once). A repeat carries the same text and
the same idempotency key, which the log line names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx

from bot.db import repository, staff
from bot.db.models import Handoff, utcnow
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web.reception import notify

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
HEARTBEAT_S = 15.0
MAX_BACKOFF_S = 30.0
# Handoffs older than this when first seen are not announced (turning notifications on must not
# send the whole backlog).
NOTIFY_WINDOW = timedelta(hours=24)
# How long a claimed notification may take to send before another poller may send it (a sender
# that crashed): longer than sending to every staff chat can take (10 s timeout each).
CLAIM_LEASE = timedelta(minutes=2)


class Broker:
    """Fans events out to the open event streams of this process."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[str]] = set()

    def publish(self, event: str, data: dict) -> None:
        message = f"event: {event}\ndata: {json.dumps(data)}\n\n"
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled browser misses an event
                queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=100)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._queues)


broker = Broker()


def _new_handoffs(after_id: int) -> tuple[int, list[str]]:
    with session_scope() as session:
        found = repository.handoffs_since(session, after_id)
        return (found[-1].id if found else after_id), [h.reference_code for h in found]


def _latest_id() -> int:
    with session_scope() as session:
        return repository.latest_handoff_id(session)


def idempotency_key(handoff_id: int, text: str) -> str:
    """The same for every send of the same notification (a retry after a crash), different when
    the text changed (a raised route is news)."""
    return f"handoff-{handoff_id}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _claim_unnotified() -> list[tuple[int, str, str]]:
    """Claim every notification still to send; (id, claim, message) for each one this process won."""
    settings = get_settings()
    claimed = []
    with session_scope() as session:
        candidates = staff.pending_staff_notifications(session, utcnow() - NOTIFY_WINDOW)
    for handoff_id in candidates:
        claim = secrets.token_hex(16)
        with session_scope() as session:  # one short transaction per claim
            if not staff.claim_staff_notification(session, handoff_id, claim, lease=CLAIM_LEASE):
                continue  # another process is sending it
            handoff = session.get(Handoff, handoff_id)
            if handoff is not None:
                claimed.append((handoff_id, claim, notify.message_text(handoff, settings)))
    return claimed


def _mark_sent(handoff_id: int, claim: str) -> bool:
    with session_scope() as session:
        return staff.mark_staff_notified(session, handoff_id, claim)


def _release(handoff_id: int, claim: str) -> None:
    with session_scope() as session:
        staff.release_staff_notification(session, handoff_id, claim)


async def notify_new_handoffs(client: httpx.AsyncClient) -> int:
    """Send every staff notification still in the outbox; returns how many were sent."""
    settings = get_settings()
    sent = 0
    for handoff_id, claim, text in await asyncio.to_thread(_claim_unnotified):
        key = idempotency_key(handoff_id, text)
        accepted = await notify.send_to_staff(client, text, settings)
        if not accepted:  # nobody received it: give the claim back so the next poll retries
            logger.warning("staff notification %s not delivered; retrying at the next poll", key)
            await asyncio.to_thread(_release, handoff_id, claim)
            continue
        sent += 1
        marked = await asyncio.to_thread(_mark_sent, handoff_id, claim)
        logger.info(
            "staff notification %s sent to %d of %d staff chats%s",
            key,
            accepted,
            len(notify.staff_chat_ids(settings)),
            "" if marked else " (changed meanwhile: the new text follows)",
        )
    return sent


async def poll_forever(interval_s: float = POLL_INTERVAL_S) -> None:
    last_id: int | None = None
    failures = 0
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if last_id is None:
                    last_id = await asyncio.to_thread(_latest_id)
                last_id, codes = await asyncio.to_thread(_new_handoffs, last_id)
                for code in codes:
                    broker.publish("handoff", {"reference_code": code})
                if notify.notifications_enabled(get_settings()):
                    await notify_new_handoffs(client)
                if failures:
                    logger.info("handoff poller: the database answers again")
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be restarting or not migrated yet: keep watching
                failures += 1
                if failures == 1:
                    logger.exception("handoff poller: cannot read the handoffs; retrying quietly")
            # back off while failing (up to 30 s), so a down database does not flood the log
            await asyncio.sleep(min(interval_s * 2 ** min(failures, 5), MAX_BACKOFF_S))


@contextlib.asynccontextmanager
async def running_poller() -> AsyncIterator[None]:
    task = asyncio.create_task(poll_forever(), name="reception-handoff-poller")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

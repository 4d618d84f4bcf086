"""The event broker Rasa publishes the conversation events to, for the clinic's analytics.

endpoints.yml names `ConfiguredEventBroker`; `ANALYTICS_BROKER_URL` (bot/settings.py,
.env.example) picks where the events go, as components/stores.py does for the stores:

- empty (default): the `events` table of `ANALYTICS_EVENTS_DB` (Rasa's SQL event broker's table:
  id, sender_id, data; a SQLite file by default), which `python -m bot.analytics` reads as a queue;
- `amqp://…`: RabbitMQ, the durable queue `ANALYTICS_QUEUE` (persistent messages, publisher
  confirms); whatever cannot be published while RabbitMQ is away waits in that same `events`
  table and is published, in order, once it is back;
- `off`: no event broker.

Why not Rasa's own brokers: Rasa's SQLEventBroker commits once per event inside the message's
handling (measured here: p50 per message 29 → 49 ms, throughput at 10 conversations 34 → 20
msg/s), and its PikaEventBroker blocks Rasa's start for up to 100 s without RabbitMQ, drops every
event published before it connected and keeps failed ones only in memory. Here `publish` only
appends to a queue in memory: a task on Rasa's event loop writes the events of each message a
moment later in one transaction, off the conversation's path (the database work in a worker
thread), or publishes them to RabbitMQ and waits for its confirms. Neither a slow database nor
RabbitMQ being down ever slows or breaks a conversation. On a graceful stop (SIGTERM) everything
queued is written first; only a crash of the Rasa server can lose the events of its last few tens of milliseconds.

Every event is reduced before it leaves the Rasa server (bot/analytics/events.py): a keyed hash
for the conversation id, no message text, no slot values but a few the assistant chose itself,
and only the kinds of event the analytics count. So neither the table nor the queue holds a
person's words or contact details.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from sqlalchemy.engine import make_url

from bot.analytics.events import reduce_event
from bot.settings import get_settings

logger = logging.getLogger(__name__)

OFF = ("off", "none")
LINGER_S = 0.02  # after the first events, wait for other conversations' (one write for several)
BATCH = 500
MAX_PENDING = 200_000  # events held in memory while the database cannot be written (then the oldest go)
RETRY_S = 5.0  # between attempts to reach RabbitMQ or the events database
CONNECT_TIMEOUT_S = 5.0
CLOSE_TIMEOUT_S = 20.0
SQLITE_BUSY_TIMEOUT_S = 15

# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py), so either broker's rows read the same.
_metadata = sa.MetaData()
EVENTS = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("data", sa.Text),
)


def _engine(url: str) -> sa.engine.Engine:
    """An engine for the events database in the Rasa environment (psycopg2 for PostgreSQL; a
    SQLite file in WAL mode, so the consumer reads while Rasa writes)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(parsed.set(drivername="postgresql+psycopg2"), pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # kept connections (SQLAlchemy 1.4 would open one per write), used by one worker thread at a time
    engine = sa.create_engine(
        parsed,
        poolclass=sa.pool.QueuePool,
        pool_size=1,
        max_overflow=2,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    return engine


class EventsTable:
    """The `events` table: the SQL broker's queue, and RabbitMQ's spool."""

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)  # connects on first use: the database may be away at start
        self._created = False

    def _ensure(self) -> None:
        if not self._created:
            _metadata.create_all(self.engine)
            self._created = True

    def write(self, events: list[dict[str, Any]]) -> None:
        """One transaction for the batch, through the driver itself (a third of the CPU of
        SQLAlchemy's insert, which the conversation's thread would otherwise wait for)."""
        if not events:
            return
        self._ensure()
        rows = [(e["sender_key"], json.dumps(e)) for e in events]
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.executemany(f"INSERT INTO events (sender_id, data) VALUES ({mark}, {mark})", rows)
            cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

    def take(self, limit: int = BATCH) -> list[tuple[int, str]]:
        self._ensure()
        with self.engine.connect() as connection:
            query = sa.select(EVENTS.c.id, EVENTS.c.data).order_by(EVENTS.c.id).limit(limit)
            return [(row.id, row.data) for row in connection.execute(query)]

    def remove(self, ids: list[int]) -> None:
        with self.engine.begin() as connection:
            connection.execute(EVENTS.delete().where(EVENTS.c.id.in_(ids)))

    def count(self) -> int:
        self._ensure()
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(EVENTS)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


class ConfiguredEventBroker(EventBroker):
    """Publishes reduced events to the `events` table or to RabbitMQ, never on the message's
    path. `published`, `spooled` and `dropped` count what happened to them."""

    def __init__(
        self, events_db: str, key: str, amqp_url: str | None = None, queue: str = "rasa_events"
    ) -> None:
        super().__init__()
        self.key = key
        self.amqp_url = amqp_url
        self.queue = queue
        self.table = EventsTable(events_db)
        self._pending: deque[dict[str, Any]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self._connection: Any = None
        self._channel: Any = None
        self._next_connect = 0.0
        self._outage_logged = False
        # with RabbitMQ: events a previous run could not publish may wait in the table
        self._spool_waiting = bool(amqp_url)
        self.published = 0
        self.spooled = 0
        self.dropped = 0

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: Any = None, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> ConfiguredEventBroker | None:
        settings = get_settings()
        url = settings.analytics_broker_url.strip()
        if url.lower() in OFF:
            logger.info("event broker: off (ANALYTICS_BROKER_URL=%s)", url)
            return None
        if url and not url.lower().startswith(("amqp://", "amqps://")):
            # ValueError, not ImportError: Rasa would quietly run without a broker on that one
            raise ValueError(
                f"ANALYTICS_BROKER_URL={url!r} is neither empty, amqp://… nor off (see .env.example)"
            )
        broker = cls(
            settings.analytics_events_db, settings.analytics_hash_key, url or None, settings.analytics_queue
        )
        broker.start()
        where = (
            f"RabbitMQ queue {settings.analytics_queue}" if url else "the events table (ANALYTICS_EVENTS_DB)"
        )
        logger.info("event broker: %s", where)
        return broker

    # --- on the message's path: queue only -----------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run())

    def publish(self, event: dict[str, Any]) -> None:
        """Called by the tracker store for each event it saved: queues it and returns."""
        self._pending.append(event)
        if len(self._pending) > MAX_PENDING:
            self._pending.popleft()
            self.dropped += 1
            if self.dropped % 10_000 == 1:
                logger.error(
                    "event broker: %d events dropped: the events database is unreachable", self.dropped
                )
        self._signal()

    def _signal(self) -> None:
        if self._loop is None or self._wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    def is_ready(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- the writer task --------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            if not self._pending and not self._closing:
                timeout = RETRY_S if self._spool_waiting else None
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                self._wake.clear()
                if not self._closing:
                    await asyncio.sleep(LINGER_S)
            try:
                done = await self._deliver()
            except Exception:  # noqa: BLE001 - never let the writer die; the events stay queued
                logger.exception("event broker: delivering events failed")
                done = False
            if self._closing and (not self._pending or not done):
                return
            if not done:
                await self._pause()

    async def _pause(self) -> None:
        """After a failed delivery: RETRY_S before the next try, whatever is published meanwhile
        (it waits in memory), unless the server is stopping."""
        assert self._wake is not None
        deadline = time.monotonic() + RETRY_S
        while not self._closing and (left := deadline - time.monotonic()) > 0:
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    async def _deliver(self) -> bool:
        """Delivers up to BATCH queued events (and, with RabbitMQ, the spool first). True when
        everything taken was delivered or safely spooled."""
        batch = list(itertools.islice(self._pending, BATCH))
        if self.amqp_url is None:
            if not batch:
                return True
            try:
                await asyncio.to_thread(self._write, batch)
            except Exception as error:  # noqa: BLE001 - kept in memory and tried again
                self._log_outage(
                    f"the events database is unreachable ({error}); {len(self._pending)} events wait"
                )
                return False
            self._taken(len(batch))
            return True
        if await self._connected():
            if self._spool_waiting and not await self._drain_spool():
                return await self._spool(batch)
            if not batch:
                return True
            reduced = self._reduce(batch)
            try:
                await self._publish_all([json.dumps(e).encode() for e in reduced])
            except Exception as error:  # noqa: BLE001 - RabbitMQ went away: spool and reconnect
                await self._disconnect(f"publishing failed: {error}")
                return await self._spool(batch, reduced)
            self.published += len(reduced)
            self._taken(len(batch))
            return True
        return await self._spool(batch)

    def _taken(self, count: int, delivered: bool = True) -> None:
        for _ in range(count):
            self._pending.popleft()
        if delivered:
            self._outage_logged = False

    def _reduce(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reduced = (reduce_event(event, self.key) for event in batch)
        return [event for event in reduced if event is not None]

    def _write(self, batch: list[dict[str, Any]], reduced: list[dict[str, Any]] | None = None) -> int:
        events = self._reduce(batch) if reduced is None else reduced
        self.table.write(events)
        return len(events)

    async def _spool(self, batch: list[dict[str, Any]], reduced: list[dict[str, Any]] | None = None) -> bool:
        """RabbitMQ is away: the events wait in the events table (in order)."""
        if not batch:
            return True
        try:
            count = await asyncio.to_thread(self._write, batch, reduced)
        except Exception as error:  # noqa: BLE001 - both away: kept in memory
            self._log_outage(f"RabbitMQ and the events database are unreachable ({error})")
            return False
        self.spooled += count
        self._spool_waiting = True
        self._taken(len(batch), delivered=False)
        return True

    async def _drain_spool(self) -> bool:
        """Publishes what waited in the events table, oldest first. False if RabbitMQ failed
        meanwhile (the rest stays in the table)."""
        drained = 0
        while True:
            try:
                rows = await asyncio.to_thread(self.table.take, BATCH)
            except Exception as error:  # noqa: BLE001 - table unreadable: publish new events anyway
                self._log_outage(f"the events table cannot be read ({error}); its events wait")
                return True
            if not rows:
                self._spool_waiting = False
                if drained:
                    logger.info("event broker: %d events kept while RabbitMQ was away are published", drained)
                return True
            try:
                await self._publish_all([data.encode() for _, data in rows])
            except Exception as error:  # noqa: BLE001
                await self._disconnect(f"publishing spooled events failed: {error}")
                return False
            await asyncio.to_thread(self.table.remove, [row_id for row_id, _ in rows])
            self.published += len(rows)
            drained += len(rows)

    # --- RabbitMQ -------------------------------------------------------------------------------------

    async def _connected(self) -> bool:
        if self._channel is not None and not self._channel.is_closed:
            return True
        if self._closing and self._connection is None:
            return False
        now = time.monotonic()
        if now < self._next_connect:
            return False
        self._next_connect = now + RETRY_S
        import aio_pika

        try:
            self._connection = await aio_pika.connect(self.amqp_url, timeout=CONNECT_TIMEOUT_S)
            self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
            await self._channel.declare_queue(self.queue, durable=True)
        except Exception as error:  # noqa: BLE001 - any failure means "not there yet"
            await self._disconnect(f"cannot connect: {error}")
            return False
        logger.info("event broker: connected to RabbitMQ, queue %s", self.queue)
        return True

    async def _publish_all(self, bodies: list[bytes]) -> None:
        import aio_pika

        exchange = self._channel.default_exchange
        messages = [aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT) for body in bodies]
        # confirms of one batch awaited together: one round trip, not one per event
        await asyncio.gather(*(exchange.publish(m, routing_key=self.queue, mandatory=True) for m in messages))

    async def _disconnect(self, why: str, outage: bool = True) -> None:
        if outage:
            self._log_outage(f"RabbitMQ unavailable ({why}); events wait in the events table")
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken
                await asyncio.wait_for(connection.close(), 2)

    def _log_outage(self, message: str) -> None:
        if not self._outage_logged:
            logger.warning("event broker: %s", message)
            self._outage_logged = True

    # --- stopping -------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Rasa calls this when the server stops: everything queued is delivered (or spooled)."""
        self._closing = True
        if self._task is not None and not self._task.done():
            self._signal()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                self._task.cancel()
        if self._pending:
            logger.error("event broker: %d events could not be written before stopping", len(self._pending))
        await self._disconnect("stopping", outage=False)
        await asyncio.to_thread(self.table.close)

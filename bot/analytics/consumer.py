"""The analytics consumer: reads Rasa's events where the event broker left them and writes the
analytics tables (`python -m bot.analytics`).

Two sources, as `ANALYTICS_BROKER_URL` says (components/event_broker.py writes both):

- `SqlSource`, the embedded default: the `events` table of `ANALYTICS_EVENTS_DB` (Rasa's SQL event
  broker's table: id, sender_id, data). Read in id order; rows are deleted only after the batch
  they belong to is committed to the clinic database, so the table works as a queue.
- `RabbitSource`, with `amqp://…`: the durable queue `ANALYTICS_QUEUE`. Messages are acknowledged
  (all of a batch at once) only after the batch is committed; a consumer that stops or crashes
  before that gets them again. With RabbitMQ the consumer also empties the `events` table, where
  a Rasa server keeps what it could not publish while RabbitMQ was away.

Either way a batch is: reduce (bot/analytics/events.py), store and recompute (store.py), commit,
then acknowledge. Replays are harmless (events are known by their id), so "at least once" delivery
gives exactly-once counts.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, delete, select
from sqlalchemy import pool as sa_pool
from sqlalchemy.engine import URL, make_url

from bot.analytics.events import from_wire
from bot.analytics.store import ingest
from bot.db.session import make_engine, session_scope
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

BATCH = 500
POLL_S = 1.0  # how long the sources wait for more before storing what they have
RETRY_S = 2.0  # after a failure (clinic database, RabbitMQ) before trying again
HEARTBEAT_S = 30

# Rasa's SQLEventBroker table (rasa/core/brokers/sql.py), which components/event_broker.py keeps.
_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


def decode(payload: bytes | str, key: str) -> dict[str, Any] | None:
    try:
        return from_wire(json.loads(payload), key)
    except (ValueError, TypeError):
        return None


@dataclass
class Stats:
    batches: int = 0
    messages: int = 0
    events: int = 0
    skipped: int = 0


class Consumer:
    """Turns batches of raw messages into committed analytics rows."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.key = settings.analytics_hash_key
        self.zone = ZoneInfo(settings.clinic_timezone)
        self.engine = engine
        self.stats = Stats()

    def commit(self, payloads: list[bytes | str]) -> None:
        """Stores one batch; returns only once it is committed (raises if it could not be)."""
        events = []
        for payload in payloads:
            event = decode(payload, self.key)
            if event is None:
                self.stats.skipped += 1
            else:
                events.append(event)
        if events:
            with session_scope(self.engine) as session:
                ingest(session, events, self.zone)
        self.stats.batches += 1
        self.stats.messages += len(payloads)
        self.stats.events += len(events)


def events_db_url(url: str) -> URL:
    """`ANALYTICS_EVENTS_DB` for this environment: the Rasa server reaches PostgreSQL with psycopg2,
    the app environment with psycopg 3; the same setting serves both."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


class SqlSource:
    """The SQL event broker's table as a queue."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(events_db_url(url), poolclass=sa_pool.NullPool)
        _metadata.create_all(self.engine)

    def take(self, limit: int = BATCH) -> list[tuple[int, str]]:
        with self.engine.connect() as connection:
            return [
                (row.id, row.data)
                for row in connection.execute(
                    select(EVENTS.c.id, EVENTS.c.data).order_by(EVENTS.c.id).limit(limit)
                )
            ]

    def acknowledge(self, ids: list[int]) -> None:
        with self.engine.begin() as connection:
            for start in range(0, len(ids), 500):
                connection.execute(delete(EVENTS).where(EVENTS.c.id.in_(ids[start : start + 500])))

    def drain_once(self, consumer: Consumer) -> int:
        """One batch: read, commit to the clinic database, then delete. Returns rows handled."""
        rows = self.take()
        if rows:
            consumer.commit([data for _, data in rows])
            self.acknowledge([row_id for row_id, _ in rows])
        return len(rows)

    def close(self) -> None:
        self.engine.dispose()


class RabbitSource:
    """The durable queue, consumed with manual acknowledgements in batches."""

    def __init__(self, url: str, queue: str) -> None:
        self.url = url
        self.queue = queue
        self.connection: Any = None
        self.channel: Any = None

    def connect(self) -> None:
        import pika

        parameters = pika.URLParameters(self.url)
        parameters.heartbeat = HEARTBEAT_S
        parameters.connection_attempts = 1
        parameters.socket_timeout = 5
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.channel.queue_declare(self.queue, durable=True)
        self.channel.basic_qos(prefetch_count=BATCH)

    def batches(self, stop: threading.Event, wait_s: float = POLL_S) -> Iterator[tuple[list[bytes], int]]:
        """Yields (bodies, last delivery tag): up to BATCH messages, or what arrived within
        `wait_s` of the first one. Nothing is acknowledged until `acknowledge` is called."""
        bodies: list[bytes] = []
        last_tag = 0
        first = 0.0
        for method, _properties, body in self.channel.consume(self.queue, inactivity_timeout=wait_s):
            if method is not None:
                if not bodies:
                    first = time.monotonic()
                bodies.append(body)
                last_tag = method.delivery_tag
            due = method is None or len(bodies) >= BATCH or time.monotonic() - first >= wait_s
            if bodies and due:
                yield bodies, last_tag
                bodies, last_tag = [], 0
            if stop.is_set() and not bodies:
                break

    def acknowledge(self, last_tag: int) -> None:
        self.channel.basic_ack(delivery_tag=last_tag, multiple=True)

    def close(self) -> None:
        try:
            if self.channel is not None and self.channel.is_open:
                self.channel.cancel()  # unacknowledged messages go back to the queue
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            logger.debug("closing the RabbitMQ connection failed", exc_info=True)
        self.connection = self.channel = None


_STOPPED = object()


def _retrying(
    stop: threading.Event, what: str, action: Callable[[], Any], wait: Callable[[float], Any] | None = None
) -> Any:
    """Runs `action` until it succeeds (the batch is kept meanwhile), or returns `_STOPPED` once
    `stop` is set. `wait` sleeps between tries (RabbitMQ's connection must keep answering
    heartbeats meanwhile)."""
    while True:
        try:
            return action()
        except Exception as error:  # noqa: BLE001 - the clinic database may be down for a while
            logger.warning("analytics: %s failed, trying again in %.0f s: %s", what, RETRY_S, error)
            if wait is not None:
                wait(RETRY_S)
            elif stop.wait(RETRY_S):
                return _STOPPED
            if stop.is_set():
                return _STOPPED


def run_sql(consumer: Consumer, source: SqlSource, stop: threading.Event) -> None:
    while not stop.is_set():
        handled = _retrying(stop, "a batch from the events table", lambda: source.drain_once(consumer))
        if handled is _STOPPED:
            return
        if handled < BATCH:
            stop.wait(POLL_S)


def _drain_spool(consumer: Consumer, spool: SqlSource | None) -> None:
    """What a Rasa server kept in the events table while RabbitMQ was away (it publishes that
    itself once RabbitMQ is back; whichever comes first, the events are counted once)."""
    if spool is None:
        return
    try:
        while spool.drain_once(consumer) >= BATCH:
            pass
    except Exception as error:  # noqa: BLE001 - the spool may be another host's file; the queue matters
        logger.debug("analytics: events table not drained: %s", error)


def run_rabbit(
    consumer: Consumer, source: RabbitSource, spool: SqlSource | None, stop: threading.Event
) -> None:
    while not stop.is_set():
        try:
            source.connect()
            logger.info("analytics: consuming RabbitMQ queue %s", source.queue)
            _drain_spool(consumer, spool)
            for bodies, last_tag in source.batches(stop):
                done = _retrying(
                    stop, "storing a batch", lambda b=bodies: consumer.commit(b), wait=source.connection.sleep
                )
                if done is _STOPPED:
                    break  # not acknowledged: RabbitMQ delivers the batch again
                source.acknowledge(last_tag)
                _drain_spool(consumer, spool)
        except Exception as error:  # noqa: BLE001 - RabbitMQ away: unacknowledged messages stay queued
            if stop.is_set():
                break
            logger.warning("analytics: RabbitMQ unavailable (%s); trying again in %.0f s", error, RETRY_S)
            _drain_spool(consumer, spool)
            stop.wait(RETRY_S)
        finally:
            source.close()


def main(stop: threading.Event | None = None, settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    stop = stop or threading.Event()
    url = settings.analytics_broker_url.strip()
    if url.lower() in ("off", "none"):
        logger.info("analytics: ANALYTICS_BROKER_URL=%s, nothing to consume", url)
        stop.wait()
        return 0
    consumer = Consumer(settings)
    spool = SqlSource(settings.analytics_events_db)
    started = time.monotonic()
    try:
        if url:
            logger.info("analytics: RabbitMQ %s, queue %s", url.split("@")[-1], settings.analytics_queue)
            run_rabbit(consumer, RabbitSource(url, settings.analytics_queue), spool, stop)
        else:
            logger.info("analytics: reading Rasa's SQL event broker table (ANALYTICS_EVENTS_DB)")
            run_sql(consumer, spool, stop)
    finally:
        spool.close()
        logger.info(
            "analytics: stopped after %.0f s: %d messages, %d events kept, %d skipped",
            time.monotonic() - started,
            consumer.stats.messages,
            consumer.stats.events,
            consumer.stats.skipped,
        )
    return 0


def install_signal_handlers(stop: threading.Event) -> None:
    def on_signal(signum: int, _frame: object) -> None:
        logger.info("analytics: signal %d, finishing the batch in hand", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

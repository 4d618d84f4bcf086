"""The analytics consumer (`python -m bot.analytics`) against real queues: the SQL event broker's
table and a real RabbitMQ. Acknowledged only after the commit, restartable with nothing lost or
counted twice, replays harmless.

RabbitMQ is `TEST_RABBITMQ_URL` (default amqp://guest:guest@127.0.0.1:5672/%2f); its tests are
skipped with the reason when it cannot be reached, and fail instead with TEST_RABBITMQ_REQUIRED=1
(CI, .ci/run).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.analytics.consumer import EVENTS, Consumer, SqlSource, main
from bot.analytics.store import ingest
from bot.db.migrate import upgrade
from bot.db.models import AnalyticsConversation
from bot.db.session import make_engine, session_factory
from bot.settings import Settings, get_settings
from tests.services import unavailable
from tests.unit.analytics_support import KEY, all_events
from tests.unit.test_analytics import ZONE, _snapshot

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
CONVERSATIONS = 12  # in the recorded streams


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout:.0f} s: {check.__doc__ or check}")


def _settings(
    monkeypatch: pytest.MonkeyPatch, clinic_db: str, events_db: str, broker: str = "", queue: str = ""
) -> Settings:
    monkeypatch.setenv("DATABASE_URL", clinic_db)
    monkeypatch.setenv("ANALYTICS_EVENTS_DB", events_db)
    monkeypatch.setenv("ANALYTICS_BROKER_URL", broker)
    monkeypatch.setenv("ANALYTICS_QUEUE", queue or "rasa_events")
    monkeypatch.setenv("ANALYTICS_HASH_KEY", KEY)
    monkeypatch.setenv("CLINIC_TIMEZONE", "Australia/Brisbane")
    get_settings.cache_clear()
    return get_settings()


def _rows(clinic_db: str) -> list[tuple]:
    engine = make_engine(clinic_db)
    try:
        with session_factory(engine)() as session:
            return _snapshot(session)
    finally:
        engine.dispose()


def _count(clinic_db: str) -> int:
    engine = make_engine(clinic_db)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(AnalyticsConversation)) or 0
    except Exception:  # noqa: BLE001 - not migrated yet
        return 0
    finally:
        engine.dispose()


@pytest.fixture
def expected(tmp_path: Path) -> list[tuple]:
    """The rows the recorded events give when stored directly, once."""
    url = f"sqlite:///{tmp_path / 'direct.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        ingest(session, all_events(), ZONE)
        session.commit()
        rows = _snapshot(session)
    engine.dispose()
    assert len(rows) == CONVERSATIONS
    return rows


def _write_table(events_db: str, events: list[dict]) -> None:
    """What the SQL event broker writes (components/event_broker.py): one row per event."""
    source = SqlSource(events_db)
    with source.engine.begin() as connection:
        connection.execute(
            EVENTS.insert(), [{"sender_id": e["sender_key"], "data": json.dumps(e)} for e in events]
        )
    source.close()


def _table_count(events_db: str) -> int:
    source = SqlSource(events_db)
    try:
        with source.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    finally:
        source.close()


class Running:
    """`python -m bot.analytics`'s main loop in a thread, stopped as SIGTERM stops it."""

    def __init__(self, settings: Settings) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=main, args=(self.stop, settings), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


# --- the SQL event broker's table -------------------------------------------------------------------


def test_rows_are_deleted_only_after_their_batch_is_committed(tmp_path: Path, monkeypatch) -> None:
    clinic_db, events_db = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'events.db'}"
    settings = _settings(monkeypatch, clinic_db, events_db)
    events = all_events()
    _write_table(events_db, events)
    source = SqlSource(events_db)
    consumer = Consumer(settings)
    # the clinic database is not migrated: nothing can be committed, so nothing is taken
    with pytest.raises(Exception, match="analytics_"):
        source.drain_once(consumer)
    assert _table_count(events_db) == len(events)
    upgrade(clinic_db)
    while source.drain_once(consumer):
        pass
    source.close()
    assert _table_count(events_db) == 0
    assert _count(clinic_db) == CONVERSATIONS


def test_a_crash_between_commit_and_delete_counts_nothing_twice(
    tmp_path: Path, monkeypatch, expected
) -> None:
    clinic_db, events_db = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'events.db'}"
    upgrade(clinic_db)
    settings = _settings(monkeypatch, clinic_db, events_db)
    _write_table(events_db, all_events())
    source = SqlSource(events_db)
    consumer = Consumer(settings)
    rows = source.take(10_000)
    consumer.commit([data for _, data in rows])  # committed, then "crashed" before the delete
    while source.drain_once(consumer):  # after the restart the same rows come again
        pass
    source.close()
    assert _rows(clinic_db) == expected


def test_the_consumer_restarts_with_nothing_lost_or_counted_twice(
    tmp_path: Path, monkeypatch, expected
) -> None:
    clinic_db, events_db = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'events.db'}"
    upgrade(clinic_db)
    settings = _settings(monkeypatch, clinic_db, events_db)
    events = all_events()
    half = len(events) // 2 + 7  # mid-conversation

    running = Running(settings)
    _write_table(events_db, events[:half])
    wait_until(lambda: _table_count(events_db) == 0)
    running.close()

    _write_table(events_db, events[half:])  # while the consumer is stopped: they wait
    time.sleep(1.5)
    assert _table_count(events_db) == len(events) - half

    running = Running(settings)
    wait_until(lambda: _table_count(events_db) == 0)
    assert _rows(clinic_db) == expected
    _write_table(events_db, events[: half // 2])  # a replay
    wait_until(lambda: _table_count(events_db) == 0)
    running.close()
    assert _rows(clinic_db) == expected


# --- RabbitMQ ---------------------------------------------------------------------------------------


@pytest.fixture
def rabbitmq() -> Iterator[tuple[str, str]]:
    """(url, a queue of this test's own), deleted afterwards."""
    import pika

    parameters = pika.URLParameters(RABBITMQ_URL)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        connection = pika.BlockingConnection(parameters)
    except Exception as exc:  # noqa: BLE001 - unreachable is the only reason to skip
        unavailable(
            "rabbitmq", f"RabbitMQ not reachable at {RABBITMQ_URL.split('@')[-1]}: {type(exc).__name__}"
        )
    queue = f"test-analytics-{uuid.uuid4().hex[:8]}"
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    try:
        yield RABBITMQ_URL, queue
    finally:
        channel.queue_delete(queue)
        connection.close()


def _publish(queue: str, events: list[dict]) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    channel = connection.channel()
    channel.confirm_delivery()
    for event in events:
        channel.basic_publish(
            "", queue, json.dumps(event).encode(), pika.BasicProperties(delivery_mode=2), mandatory=True
        )
    connection.close()


def _ready(queue: str) -> int:
    """Messages waiting in the queue (not counting ones delivered and not yet acknowledged)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def test_events_through_a_real_rabbitmq(tmp_path: Path, monkeypatch, rabbitmq, expected) -> None:
    url, queue = rabbitmq
    clinic_db, events_db = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'events.db'}"
    upgrade(clinic_db)
    settings = _settings(monkeypatch, clinic_db, events_db, url, queue)
    events = all_events()
    half = len(events) // 2 + 7
    # some events waited in the events table while RabbitMQ was away (a Rasa server's spool)
    _write_table(events_db, events[half : half + 40])
    _publish(queue, events[:half])

    running = Running(settings)
    wait_until(lambda: _ready(queue) == 0 and _table_count(events_db) == 0)
    running.close()
    _publish(queue, events[half:])  # while the consumer is stopped: they wait in the queue
    assert _ready(queue) == len(events) - half

    running = Running(settings)
    wait_until(lambda: _ready(queue) == 0 and _rows(clinic_db) == expected)
    _publish(queue, events[:50])  # a replay
    wait_until(lambda: _ready(queue) == 0)
    time.sleep(1.5)
    running.close()
    assert _rows(clinic_db) == expected


def test_rabbitmq_messages_are_acknowledged_only_after_the_commit(
    tmp_path: Path, monkeypatch, rabbitmq
) -> None:
    url, queue = rabbitmq
    clinic_db, events_db = f"sqlite:///{tmp_path / 'clinic.db'}", f"sqlite:///{tmp_path / 'events.db'}"
    settings = _settings(monkeypatch, clinic_db, events_db, url, queue)
    events = all_events()[:120]
    _publish(queue, events)
    running = Running(settings)  # the clinic database has no analytics tables: commits fail
    wait_until(lambda: _ready(queue) == 0)  # delivered to the consumer, not acknowledged
    time.sleep(1.0)
    running.close()
    wait_until(lambda: _ready(queue) == len(events), timeout=10)  # back in the queue, all of them
    upgrade(clinic_db)
    running = Running(settings)
    wait_until(lambda: _ready(queue) == 0 and _count(clinic_db) > 0)
    running.close()
    assert _ready(queue) == 0


def test_the_events_table_is_read_on_either_backend(
    empty_db_url: str, tmp_path: Path, monkeypatch, expected
) -> None:
    """ANALYTICS_EVENTS_DB on SQLite (make run) or PostgreSQL (make run-scaled)."""
    clinic_db = f"sqlite:///{tmp_path / 'clinic.db'}"
    upgrade(clinic_db)
    settings = _settings(monkeypatch, clinic_db, empty_db_url)
    _write_table(empty_db_url, all_events())
    source = SqlSource(empty_db_url)
    consumer = Consumer(settings)
    while source.drain_once(consumer):
        pass
    source.close()
    assert _table_count(empty_db_url) == 0
    assert _rows(clinic_db) == expected

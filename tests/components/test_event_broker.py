"""The event broker for the clinic's analytics (components/event_broker.py), on real SQLite,
PostgreSQL and RabbitMQ: publishing never waits, nothing personal leaves the Rasa server, an
outage loses nothing, and the tracker store hands over exactly what it saved."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.analytics.events import REDACTED, sender_key
from components import event_broker
from components.event_broker import EVENTS, ConfiguredEventBroker
from components.tracker_store import ERASE_SLOT, ErasableSQLTrackerStore
from tests.services import unavailable

KEY = "component-test-key"
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
PERSONAL = ("Sam Taylor", "0412 345 678", "right knee")
DOMAIN = Domain.from_yaml(
    f"""
version: "3.1"
intents: [inform]
slots:
  {ERASE_SLOT}:
    type: any
    mappings: [{{type: custom}}]
  booking_name:
    type: any
    mappings: [{{type: custom}}]
  requested_slot:
    type: any
    mappings: [{{type: custom}}]
"""
)


def turn(n: int) -> list:
    """One message's events, with words and details that must not leave the Rasa server."""
    return [
        UserUttered(
            f"I'm Sam Taylor, 0412 345 678, my right knee ({n})",
            {"name": "inform", "confidence": 0.9},
            input_channel="rest",
        ),
        ActionExecuted("triage_form"),
        ActiveLoop("triage_form"),
        SlotSet("booking_name", "Sam Taylor"),
        SlotSet("requested_slot", "onset"),
        BotUttered("Thanks Sam Taylor"),
        ActionExecuted("action_listen"),
    ]


def bodies(sender: str, turns: int) -> list[dict]:
    """What Rasa's tracker store hands a broker: each event's dict with its sender_id."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for n in range(turns):
        events += turn(n)
    return [{"sender_id": sender, **event.as_dict()} for event in events]


def kept(events: list[dict]) -> int:
    return sum(1 for e in events if e["event"] != "bot")


def table_rows(url: str) -> list[dict]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [
                json.loads(data)
                for (data,) in connection.execute(sa.select(EVENTS.c.data).order_by(EVENTS.c.id))
            ]
    except sa.exc.OperationalError:
        return []
    finally:
        engine.dispose()


def assert_nothing_personal(events: list[dict], sender: str) -> None:
    dumped = json.dumps(events)
    for secret in (*PERSONAL, sender):
        assert secret not in dumped


# --- the SQL event broker's table (embedded default) -----------------------------------------------


def test_publishing_only_queues_and_the_events_arrive_reduced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    sent = bodies("telegram-123456", 20)

    async def scenario() -> float:
        broker = ConfiguredEventBroker(url, KEY)
        broker.start()
        started = time.perf_counter()
        for body in sent:
            broker.publish(body)
        spent = time.perf_counter() - started
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(table_rows(url)) == kept(sent):
                break
        await broker.close()
        return spent

    spent = asyncio.run(scenario())
    rows = table_rows(url)
    assert len(rows) == kept(sent)
    assert spent / len(sent) < 0.0005  # well under a millisecond per event, on the event loop
    assert {r["sender_key"] for r in rows} == {sender_key("telegram-123456", KEY)}
    assert [r["event"] for r in rows[:3]] == ["action", "session_started", "action"]
    slots = [r for r in rows if r["event"] == "slot"]
    assert {(r["name"], r["value"]) for r in slots} == {
        ("booking_name", REDACTED),
        ("requested_slot", "onset"),
    }
    assert_nothing_personal(rows, "telegram-123456")


def test_rasas_own_sql_broker_costs_the_message_far_more(tmp_path: Path) -> None:
    """What the conversation waits for per event: Rasa's SQLEventBroker commits each one."""
    sent = bodies("s", 10)
    stock = SQLEventBroker(db=str(tmp_path / "stock.db"))
    started = time.perf_counter()
    for body in sent:
        stock.publish(body)
    stock_s = time.perf_counter() - started

    async def ours() -> float:
        broker = ConfiguredEventBroker(f"sqlite:///{tmp_path / 'ours.db'}", KEY)
        broker.start()
        started = time.perf_counter()
        for body in sent:
            broker.publish(body)
        spent = time.perf_counter() - started
        await broker.close()
        return spent

    ours_s = asyncio.run(ours())
    print(
        f"per event on the message's path: Rasa's SQLEventBroker {stock_s / len(sent) * 1e3:.2f} ms, ours {ours_s / len(sent) * 1e3:.4f} ms"
    )
    assert ours_s * 20 < stock_s


@pytest.fixture
def postgres_events_db():
    """A new PostgreSQL database for the events table, as make run-scaled uses (psycopg 3 URL,
    as the app environment writes it: the Rasa environment reaches it with psycopg2)."""
    import psycopg2

    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parsed = sa.engine.make_url(url)
    name = f"events_unit_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            dbname=parsed.database,
            connect_timeout=3,
        )
    except psycopg2.OperationalError as exc:
        unavailable("postgres", f"PostgreSQL not reachable at {parsed.host}:{parsed.port}: {exc}")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_events_table_on_postgresql(postgres_events_db: str) -> None:
    sent = bodies("telegram-99", 5)

    async def scenario() -> None:
        broker = ConfiguredEventBroker(postgres_events_db, KEY)
        broker.start()
        for body in sent:
            broker.publish(body)
        await broker.close()

    asyncio.run(scenario())
    rows = table_rows(sa.engine.make_url(postgres_events_db).set(drivername="postgresql+psycopg2"))
    assert len(rows) == kept(sent)
    assert_nothing_personal(rows, "telegram-99")


def test_close_writes_everything_still_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    sent = bodies("s", 30)

    async def scenario() -> None:
        broker = ConfiguredEventBroker(url, KEY)
        broker.start()
        for body in sent:
            broker.publish(body)
        await broker.close()  # at once, as Rasa does when it stops

    asyncio.run(scenario())
    assert len(table_rows(url)) == kept(sent)


def test_an_unreachable_events_database_neither_blocks_nor_loses_events(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(event_broker, "RETRY_S", 0.2)
    good = f"sqlite:///{tmp_path / 'events.db'}"
    sent = bodies("s", 10)

    async def scenario() -> tuple[float, int]:
        broker = ConfiguredEventBroker("postgresql://postgres@127.0.0.1:1/nowhere", KEY)  # nothing listens
        broker.start()
        started = time.perf_counter()
        for body in sent:
            broker.publish(body)
        spent = time.perf_counter() - started
        await asyncio.sleep(1.0)
        waiting = len(broker._pending)
        broker.table = event_broker.EventsTable(good)  # the database is back
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not broker._pending:
                break
        await broker.close()
        return spent, waiting

    spent, waiting = asyncio.run(scenario())
    assert spent < 0.05 and waiting == len(sent)
    assert len(table_rows(good)) == kept(sent)


def test_the_broker_follows_analytics_broker_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ANALYTICS_EVENTS_DB", f"sqlite:///{tmp_path / 'events.db'}")
    for value, expected in (
        ("off", None),
        ("", ConfiguredEventBroker),
        ("amqp://guest:guest@127.0.0.1:1/%2f", ConfiguredEventBroker),
    ):
        monkeypatch.setenv("ANALYTICS_BROKER_URL", value)
        from bot.settings import get_settings

        get_settings.cache_clear()

        async def create(value: str = value):
            started = time.perf_counter()
            broker = await ConfiguredEventBroker.from_endpoint_config(None)
            spent = time.perf_counter() - started
            if broker is not None:
                assert broker.amqp_url == (value or None)
                await broker.close()
            return broker, spent

        broker, spent = asyncio.run(create())
        assert (broker is None) if expected is None else isinstance(broker, expected)
        assert spent < 1.0  # never waits for RabbitMQ at start
    monkeypatch.setenv("ANALYTICS_BROKER_URL", "kafka://somewhere")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="ANALYTICS_BROKER_URL"):
        asyncio.run(ConfiguredEventBroker.from_endpoint_config(None))


# --- the tracker store hands over what it saved ------------------------------------------------------


def test_the_tracker_store_publishes_each_saved_event_once_and_the_erasure_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    sender = "telegram-555"

    async def scenario() -> list[dict]:
        broker = ConfiguredEventBroker(url, KEY)
        broker.start()
        store = ErasableSQLTrackerStore(
            domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"), event_broker=broker
        )
        tracker = DialogueStateTracker.from_events(
            sender, [ActionExecuted("action_listen"), *turn(0)], slots=DOMAIN.slots
        )
        await store.save(tracker)
        tracker = await store.retrieve(sender)
        for event in turn(1):
            tracker.update(event)
        await store.save(tracker)
        tracker = await store.retrieve(sender)
        for event in [
            UserUttered("delete my data", {"name": "inform"}),
            ActionExecuted("action_delete_my_data"),
            SlotSet(ERASE_SLOT, True),
        ]:
            tracker.update(event)
        await store.save(tracker)
        assert await store.retrieve(sender) is None  # the transcript is gone
        await broker.close()
        return table_rows(url)

    rows = asyncio.run(scenario())
    names = [(r["event"], r.get("name") or r.get("intent")) for r in rows]
    assert names.count(("user", "inform")) == 3  # each message once
    assert names[-2:] == [("action", "action_delete_my_data"), ("slot", ERASE_SLOT)]
    assert rows[-1]["value"] is True
    assert len({r["id"] for r in rows}) == len(rows)
    assert_nothing_personal(rows, sender)


# --- RabbitMQ --------------------------------------------------------------------------------------


@pytest.fixture
def rabbitmq_queue():
    import aio_pika

    queue = f"test-broker-{uuid.uuid4().hex[:8]}"

    async def check() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
        await connection.close()

    try:
        asyncio.run(check())
    except Exception as exc:  # noqa: BLE001 - unreachable is the only reason to skip
        unavailable(
            "rabbitmq", f"RabbitMQ not reachable at {RABBITMQ_URL.split('@')[-1]}: {type(exc).__name__}"
        )
    yield queue

    async def delete() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await connection.close()

    asyncio.run(delete())


async def _drain_queue(queue: str, expected: int, timeout: float = 20) -> list[dict]:
    import aio_pika

    connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
    channel = await connection.channel()
    declared = await channel.declare_queue(queue, durable=True)
    received: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(received) < expected and time.monotonic() < deadline:
        message = await declared.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        received.append(json.loads(message.body))
    await connection.close()
    return received


def test_events_are_published_to_rabbitmq_with_confirms(tmp_path: Path, rabbitmq_queue: str) -> None:
    sent = bodies("telegram-77", 15)

    async def scenario() -> list[dict]:
        broker = ConfiguredEventBroker(
            f"sqlite:///{tmp_path / 'spool.db'}", KEY, RABBITMQ_URL, rabbitmq_queue
        )
        broker.start()
        for body in sent:
            broker.publish(body)
        received = await _drain_queue(rabbitmq_queue, kept(sent))
        assert broker.published == kept(sent) and broker.spooled == 0
        await broker.close()
        return received

    received = asyncio.run(scenario())
    assert len(received) == kept(sent)
    assert [r["event"] for r in received[:2]] == ["action", "session_started"]
    assert_nothing_personal(received, "telegram-77")
    assert table_rows(f"sqlite:///{tmp_path / 'spool.db'}") == []


def test_while_rabbitmq_is_away_events_wait_in_the_table_and_follow_in_order(
    tmp_path: Path, rabbitmq_queue: str, monkeypatch
) -> None:
    monkeypatch.setattr(event_broker, "RETRY_S", 0.3)
    spool = f"sqlite:///{tmp_path / 'spool.db'}"
    first, second = bodies("a", 10), bodies("b", 5)

    async def scenario() -> list[dict]:
        broker = ConfiguredEventBroker(
            spool, KEY, "amqp://guest:guest@127.0.0.1:1/%2f", rabbitmq_queue
        )  # away
        broker.start()
        started = time.perf_counter()
        for body in first:
            broker.publish(body)
        assert time.perf_counter() - started < 0.05
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(table_rows(spool)) == kept(first):
                break
        assert len(table_rows(spool)) == kept(first) and broker.spooled == kept(first)
        broker.amqp_url = RABBITMQ_URL  # RabbitMQ is back
        for body in second:
            broker.publish(body)
        received = await _drain_queue(rabbitmq_queue, kept(first) + kept(second))
        await broker.close()
        return received

    received = asyncio.run(scenario())
    assert len(received) == kept(first) + kept(second)
    keys = [r["sender_key"] for r in received]
    assert keys == [sender_key("a", KEY)] * kept(first) + [sender_key("b", KEY)] * kept(
        second
    )  # oldest first
    a = [r["timestamp"] for r in received[: kept(first)]]
    assert a == sorted(a)
    assert table_rows(spool) == []

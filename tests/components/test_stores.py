"""endpoints.yml's stores follow TRACKER_STORE and LOCK_STORE, on the real SQLite/PostgreSQL/Redis."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from urllib.parse import urlparse

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import get_settings
from components.stores import ConfiguredLockStore, ConfiguredTrackerStore
from tests.services import unavailable

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def roundtrip(store: ConfiguredTrackerStore) -> None:
    sender = f"person-{uuid.uuid4().hex[:6]}"
    events = [ActionExecuted("action_listen"), UserUttered("my knee hurts")]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    kept = asyncio.run(store.retrieve(sender))
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["my knee hurts"]


def test_sqlite_is_the_default_tracker_store(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("TRACKER_STORE", raising=False)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    store = ConfiguredTrackerStore()
    assert store.engine.dialect.name == "sqlite"
    roundtrip(store)
    assert (tmp_path / "tracker.db").exists()


def test_postgresql_tracker_store_creates_its_database(monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg2

    url = urlparse(POSTGRES_URL.replace("+psycopg", ""))
    name = f"tracker_stores_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(
            host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
            dbname=url.path.strip("/") or "postgres", connect_timeout=3,
        )  # fmt: skip
    except psycopg2.OperationalError as exc:
        unavailable("postgres", f"PostgreSQL not reachable at {url.hostname}: {exc}")
    admin.autocommit = True
    for key, value in {
        "TRACKER_STORE": "postgresql",
        "TRACKER_DB_HOST": url.hostname or "127.0.0.1",
        "TRACKER_DB_PORT": str(url.port or 5432),
        "TRACKER_DB_NAME": name,
        "TRACKER_DB_USER": url.username or "postgres",
        "TRACKER_DB_PASSWORD": url.password or "",
        "TRACKER_DB_LOGIN_DB": url.path.strip("/") or "postgres",
    }.items():
        monkeypatch.setenv(key, value)
    store = None
    try:
        store = ConfiguredTrackerStore()
        assert store.engine.dialect.name == "postgresql" and store.engine.url.database == name
        assert store.engine.pool._pre_ping  # a dead pooled connection is replaced, not used
        roundtrip(store)
    finally:
        if store is not None:
            store.engine.dispose()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_misspelt_store_stops_rasa_instead_of_falling_back_to_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKER_STORE", "postgres")
    with pytest.raises(ValueError, match="TRACKER_STORE"):
        ConfiguredTrackerStore()
    monkeypatch.setenv("LOCK_STORE", "memory")
    get_settings.cache_clear()  # settings are read once per process
    with pytest.raises(ValueError, match="LOCK_STORE"):
        ConfiguredLockStore()


def test_in_memory_lock_store_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCK_STORE", raising=False)
    assert isinstance(ConfiguredLockStore(), InMemoryLockStore)


def test_redis_lock_store_serialises_one_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    url = urlparse(REDIS_URL)
    try:
        redis.Redis(host=url.hostname, port=url.port or 6379, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable("redis", f"Redis not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setenv("LOCK_STORE", "redis")
    monkeypatch.setenv("REDIS_HOST", url.hostname or "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(url.port or 6379))
    monkeypatch.setenv("REDIS_DB", url.path.strip("/") or "15")
    store = ConfiguredLockStore()
    assert isinstance(store, RedisLockStore)
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    first = store.issue_ticket(conversation, 10)
    second = store.issue_ticket(conversation, 10)
    lock = store.get_lock(conversation)
    assert lock.now_serving == first and lock.is_locked(second)  # the second waits for the first
    store.finish_serving(conversation, first)
    assert store.get_lock(conversation).now_serving == second
    store.finish_serving(conversation, second)


def test_the_production_endpoints_fix_postgresql_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTION_HOST", "127.0.0.1")
    monkeypatch.setenv("ACTION_PORT", "5055")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "s3cret")
    tracker = read_endpoint_config("endpoints.production.yml", "tracker_store")
    lock = read_endpoint_config("endpoints.production.yml", "lock_store")
    assert (
        tracker.type == "components.stores.ConfiguredTrackerStore"
        and tracker.kwargs["backend"] == "postgresql"
    )
    monkeypatch.setenv("LOCK_STORE", "in_memory")  # the file wins over the variable
    assert isinstance(ConfiguredLockStore(endpoint_config=lock), RedisLockStore)


def redis_lock_store(monkeypatch: pytest.MonkeyPatch):
    import redis

    url = urlparse(REDIS_URL)
    try:
        redis.Redis(host=url.hostname, port=url.port or 6379, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable("redis", f"Redis not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setenv("LOCK_STORE", "redis")
    monkeypatch.setenv("REDIS_HOST", url.hostname or "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(url.port or 6379))
    monkeypatch.setenv("REDIS_DB", url.path.strip("/") or "15")
    get_settings.cache_clear()
    return ConfiguredLockStore


def test_tickets_taken_at_the_same_moment_by_many_servers_are_all_different(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make = redis_lock_store(monkeypatch)
    stores = [make() for _ in range(8)]  # one per "server", each its own connection
    conversation = f"race-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(len(stores))
    tickets: list[int] = []

    def take(store) -> None:
        barrier.wait()
        for _ in range(5):
            tickets.append(store.issue_ticket(conversation, 30))

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(tickets) == list(range(40))  # Rasa's own RedisLockStore hands out duplicates here
    assert len(stores[0].get_lock(conversation).tickets) == 40
    stores[0].delete_lock(conversation)


def test_messages_of_one_conversation_on_several_servers_never_overlap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make = redis_lock_store(monkeypatch)
    conversation = f"overlap-{uuid.uuid4().hex[:8]}"
    inside: list[int] = []
    overlaps: list[int] = []
    order: list[int] = []

    async def message(store, number: int) -> None:
        async with store.lock(conversation, 30):
            inside.append(number)
            if len(inside) > 1:
                overlaps.append(number)
            await asyncio.sleep(0.01)  # the work of one message
            order.append(number)
            inside.remove(number)

    def server(number: int) -> None:
        store = make()

        async def messages() -> None:
            await asyncio.gather(*(message(store, number * 10 + i) for i in range(3)))

        asyncio.run(messages())

    threads = [threading.Thread(target=server, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not overlaps and len(order) == 12
    assert make().get_lock(conversation) is None  # the last one out tidied up


def test_an_unreachable_tracker_store_stops_the_message_instead_of_starting_over(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    from components.stores import TrackerStoreUnavailable

    monkeypatch.setenv("TRACKER_STORE", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    store = ConfiguredTrackerStore()
    wrapped = FailSafeTrackerStore(AwaitableTrackerStore(store))  # as Rasa's agent wraps it

    async def unreachable(*_args, **_kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(store, "retrieve", unreachable)
    monkeypatch.setattr(store, "save", unreachable)
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(wrapped.retrieve("person"))  # Rasa's own would return None: a new conversation
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(wrapped.save(DialogueStateTracker.from_events("person", [])))

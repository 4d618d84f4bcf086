"""The tracker store erases a conversation's transcript when the person asks, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.tracker_store import ERASE_SLOT, ErasableSQLTrackerStore, erase_requested
from tests.services import unavailable

DOMAIN = Domain.from_yaml(
    f"""
version: "3.1"
slots:
  {ERASE_SLOT}:
    type: any
    mappings: [{{type: custom}}]
"""
)


def conversation(sender: str, *extra) -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("my phone is 0412 345 678"),
        BotUttered("Thanks"),
        ActionExecuted("action_listen"),
        UserUttered("delete my data"),
        *extra,
    ]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


def test_erasure_is_requested_only_by_the_slot_set_after_the_last_message() -> None:
    assert not erase_requested(conversation("a"))
    assert erase_requested(conversation("a", SlotSet(ERASE_SLOT, True)))
    later = conversation("a", SlotSet(ERASE_SLOT, True), ActionExecuted("action_listen"), UserUttered("hi"))
    assert not erase_requested(later)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path):
    if request.param == "sqlite":
        yield ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
        return
    import psycopg2

    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    host = url.split("@", 1)[1].split("/", 1)[0]
    hostname, _, port = host.partition(":")
    name = f"tracker_unit_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(
            host=hostname, port=port or 5432, user="postgres", dbname="test", connect_timeout=3
        )
    except psycopg2.OperationalError as exc:
        unavailable("postgres", f"PostgreSQL not reachable at {hostname}:{port}: {exc}")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    tracker_store = ErasableSQLTrackerStore(
        domain=DOMAIN,
        dialect="postgresql",
        host=hostname,
        port=int(port or 5432),
        db=name,
        username="postgres",
    )
    try:
        yield tracker_store
    finally:
        tracker_store.engine.dispose()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_conversation_is_kept_then_erased_on_request(store: ErasableSQLTrackerStore) -> None:
    asyncio.run(store.save(conversation("person-1")))
    asyncio.run(store.save(conversation("person-2")))
    kept = asyncio.run(store.retrieve("person-1"))
    assert any(getattr(e, "text", None) == "my phone is 0412 345 678" for e in kept.events)

    asyncio.run(store.save(conversation("person-1", SlotSet(ERASE_SLOT, True))))
    assert asyncio.run(store.retrieve("person-1")) is None
    assert asyncio.run(store.retrieve("person-2")) is not None  # nobody else's


def test_reads_and_writes_exactly_what_rasas_store_does(store: ErasableSQLTrackerStore) -> None:
    """The lean queries against Rasa's own: the same events of the latest session, in order, the
    whole history when asked, and each save adding only the new events."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    rasas = SQLTrackerStore.__new__(SQLTrackerStore)
    rasas.__dict__.update(store.__dict__)  # the same engine and table, Rasa's methods
    tracker = conversation("person-3")
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("back again"))
    asyncio.run(store.save(tracker))  # adds only the events after the first save
    tracker = asyncio.run(store.retrieve("person-3"))  # as Rasa does for each message
    tracker.update(BotUttered("Welcome back"))
    asyncio.run(store.save(tracker))

    ours, theirs = asyncio.run(store.retrieve("person-3")), asyncio.run(rasas.retrieve("person-3"))
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
    assert [type(e).__name__ for e in ours.events][0] == "SessionStarted"  # the latest session only
    assert ours.latest_message.text == "back again" and ours.events[-1].text == "Welcome back"
    whole = asyncio.run(store.retrieve_full_tracker("person-3"))
    assert len(whole.events) == 5 + 5 == len(asyncio.run(rasas.retrieve_full_tracker("person-3")).events)
    with store.session_scope() as session:
        assert list(store._additional_events(session, tracker)) == []  # all stored, none twice
    assert asyncio.run(store.retrieve("nobody")) is None


def _rasas_store(store: ErasableSQLTrackerStore):
    from rasa.core.tracker_store import SQLTrackerStore

    rasas = SQLTrackerStore.__new__(SQLTrackerStore)
    rasas.__dict__.update(store.__dict__)  # the same engine and table, Rasa's methods
    return rasas


def _same(ours: DialogueStateTracker, theirs: DialogueStateTracker) -> None:
    from rasa.shared.core.trackers import EventVerbosity

    assert ours.current_state(EventVerbosity.ALL) == theirs.current_state(EventVerbosity.ALL)
    assert ours.past_states(DOMAIN) == theirs.past_states(DOMAIN)


def _one_message(store: ErasableSQLTrackerStore, sender: str, text: str) -> DialogueStateTracker:
    """What Rasa does for a message: read the conversation, add to it, save it."""
    tracker = asyncio.run(store.get_or_create_tracker(sender))
    tracker.update(UserUttered(text))
    tracker.update(BotUttered(f"you said {text}"))
    tracker.update(SlotSet(ERASE_SLOT, None))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    return tracker


def test_the_next_message_starts_from_the_kept_tracker_equal_to_the_stored_one(
    store: ErasableSQLTrackerStore,
) -> None:
    for text in ("first", "second", "third"):
        _one_message(store, "person-4", text)
    hits, misses = store.cache.hits, store.cache.misses
    kept = asyncio.run(store.retrieve("person-4"))
    assert (store.cache.hits, store.cache.misses) == (hits + 1, misses)  # no rebuild from the rows
    _same(kept, asyncio.run(_rasas_store(store).retrieve("person-4")))

    kept.update(UserUttered("not saved"))  # a copy: changing it changes nothing kept
    _same(asyncio.run(store.retrieve("person-4")), asyncio.run(_rasas_store(store).retrieve("person-4")))


def test_what_another_server_wrote_is_read_from_the_database(
    store: ErasableSQLTrackerStore, tmp_path
) -> None:
    other = ErasableSQLTrackerStore.__new__(ErasableSQLTrackerStore)
    other.__dict__.update(store.__dict__)  # a second Rasa server on the same database
    from components.tracker_cache import TrackerCache

    other.cache = TrackerCache()
    _one_message(store, "person-5", "on server one")
    _one_message(other, "person-5", "on server two")
    tracker = _one_message(store, "person-5", "server one again")
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == ["on server one", "on server two", "server one again"]
    _same(asyncio.run(store.retrieve("person-5")), asyncio.run(_rasas_store(store).retrieve("person-5")))


def test_rows_deleted_outside_rasa_are_not_served_from_memory(store: ErasableSQLTrackerStore) -> None:
    _one_message(store, "person-6", "my phone is 0412 345 678")
    with store.session_scope() as session:  # as `make retention` does
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "person-6").delete()
        session.commit()
    assert asyncio.run(store.retrieve("person-6")) is None
    tracker = _one_message(store, "person-6", "hello")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hello"]


def test_a_new_session_and_a_new_model_are_read_from_the_database(store: ErasableSQLTrackerStore) -> None:
    from rasa.shared.core.events import SessionStarted

    _one_message(store, "person-7", "old session")
    tracker = asyncio.run(store.retrieve("person-7"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    new_session = asyncio.run(store.retrieve("person-7"))
    assert type(new_session.events[0]).__name__ == "SessionStarted"
    _same(new_session, asyncio.run(_rasas_store(store).retrieve("person-7")))

    _one_message(store, "person-7", "new session")
    store.domain = Domain.from_dict(DOMAIN.as_dict())  # a new model was loaded
    misses = store.cache.misses
    asyncio.run(store.retrieve("person-7"))
    assert store.cache.misses == misses + 1

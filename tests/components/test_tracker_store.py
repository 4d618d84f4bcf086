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

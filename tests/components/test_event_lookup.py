"""Event classes found by name once: the same classes and the same errors as Rasa's lookup."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

import components  # noqa: F401 - importing the package installs the lookup
from components.event_lookup import _rasa_resolve_by_type, resolve_by_type


def test_rasa_uses_the_kept_lookup() -> None:
    assert Event.resolve_by_type is resolve_by_type


def test_every_event_type_resolves_to_rasas_class() -> None:
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "active_loop", "session_started"} <= names
    for name in names:
        assert resolve_by_type(name) is _rasa_resolve_by_type(name)
        assert resolve_by_type(name) is _rasa_resolve_by_type(name)  # again, from the kept answer


def test_unknown_names_behave_as_in_rasa() -> None:
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_by_type("no_such_event")
    assert resolve_by_type("topic") is None
    assert resolve_by_type("no_such_event", default=SlotSet) is SlotSet


def test_stored_events_read_back_unchanged() -> None:
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}), SlotSet("a", 1)]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events

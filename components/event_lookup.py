"""Rasa finds an event's class by its type name once per name, not once per event.

Rasa 3.6 rebuilds the list of every `Event` subclass (recursive class introspection) for each
event it reads back (`Event.resolve_by_type`): the tracker store turns every stored event of the
conversation into an object on every message, so under load this was about 8 % of the Rasa
server's CPU, growing with the conversation. The classes do not change while Rasa runs, so the
answer for each name is kept after the first search; a name no class has goes to Rasa's own
lookup (its "topic" case, its default, its error) unchanged.

The replacement goes through components/patch_guard.py: on another Rasa, or a changed
`Event.resolve_by_type`, Rasa's own lookup stays (logged).
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from components import patch_guard
from components.patch_guard import Replace, Target

_rasa_resolve_by_type = Event.resolve_by_type
_classes: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: Any = None) -> Any:
    found = _classes.get(type_name)
    if found is not None:
        return found
    for cls in all_subclasses(Event):  # Rasa's order: the first class with the name wins
        if cls.type_name == type_name:
            _classes[type_name] = cls
            return cls
    return _rasa_resolve_by_type(type_name, default)


# What the patch replaces, as in Rasa 3.6.21 (components/patch_guard.py).
RESOLVE_BY_TYPE = Target(Event, "resolve_by_type", ("type_name", "default"), source_digest="b5cf570fa7f286c7")


def apply() -> bool:
    """Idempotent; True if installed, False if the guard refused (logged: Rasa's own lookup)."""
    return patch_guard.apply("event_lookup", Replace(RESOLVE_BY_TYPE, resolve_by_type))


apply()

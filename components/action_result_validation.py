"""Check each action-server response against Rasa's schema with a validator built once.

Rasa 3.6 checks every response of the action server with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). That call checks the schema itself against the
JSON-Schema meta-schema and builds a new validator every time: about 20-35 ms of CPU per action
call for Rasa's large events schema, against about 1-2 ms with a validator built once. This
assistant makes several action calls per message (slot-mapping validation after every message,
form validation, custom ask actions), so under load that was most of the Rasa server's CPU.

Importing this module (components/__init__.py does, so any Rasa process that loads a component,
a channel or the tracker store gets it) replaces that method with one that uses a validator built
once from the same schema. The outcome is unchanged: a valid response passes, an invalid one
raises the same `jsonschema.ValidationError` (jsonschema's best match, as `validate` raises),
with Rasa's explanatory suffix.

The events schema says an event is exactly one of 23 kinds (`oneOf`), so jsonschema checks every
event against all 23. Each kind has its own `event` name, so only the one named can match: a
valid response is recognised by checking each event against its own kind only (several times
faster). Anything that fails that check goes through the whole schema, for the same error.

The replacement goes through components/patch_guard.py: on another Rasa, or a changed
`_validate_action_result`, Rasa's own validation stays (logged).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from components import patch_guard
from components.patch_guard import Replace, Target

_RASA_SUFFIX = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    "For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


@lru_cache(maxsize=1)
def action_result_validator() -> Any:
    """The validator for Rasa's action-response schema; the schema is checked once, here."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _validators_by_event() -> tuple[Any, dict[str, Any]] | None:
    """A validator of the response without its events, and one per kind of event (the shared
    event properties and that kind's branch); None if the kinds cannot be told apart by name."""
    schema = RemoteAction.action_response_format_spec()
    items = schema["properties"]["events"]["items"]
    branches = items.get("oneOf", [])
    names = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
    if (
        not branches
        or None in names
        or len(set(names)) != len(names)
        or "event" not in items.get("required", [])
    ):
        return None
    cls = validators.validator_for(schema)
    outer = copy.deepcopy(schema)
    outer["properties"]["events"]["items"] = {}
    shared = {key: value for key, value in items.items() if key != "oneOf"}
    return cls(outer), {
        name: cls({**shared, "allOf": [branch]}) for name, branch in zip(names, branches, strict=True)
    }


def is_valid_action_result(result: Any) -> bool:
    """The same answer as the whole schema's validator, checking each event against its kind."""
    fast = _validators_by_event()
    if fast is None:
        return action_result_validator().is_valid(result)
    outer, by_event = fast
    if not outer.is_valid(result):
        return False
    events = result.get("events") if isinstance(result, dict) else None
    for event in events if isinstance(events, list) else ():
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_event.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    if is_valid_action_result(result):
        return True
    error = best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += _RASA_SUFFIX
        raise error
    return True


# What the patch replaces and reads, as in Rasa 3.6.21 (components/patch_guard.py).
VALIDATE_ACTION_RESULT = Target(
    RemoteAction, "_validate_action_result", ("self", "result"), source_digest="f8cdb4be68123961"
)
RESPONSE_FORMAT_SPEC = Target(RemoteAction, "action_response_format_spec", ())


def apply() -> bool:
    """Idempotent: RemoteAction uses the validator built once from now on (True), unless the
    guard refuses (False, logged: Rasa's own validation)."""
    return patch_guard.apply(
        "action_result_validation",
        Replace(VALIDATE_ACTION_RESULT, validate_action_result),
        checked=(RESPONSE_FORMAT_SPEC,),
    )


apply()

__all__ = ["ValidationError", "action_result_validator", "apply", "validate_action_result"]

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
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

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


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    error = best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += _RASA_SUFFIX
        raise error
    return True


def install() -> None:
    """Idempotent: RemoteAction uses the validator built once from now on."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


install()

__all__ = ["ValidationError", "action_result_validator", "install", "validate_action_result"]

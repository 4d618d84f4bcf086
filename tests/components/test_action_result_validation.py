"""Rasa checks action-server responses with a validator built once, and still rejects bad ones."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import components  # noqa: F401 - importing the package installs the validator
from components.action_result_validation import action_result_validator, validate_action_result

VALID = {
    "events": [
        {"event": "slot", "name": "pain_location", "value": "lateral", "timestamp": None},
        {"event": "active_loop", "name": "triage_form"},
    ],
    "responses": [{"text": "Thanks.", "buttons": []}],
}


def action() -> RemoteAction:
    return RemoteAction("action_anything", None)


def test_rasa_uses_the_validator_built_once() -> None:
    assert RemoteAction._validate_action_result is validate_action_result
    assert action_result_validator() is action_result_validator()


def test_a_valid_response_passes() -> None:
    assert action()._validate_action_result(VALID) is True
    assert action()._validate_action_result({}) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"name": "pain_location", "value": 1}]},  # no event type
        {"events": {"event": "slot"}},  # not a list
        {"responses": ["just a string"]},
        ["not", "an", "object"],
    ],
)
def test_an_invalid_response_is_still_rejected_with_rasas_explanation(bad) -> None:
    with pytest.raises(ValidationError) as raised:
        action()._validate_action_result(bad)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_same_error_as_jsonschema_validate() -> None:
    from jsonschema import validate

    bad = {"events": [{"event": "slot", "name": 5}]}
    with pytest.raises(ValidationError) as expected:
        validate(bad, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        action()._validate_action_result(bad)
    assert ours.value.message.startswith(expected.value.message)
    assert list(ours.value.path) == list(expected.value.path)

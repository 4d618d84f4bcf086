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


def _every_kind_of_event() -> list[dict]:
    from datetime import datetime

    from rasa.shared.core import events as e

    made = [
        e.UserUttered(
            "my knee", {"name": "inform", "confidence": 0.9}, [{"entity": "side", "value": "left"}]
        ),
        e.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
        e.SlotSet("pain_location", ["lateral"]),
        e.EntitiesAdded([{"entity": "side", "value": "left", "start": 0, "end": 4}]),
        e.DefinePrevUserUtteredFeaturization(True),
        e.ReminderCancelled("reminder"),
        e.ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 6), name="r"),
        e.ActionExecutionRejected("triage_form"),
        e.LoopInterrupted(True),
        e.ActiveLoop("triage_form"),
        e.AllSlotsReset(),
        e.ConversationResumed(),
        e.ConversationPaused(),
        e.FollowupAction("action_listen"),
        e.StoryExported("story.yml"),
        e.Restarted(),
        e.UserUtteranceReverted(),
        e.ActionReverted(),
        e.BotUttered("Thanks", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        e.SessionStarted(),
        e.AgentUttered("hello"),
    ]
    return [event.as_dict() for event in made]


def _variants(event: dict) -> list[dict]:
    out = [event]
    for key in event:
        out.append({k: v for k, v in event.items() if k != key})
        for wrong in (None, 5, 1.5, "text", [], {}, [1], {"a": 1}):
            out.append({**event, key: wrong})
    return out


def test_checking_each_event_against_its_kind_agrees_with_the_whole_schema() -> None:
    from components.action_result_validation import is_valid_action_result

    whole = action_result_validator()
    responses = [{"events": [variant]} for event in _every_kind_of_event() for variant in _variants(event)]
    responses += [
        {"events": _every_kind_of_event(), "responses": VALID["responses"]},
        {"events": [5]},
        {"events": []},
    ]
    responses += [{"events": [{"event": name}]} for name in ("no_such_event", "", "USER", None, 3, ["user"])]
    verdicts = [(is_valid_action_result(r), whole.is_valid(r)) for r in responses]
    assert all(ours == theirs for ours, theirs in verdicts)
    assert sum(theirs for _, theirs in verdicts) > 100 and sum(not theirs for _, theirs in verdicts) > 100

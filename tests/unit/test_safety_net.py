"""The safety net action: one yes/no question for an uncertain sign, routed on the answer; signs
that add up across messages; the forms wait while the question is open."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actions import booking, safety, triage_form
from tests.unit.test_actions import run, said, slot_events, tracker

SCREEN = safety.ActionScreenRedFlags()


def test_a_weak_calf_word_gets_one_yes_no_question_with_buttons() -> None:
    messages, events = run(SCREEN, tracker("my calf feels tight and hard since the flight"))
    assert len(messages) == 1
    assert messages[0]["text"] == safety.confirm_question("calf_dvt_signs")
    assert [b["title"] for b in messages[0]["buttons"]] == ["Yes", "No"]
    assert slot_events(events)["red_flag_query"]["flag"] == "calf_dvt_signs"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("a hard knot in my calf", "calf_dvt_signs"),
        # no rule names these; the learned net reads their meaning
        ("everyone would honestly be better off if I just disappeared for good", "suicide_risk"),
        ("my lower leg on one side looks like a stuffed sausage since the flight", "calf_dvt_signs"),
        ("my foot feels like it belongs to someone else, like I am walking on cotton wool", "nerve_symptoms"),
    ],
)
def test_phrasing_no_rule_was_written_for_is_asked_about(text: str, flag: str) -> None:
    messages, events = run(SCREEN, tracker(text))
    query = slot_events(events).get("red_flag_query")
    assert query is not None and query["flag"] == flag
    assert messages[-1]["buttons"]


@pytest.mark.parametrize("reply", ["Yes", "yeah it is", "not sure"])
def test_yes_or_not_sure_routes(reply: str) -> None:
    query = {"flag": "calf_dvt_signs", "tries": 0, "screen": False}
    messages, events = run(SCREEN, tracker(reply, slots={"red_flag_query": query}))
    slots = slot_events(events)
    assert slots["red_flags_reported"] == ["calf_dvt_signs"]
    assert slots["red_flag_query"] is None
    assert "GP today" in said(messages)


def test_no_moves_on_and_a_screen_answer_becomes_none() -> None:
    query = {"flag": "nerve_symptoms", "tries": 0, "screen": True}
    messages, events = run(SCREEN, tracker("No", intent="deny", slots={"red_flag_query": query}))
    slots = slot_events(events)
    assert "red_flags_reported" not in slots
    assert slots["red_flag_query"] is None and slots["red_flag_screen"] == ["none"]
    assert "reassuring" in said(messages)


def test_an_unclear_reply_is_asked_once_more_then_counts_as_yes() -> None:
    query = {"flag": "locked_knee", "tries": 0, "screen": False}
    messages, events = run(SCREEN, tracker("what do you mean", slots={"red_flag_query": query}))
    assert slot_events(events)["red_flag_query"]["tries"] == 1
    assert safety.confirm_question("locked_knee") in said(messages)
    again = {"flag": "locked_knee", "tries": 1, "screen": False}
    messages, events = run(SCREEN, tracker("hmm", slots={"red_flag_query": again}))
    assert slot_events(events)["red_flags_reported"] == ["locked_knee"]


def test_calf_swelling_then_breathlessness_later_is_the_emergency_route() -> None:
    _, events = run(SCREEN, tracker("my calf is swollen"))
    first = slot_events(events)
    assert first["red_flags_reported"] == ["calf_dvt_signs"]
    slots = {k: first[k] for k in ("red_flags_reported", "red_flags_announced", "red_flag_signs")}
    messages, events = run(SCREEN, tracker("I'm a bit puffed out today too", slots=slots))
    assert "000" in said(messages)
    assert "calf_pain_with_breathlessness" in slot_events(events)["red_flags_reported"]


def _required(validator: Any, slots: dict[str, Any]) -> list[str]:
    t = tracker("x", slots=slots, active_loop="triage_form")
    domain_slots = ["pain_location", "onset", "red_flag_screen", "age", "red_flag_confirm"]
    return asyncio.run(validator.required_slots(domain_slots, None, t, {}))


def test_the_forms_wait_while_a_check_is_open() -> None:
    open_query = {"red_flag_query": {"flag": "locked_knee", "tries": 0}}
    # the check is asked first; the rest stay required so this message's answer is validated
    assert _required(triage_form.ValidateTriageForm(), open_query)[:2] == [
        "red_flag_confirm",
        "pain_location",
    ]
    assert _required(booking.ValidateBookingForm(), open_query)[0] == "red_flag_confirm"
    assert "red_flag_confirm" not in _required(booking.ValidateBookingForm(), {})


def test_the_ask_action_does_not_repeat_a_question_just_asked() -> None:
    question = safety.confirm_question("locked_knee")
    t = tracker("x", slots={"red_flag_query": {"flag": "locked_knee"}})
    t.events.append({"event": "bot", "text": question})
    messages, _ = run(safety.ActionAskRedFlagConfirm(), t)
    assert messages == []
    messages, _ = run(
        safety.ActionAskRedFlagConfirm(), tracker("why?", slots={"red_flag_query": {"flag": "locked_knee"}})
    )
    assert messages[0]["text"] == question


def _after_buttons(text: str, titles: list[str]) -> Any:
    t = tracker(text)
    t.events = [
        {"event": "user", "text": "earlier"},
        {
            "event": "bot",
            "text": "Any of these as well?",
            "data": {"buttons": [{"title": x, "payload": x} for x in titles]},
        },
        {"event": "user", "text": text},
        {"event": "slot", "name": "requested_slot", "value": "other_symptoms"},
    ]
    return t


def test_a_tapped_button_means_what_it_says_not_a_possible_red_flag() -> None:
    # issue 17: "Catching, locking or giving way" (the §4 pointer) was asked about as a locked knee
    messages, events = run(
        SCREEN,
        _after_buttons(
            "Catching, locking or giving way", ["Catching, locking or giving way", "None of these"]
        ),
    )
    assert not messages and "red_flag_query" not in slot_events(events)
    # typed by itself, with no such button on screen, the words are still read
    messages, _ = run(SCREEN, tracker("my knee keeps locking"))
    assert messages and "stuck" in messages[0]["text"]


def test_the_safety_checks_own_buttons_still_name_their_flags() -> None:
    title = "Numbness, pins and needles or foot drop"
    _, events = run(SCREEN, _after_buttons(title, [title, "None of these"]))
    assert slot_events(events)["red_flags_reported"] == ["nerve_symptoms"]

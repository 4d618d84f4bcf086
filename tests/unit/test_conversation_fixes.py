"""Issue 7's misread answers, each as a regression test at the action level: answers in context
before FAQ readings, no loops, direct answers, opener facts kept, Ottawa without gaps, advice
only where it fits, booking fields validated."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import answers, ask, booking, triage_form
from actions.questions import TRIAGE_QUESTIONS
from actions.slots import answers_from_slots
from bot.triage.engine import ottawa_positive
from tests.unit.test_actions import required, run, said, slot_events, tracker, validate


def in_form(text: str, intent: str, slots: dict[str, Any]) -> Any:
    return tracker(text, intent, slots, active_loop="triage_form")


def test_itb_at_the_location_question_is_the_answer_not_the_faq() -> None:
    t = in_form("ITB", "ask_what_is_itbs", {"requested_slot": "pain_location"})
    messages, events = run(answers.ActionAnswerQuestion(), t)
    assert messages == []
    assert slot_events(events)["pain_location"] == "lateral"


def test_a_real_question_at_the_location_question_is_still_answered() -> None:
    t = in_form("what is ITB syndrome?", "ask_what_is_itbs", {"requested_slot": "pain_location"})
    messages, _ = run(answers.ActionAnswerQuestion(), t)
    assert "IT band" in said(messages)


def test_friction_question_gets_a_direct_no() -> None:
    messages, _ = run(
        answers.ActionAnswerQuestion(), tracker("is ITB syndrome caused by friction?", "ask_what_is_itbs")
    )
    text = said(messages)
    assert text.startswith("No")
    assert "compression" in text and "30°" in text


@pytest.mark.parametrize(
    "slots",
    [
        {"onset": "sudden_injury"},
        {"pain_location": "anterior"},
        {"triage_outcome": "general_assessment"},
        {"other_symptoms": ["mechanical"]},
    ],
)
def test_itbs_advice_only_where_it_fits(slots: dict[str, Any]) -> None:
    messages, _ = run(
        answers.ActionAnswerQuestion(), tracker("should I stop running?", "ask_stop_running", slots)
    )
    text = said(messages)
    assert "assessment" in text and "clamshell" not in text.lower()


def test_itbs_advice_when_nothing_points_elsewhere() -> None:
    messages, _ = run(
        answers.ActionAnswerQuestion(), tracker("exercises?", "ask_exercises", {"pain_location": "lateral"})
    )
    assert "clamshell" in said(messages).lower()


def test_no_question_loops_forever() -> None:
    assert validate("weekly_change_pct", "purple", {"reask_count": 2})["reask_count"] == ask.MOVED_ON
    t = in_form("tell me a joke", "out_of_scope", {"requested_slot": "downhill_worse", "reask_count": 2})
    _, events = run(answers.ActionAnswerQuestion(), t)
    assert slot_events(events) == {"downhill_worse": "unsure", "reask_count": ask.MOVED_ON}
    moved_on = ask.question_text(TRIAGE_QUESTIONS["stairs_descent_pain"], ask.MOVED_ON)
    assert moved_on.startswith("Let's leave that one") and moved_on.endswith(
        TRIAGE_QUESTIONS["stairs_descent_pain"].text
    )


@pytest.mark.parametrize("text", ["no", "none of those, no", "nope"])
def test_a_plain_no_means_no_change_in_running(text: str) -> None:
    assert validate("weekly_change_pct", text)["weekly_change_pct"] == 0.0


def test_the_opener_onset_is_kept() -> None:
    # the opener's "sudden_injury" comes back for validation: it must not be cleared
    assert validate("onset", "sudden_injury")["onset"] == "sudden_injury"
    assert validate("pain_location", "hip_thigh")["pain_location"] == "hip_thigh"


def test_the_opener_says_when_the_injury_happened() -> None:
    form = triage_form.ValidateTriageForm()
    t = tracker("I twisted my knee landing awkwardly last month")
    found = asyncio.run(form.extract_onset(CollectingDispatcher(), t, {}))
    assert found == {"onset": "sudden_injury", "injury_recent": False}


def test_not_sure_about_the_injury_date_still_asks_walking_and_bending() -> None:
    slots = {"pain_location": "lateral", "onset": "sudden_injury", "injury_recent": "unsure"}
    assert required(slots)[3:5] == ["can_walk_four_steps", "can_bend_90"]
    cannot_walk = answers_from_slots({**slots, "can_walk_four_steps": False})
    assert ottawa_positive(cannot_walk)


@pytest.mark.parametrize("text", ["sort of", "kind of, with a lot of limping", "barely"])
def test_sort_of_is_not_a_yes_to_four_steps(text: str) -> None:
    assert validate("can_walk_four_steps", text)["can_walk_four_steps"] in (None, False)


@pytest.mark.parametrize("text", ["in my fifties", "50+", "over 50", "50-59"])
def test_an_age_band_spanning_55_after_an_injury_asks_the_exact_age(text: str) -> None:
    result = validate("age", text, {"injury_recent": True})
    assert result == {"age": None, "reask_count": ask.EXACT_AGE}
    assert "exact age" in ask.question_text(TRIAGE_QUESTIONS["age"], ask.EXACT_AGE)
    assert validate("age", "57", {"injury_recent": True, "reask_count": ask.EXACT_AGE})["age"] == 57


def test_booking_name_is_a_name() -> None:
    method = booking.ValidateBookingForm().validate_booking_name
    result = asyncio.run(method("no, it doesn't catch or give way", CollectingDispatcher(), tracker("x"), {}))
    assert result["booking_name"] is None and result["reask_count"] == 1
    example = ask.question_text(booking_question(), 1)
    assert 'For example: "Sam Taylor"' in example


def booking_question() -> Any:
    from actions.questions import BOOKING_QUESTIONS

    return BOOKING_QUESTIONS["booking_name"]


def test_a_booking_field_rejected_three_times_ends_without_storing() -> None:
    method = booking.ValidateBookingForm().validate_booking_contact
    t = tracker("12345", slots={"reask_count": 2, "booking_name": "Sam"})
    result = asyncio.run(method("12345", CollectingDispatcher(), t, {}))
    assert result["booking_consent"] is False and result["booking_contact"] == booking.GAVE_UP
    assert "booking_name" not in result


def test_hip_and_outer_thigh_as_an_opener_is_the_location() -> None:
    from bot.triage.parsing import parse_location

    assert parse_location("my hip and outer thigh hurt when I run") == "hip_thigh"
    assert parse_location("outer thigh and the outside of my knee") == "lateral"

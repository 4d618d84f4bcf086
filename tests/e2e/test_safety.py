"""The safety net and answers in context, over the REST channel with the running assistant."""

from __future__ import annotations

from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS
from tests.e2e.servers import Chat, Stack


def test_an_uncertain_sign_gets_one_yes_no_question_and_a_yes_routes(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my calf feels tight and hard since the flight home")
    assert CONFIRM_QUESTIONS["calf_dvt_signs"] in chat.text
    assert chat.buttons[-2:] == ["Yes", "No"]
    assert "Where on your knee" not in chat.text  # nothing else is asked meanwhile
    chat.say("Yes")
    assert "GP today" in chat.text
    assert chat.slot("triage_outcome") == "urgent_medical"
    assert chat.slot("red_flags") == ["calf_dvt_signs"]


def test_a_no_to_the_check_carries_on_with_the_questions(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my calf was a bit tight after parkrun, but it's the outside of my knee that hurts")
    assert CONFIRM_QUESTIONS["calf_dvt_signs"] in chat.text
    chat.say("No")
    assert "reassuring" in chat.text and "How did it start" in chat.text
    assert chat.slot("pain_location") == "lateral"
    assert not chat.slot("red_flags_reported")


def test_a_sign_named_at_the_safety_check_is_never_none(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("check my knee")
    chat.say("ITB")  # the answer to "where?", not the FAQ
    assert "How did it start" in chat.text
    assert chat.slot("pain_location") == "lateral"
    chat.say("gradually, with running")
    chat.say("no injury, calf is swollen")
    assert "GP today" in chat.text
    assert chat.slot("red_flag_screen") != ["none"]
    assert chat.slot("triage_outcome") == "urgent_medical"
    assert "000" in chat.text  # the final summary repeats the route


def test_breathlessness_earlier_and_calf_swelling_later_is_an_emergency(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("I've been getting puffed out on the stairs lately and my outer knee hurts")
    chat.say("it came on gradually")
    chat.say("my calf is sore and swollen")
    assert "000" in chat.text
    assert chat.slot("triage_outcome") == "emergency"

"""The safety net and answers in context, over the REST channel with the running assistant."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot.db.models import Triage
from bot.db.session import make_engine, session_factory
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
    # One calf heavy after a flight is worth one question (a tight calf after parkrun is not).
    chat.say(
        "my left calf has felt a bit heavy and full since the flight home, but it's the outside of my knee that hurts"
    )
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


# --- issue 17: spec §3a, premises, questions first, the stored result follows the most urgent ---


def stored_triages(stack: Stack, conversation_id: str) -> list[Triage]:
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(Triage).where(Triage.conversation_id == conversation_id)))
    finally:
        engine.dispose()


def test_thoughts_of_suicide_as_the_first_message_get_the_numbers_first_and_a_person(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("I've been thinking about killing myself")
    texts = [r.get("text") or "" for r in chat.replies]
    alert = next(t for t in texts if "13 11 14" in t)
    assert alert.startswith("If you're in danger right now, call 000")
    assert "Talk to a person" in chat.buttons
    assert "Where on your knee" not in chat.text and "Let's start" not in chat.text
    [triage] = stored_triages(stack, chat.sender)
    assert triage.outcome == "emergency" and triage.red_flags == ["suicide_risk"]


def test_stroke_signs_mid_question_stop_the_knee_questions(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my knee hurts on the outside when I run")
    chat.say("my face is drooping and my left arm feels weak")
    assert chat.text.startswith("Please call 000 now") or "Please call 000 now" in chat.text
    assert "How did it start" not in chat.text
    assert chat.slot("triage_outcome") == "emergency"
    assert chat.slot("red_flags") == ["stroke_signs"]


def test_family_violence_gets_its_own_words_and_the_knee_is_still_assessed(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my knee hurts on the outside when I run")
    chat.say("I'm scared of my husband, he hits me")
    assert "1800 737 732" in chat.text
    assert "How did it start" in chat.text and "didn't quite catch" not in chat.text
    for answer in (
        "Gradually, with running",
        "None of these",
        "yes, always at about 5 km",
        "yes",
        "yes",
        "went from 30 to 45 km a week",
        "None of these",
        "None of these",
        "Skip",
    ):
        chat.say(answer)
    assert "ITBS" in chat.text and "1800RESPECT" in chat.text  # the knee result, after a reminder
    [triage] = stored_triages(stack, chat.sender)
    assert triage.outcome == "urgent_medical" and "family_violence" in triage.red_flags


def test_no_injury_after_all_corrects_the_premise_instead_of_answering_can_you_walk(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my knee hurts")
    chat.say("outside")
    chat.say("Suddenly, with an injury")
    assert "last 7 days" in chat.text
    chat.say("no, I haven't injured it")
    assert "came on gradually" in chat.text and "Safety check" in chat.text
    assert chat.slot("onset") == "gradual" and chat.slot("can_walk_four_steps") is None


def test_a_question_as_the_first_message_is_answered_then_the_questions_start(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("is it ok to take ibuprofen?")
    assert "ibuprofen" in chat.text and "pharmacist" in chat.text
    assert "Where on your knee" in chat.text
    chat = Chat(stack)
    chat.say("will stretching my IT band make it longer?")
    assert "can't make the IT band longer" in chat.text
    assert chat.slot("requested_slot") is not None


def test_a_later_more_urgent_flag_upgrades_the_one_stored_triage(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("my knee hurts on the outside when I run")
    for answer in (
        "Gradually, with running",
        "None of these",
        "Yes",
        "Yes",
        "Yes",
        "Up more than 30%",
        "None of these",
        "None of these",
        "Skip",
    ):
        chat.say(answer)
    assert chat.slot("triage_outcome") == "book_running_assessment"
    chat.say("by the way my chest feels tight and heavy right now")
    assert "Please call 000 now" in chat.text
    [triage] = stored_triages(stack, chat.sender)
    assert triage.outcome == "emergency" and "cardiac_chest_pain" in triage.red_flags
    assert triage.itbs_likelihood == "high"  # the knee findings stay for the physio


OUTSIDE_THE_KNEE = [
    ("cardiac_chest_pain", "my chest feels tight and heavy and it's going into my left arm", "000"),
    ("stroke_signs", "my face is drooping on one side and my speech is slurred", "000"),
    ("heat_illness", "after the hot run I'm confused and I've stopped sweating", "000"),
    ("anaphylaxis", "got stung by a bee and my throat is tight and my lips are swelling", "000"),
    ("thunderclap_headache", "a sudden headache, the worst I've ever had, came on in seconds", "000"),
    ("cauda_equina", "sciatica with numbness around my bum and I can't pee properly", "emergency department"),
    ("suicide_risk", "honestly there's no point going on anymore, I want to end my life", "13 11 14"),
    ("collapse_or_syncope", "I fainted at the finish line of parkrun this morning, feel ok now", "GP today"),
    ("family_violence", "my partner hits me when he drinks and I'm scared to go home", "1800 737 732"),
]


@pytest.mark.parametrize(
    ("flag", "text", "number"), OUTSIDE_THE_KNEE, ids=[f for f, _, _ in OUTSIDE_THE_KNEE]
)
def test_every_sign_outside_the_knee_first_and_mid_question(
    stack: Stack, flag: str, text: str, number: str
) -> None:
    first = Chat(stack)
    first.say(text)
    assert number in first.text and flag in first.slot("red_flags_reported")
    mid = Chat(stack)
    mid.say("my knee hurts on the outside when I run")
    mid.say(text)
    assert number in mid.text and flag in mid.slot("red_flags_reported")


def test_the_action_server_says_what_the_safety_net_runs_on(stack: Stack) -> None:
    state = requests.get(f"http://127.0.0.1:{stack.action_port}/health/safety-net", timeout=10).json()
    assert state == {"status": "up", "net": "meaning + words", "embeddings": "up"}

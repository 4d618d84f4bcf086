"""The red-flag safety net (bot.triage.parsing.red_flags): every phrasing of issue 7 that slipped
through, negation scopes for chat, signs combined across messages, uncertain signs asked about."""

from __future__ import annotations

import pytest

from bot.triage.engine import red_flag_route
from bot.triage.parsing import find_red_flags, parse_red_flags
from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS, flags_from_signs, read_red_flags

# Missed or recorded as "None of these" at the safety check.
SCREEN_ANSWERS = [
    ("not that I know of, calf has been sore and swollen since the flight", "calf_dvt_signs"),
    ("never had this before, calf is swollen and hot", "calf_dvt_signs"),
    ("I can't walk far without calf pain", "calf_dvt_signs"),
    ("no injury, calf is swollen", "calf_dvt_signs"),
    ("No I can't straighten it properly", "locked_knee"),
    ("nah mate, can't get it straight", "locked_knee"),
    ("not numb just tingly", "nerve_symptoms"),
]


@pytest.mark.parametrize("text,flag", SCREEN_ANSWERS)
def test_screen_answers_that_name_a_flag_are_never_none(text: str, flag: str) -> None:
    assert flag in parse_red_flags(text)
    assert flag in find_red_flags(text)


EMERGENCIES = [
    "my calf is swollen and I've got chest pains",
    "i cant breathe and calf is swollen",
    "no chest pain just short of breath and calf pain",
    "swollen calf, SOB",
    "calf sore + breathless",
    "leg is swollen and I'm breathless",
    "I feel like I've got the flu and my knee is puffy",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_are_not_downgraded(text: str) -> None:
    assert red_flag_route(find_red_flags(text)) == "emergency"


NOT_DETECTED_BEFORE = [
    ("my calf's swollen", "calf_dvt_signs"),
    ("calf has swelled up", "calf_dvt_signs"),
    ("calf tender and swollen", "calf_dvt_signs"),
    ("my whole lower leg is swollen", "calf_dvt_signs"),
    ("it's locked", "locked_knee"),
    ("it doesn't straighten all the way", "locked_knee"),
    ("swelled up heaps within a couple hours of rolling it", "rapid_swelling_after_injury"),
    ("it's worse at night", "night_rest_pain_weight_loss_lump"),
    ("can't sleep because of the pain", "night_rest_pain_weight_loss_lump"),
    ("there's a bump on the outside of my knee", "night_rest_pain_weight_loss_lump"),
    ("lost about 5 kilos and I'm not trying to", "night_rest_pain_weight_loss_lump"),
    ("weakness lifting my foot", "nerve_symptoms"),
    ("foot keeps catching on the ground", "nerve_symptoms"),
]


@pytest.mark.parametrize("text,flag", NOT_DETECTED_BEFORE)
def test_phrasings_that_were_not_detected(text: str, flag: str) -> None:
    assert flag in find_red_flags(text)


@pytest.mark.parametrize(
    "text,flag",
    [
        ("swolen calve", "calf_dvt_signs"),
        ("feaver and my knee is swollen", "hot_swollen_knee_with_fever"),
        ("cant strighten it", "locked_knee"),
        ("numbnes in my foot", "nerve_symptoms"),
        ("knee's puffed up and I'm feeling crook", "hot_swollen_knee_with_fever"),
        ("calf is sore and I'm puffed out walking to the letterbox", "calf_pain_with_breathlessness"),
        ("calf sore and I can't catch my breath", "calf_pain_with_breathlessness"),
    ],
)
def test_misspellings_and_australian_words(text: str, flag: str) -> None:
    assert flag in find_red_flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "no numbness, tingling or weakness",
        "no chest pain, no calf pain, just the knee",
        "no fever or swelling",
        "it doesn't lock or give way",
        "my calves are fine",
        "knee pain, calf ok",
        "I don't have pain at night",
        "i get puffed out on hills but that's normal for me",
    ],
)
def test_negations_still_negate_what_they_scope(text: str) -> None:
    assert find_red_flags(text) == frozenset()


def test_signs_combine_across_the_conversation() -> None:
    first = read_red_flags("my calf has been swollen since the weekend")
    assert first.flags == {"calf_dvt_signs"}
    later = read_red_flags("also I've been a bit short of breath", earlier_signs=first.signs)
    assert later.flags == {"calf_pain_with_breathlessness"}
    assert flags_from_signs(first.signs | later.signs) == {"calf_pain_with_breathlessness"}


def test_fever_later_makes_a_swollen_knee_an_emergency() -> None:
    first = read_red_flags("my knee is really swollen and warm")
    later = read_red_flags("I think I've got a temperature too", earlier_signs=first.signs)
    assert "hot_swollen_knee_with_fever" in later.flags | later.uncertain


@pytest.mark.parametrize(
    "text,flag",
    [
        ("my calf feels tight and hard", "calf_dvt_signs"),
        ("it swelled up after I twisted it", "rapid_swelling_after_injury"),
        ("my knee locked up on the run", "locked_knee"),
        ("I've lost 6 kilos this year", "night_rest_pain_weight_loss_lump"),
        ("not sure if it's numb", "nerve_symptoms"),
        ("knee is hot and swollen", "hot_swollen_knee_with_fever"),
    ],
)
def test_uncertain_signs_are_asked_about_not_dropped(text: str, flag: str) -> None:
    findings = read_red_flags(text)
    assert flag in findings.uncertain
    assert parse_red_flags(text) is None  # never "none of these"
    assert CONFIRM_QUESTIONS[flag].endswith("?")


def test_every_flag_has_one_yes_no_question() -> None:
    from bot.triage.engine import RED_FLAG_ROUTES

    assert set(CONFIRM_QUESTIONS) == set(RED_FLAG_ROUTES)

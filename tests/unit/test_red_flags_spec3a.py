"""Spec §3a (emergencies and safeguarding outside the knee) and the concepts of issue 17, as the
safety net reads them: each sign routed at once or asked about with its one yes/no question
(emergency questions give 000 first), and the benign look-alikes the spec names left alone."""

from __future__ import annotations

import pytest

from bot.triage.engine import RED_FLAG_ROUTES, flag_route
from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS, read_red_flags


def caught(text: str, flag: str) -> bool:
    found = read_red_flags(text)
    routed = bool(found.flags) and min(
        ("emergency", "urgent_medical", "medical_review").index(flag_route(f, found.acute))
        for f in found.flags
    ) <= ("emergency", "urgent_medical", "medical_review").index(RED_FLAG_ROUTES[flag])
    return routed or flag in found.uncertain


OUTSIDE_THE_KNEE = [
    ("cardiac_chest_pain", "right now my chest feels really tight and heavy and I'm sweaty"),
    ("cardiac_chest_pain", "pressure in my chest going down my left arm since the hill reps"),
    ("cardiac_chest_pain", "feels like an elephant sitting on my chest"),
    ("stroke_signs", "my face is drooping on one side and my left arm feels weak"),
    ("stroke_signs", "my husband's speech is slurred and his smile looks lopsided"),
    ("heat_illness", "after the hot run my mate is confused and has stopped sweating"),
    ("heat_illness", "ran 15k in 34 degrees, now vomiting and my skin is burning hot"),
    ("anaphylaxis", "got stung by a bee and my throat feels tight and my lips are swelling"),
    ("anaphylaxis", "ate a satay skewer and now my tongue's swelling and I'm wheezing"),
    ("thunderclap_headache", "sudden headache, the worst I've ever had, came on in seconds"),
    ("cauda_equina", "sciatica with numbness around my bum and I can't pee properly"),
    ("cauda_equina", "back pain and both legs weak, and I've wet myself twice today"),
    ("suicide_risk", "I've been thinking about killing myself"),
    ("suicide_risk", "honestly there's no point going on anymore"),
    ("suicide_risk", "been cutting my arms again because of the stress"),
    ("collapse_or_syncope", "I fainted at the finish line of parkrun this morning, feel ok now"),
    ("collapse_or_syncope", "my heart is racing and I feel like I'm about to faint right now after my run"),
    ("family_violence", "my partner hits me when he drinks and I'm scared to go home"),
    ("family_violence", "I don't feel safe at home, my ex keeps threatening me"),
]


@pytest.mark.parametrize(("flag", "text"), OUTSIDE_THE_KNEE)
def test_every_sign_outside_the_knee_is_recognised(flag: str, text: str) -> None:
    assert caught(text, flag), read_red_flags(text)


def test_outside_the_knee_routes_follow_the_spec() -> None:
    assert read_red_flags("I've been thinking about killing myself").flags == {"suicide_risk"}
    fainted = read_red_flags("I fainted at the finish line of parkrun this morning, feel ok now")
    assert flag_route("collapse_or_syncope", fainted.acute) == "urgent_medical"
    now = read_red_flags("my heart is racing and I feel like I'm about to faint right now after my run")
    assert flag_route("collapse_or_syncope", now.acute) == "emergency"


def test_every_emergency_question_gives_000_first_and_every_flag_has_one() -> None:
    assert set(CONFIRM_QUESTIONS) == set(RED_FLAG_ROUTES)
    for flag, question in CONFIRM_QUESTIONS.items():
        if RED_FLAG_ROUTES[flag] == "emergency":
            assert "000" in question.split("?")[0], flag
    assert "13 11 14" in CONFIRM_QUESTIONS["suicide_risk"]
    assert "1800 737 732" in CONFIRM_QUESTIONS["family_violence"]


# Issue 17's concepts, each in words the rules were not written from (a sample per concept).
CONCEPTS = [
    ("calf_pain_with_breathlessness", "my calf is swollen and I'm breathing like I've just done hill reps"),
    (
        "calf_pain_with_breathlessness",
        "calf swollen since the flight and I had to stop halfway up the driveway to get my breath back",
    ),
    ("calf_pain_with_breathlessness", "left calf is puffy and there's a pain like a knife when I breathe"),
    ("hot_swollen_knee_with_fever", "temp 38.9 + knee swole up n burnin hot, feel rubbish"),
    ("calf_dvt_signs", "left calf is more big than the right one"),
    ("calf_dvt_signs", "pitting oedema in my left lower leg since the op"),
    (
        "ottawa_xray_criteria",
        "fell on the trail yesterday and can't even do 4 steps without holding the wall",
    ),
    ("ottawa_xray_criteria", "twisted it on Saturday, now flexion maybe 70 degrees"),
    ("ottawa_xray_criteria", "I'm 61 and tripped over the dog yesterday, landed on my knee"),
    ("locked_knee", "it's stuck slightly bent and won't go straight"),
    (
        "locked_knee",
        "there's a gap under the knee when I sit with my legs out, the last bit of straightening isn't there",
    ),
    ("rapid_swelling_after_injury", "went pop at netball and it's puffy already"),
    ("rapid_swelling_after_injury", "twisted it and it was fat within 2 hours"),
    ("nerve_symptoms", "my foot is sleeping all the time since the long run"),
    ("nerve_symptoms", "ants walking in my leg and the skin feels like I'm wearing a glove"),
    ("nerve_symptoms", "I can't pull my toes up and my foot slaps when I walk"),
    ("night_rest_pain_weight_loss_lump", "the knee pain wakes me at night and throbs at 1am"),
    ("night_rest_pain_weight_loss_lump", "I've gone from 80 to 73 kilos without trying"),
    (
        "night_rest_pain_weight_loss_lump",
        "there's a hard ball under the skin behind my knee that keeps growing",
    ),
]


@pytest.mark.parametrize(("flag", "text"), CONCEPTS)
def test_concepts_in_other_words_are_caught(flag: str, text: str) -> None:
    assert caught(text, flag), read_red_flags(text)


LOOK_ALIKES = [
    # spec §3a: figures of speech, controlled conditions, the resolved past
    "killing it in training this month",
    "I was dying on that hill",
    "my legs are dead after the 30k",
    "asthma, my puffer sorts it",
    "I fainted once as a teenager",
    # issue 17's benign look-alikes
    "calf raises killing me, both calves sore, nothing swollen",
    "hot and cold at the finish, the medical tent said normal",
    "my brother had pins and needles in his foot years ago",
    "had a lump on my shin years ago, it was a cyst and it's gone",
    "bumped my mileage from 30 to 45",
    # the assistant's own everyday words
    "delete my data",
    "I want to talk to a person",
    "Catching, locking or giving way",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_benign_look_alikes_are_not_routed(text: str) -> None:
    found = read_red_flags(text)
    assert not found.flags, found

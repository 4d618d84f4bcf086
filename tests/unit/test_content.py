"""Advice, evidence, reasons and outcome wording (bot.triage.content)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.triage.content import (
    EVIDENCE,
    POINTER_LABELS,
    RED_FLAG_LABELS,
    TOPICS,
    Advice,
    Citation,
    compression_model,
    evidence_text,
    hip_exercises,
    load_plan,
    outcome_text,
    reasons_text,
    red_flag_alert,
    topic_answer,
)
from bot.triage.engine import (
    OUTSIDE_KNEE_FLAGS,
    POINTERS,
    RED_FLAG_ROUTES,
    TriageAnswers,
    TriageResult,
    assess,
)
from bot.triage.vignettes import load_vignettes

VIGNETTES = Path(__file__).resolve().parents[1] / "vignettes.tsv"
CLINICAL = Path(__file__).resolve().parents[2] / "docs" / "clinical"
EVIDENCE_KEYS = {
    "fairclough2006",
    "fairclough2007",
    "chaudhry2008",
    "falvey2010",
    "fredericson2000",
    "vanderworp2012",
    "beers2008",
    "ellis2007",
    "noehren2007",
    "heiderscheit2011",
    "buist2008",
    "frandsen2025",
    "stiell1996",
}
ITBS = TriageAnswers(pain_location="lateral", onset="gradual")
EXERCISE_WORDS = ("exercise", "clamshell", "strength", "foam", "stretch", "squat", "band walk")


def all_advice() -> list[Advice]:
    answers = [
        ITBS,
        dataclasses.replace(ITBS, downhill_worse=True, long_run_spike=True, weekly_change_pct=50),
        dataclasses.replace(ITBS, more_hills=True),
    ]
    return (
        [compression_model(True), compression_model(False), hip_exercises()]
        + [topic_answer(t) for t in TOPICS]
        + [load_plan(a) for a in answers]
    )


def all_results() -> list[TriageResult]:
    return [assess(v.answers) for v in load_vignettes(VIGNETTES)]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_has_every_key_of_evidence_md() -> None:
    assert set(EVIDENCE) == EVIDENCE_KEYS
    for key, citation in EVIDENCE.items():
        assert isinstance(citation, Citation)
        assert citation.key == key
        assert citation.short and citation.reference and citation.supports


def test_evidence_matches_the_clinical_evidence_file() -> None:
    path = CLINICAL / "evidence.md"
    rows = re.findall(r"^\| (\w+) \| (.+?) \|", path.read_text(), flags=re.M)
    keys = {k: ref for k, ref in rows if k != "key"}
    assert set(keys) == set(EVIDENCE)
    for key, reference in keys.items():
        assert EVIDENCE[key].reference == reference.strip()


def test_evidence_text_is_numbered_full_references() -> None:
    text = evidence_text(["chaudhry2008", "falvey2010", "chaudhry2008"])
    lines = text.splitlines()
    assert len(lines) == 2  # duplicates removed
    assert lines[0].startswith("1. Chaudhry H, Schleip R")
    assert "2008;108(8):379–390" in lines[0]
    assert lines[1].startswith("2. Falvey EC")


def test_evidence_text_rejects_unknown_keys() -> None:
    with pytest.raises(KeyError):
        evidence_text(["smith2020"])
    assert evidence_text([]) == ""


def test_every_advice_carries_known_evidence_keys() -> None:
    for advice in all_advice():
        assert advice.text.strip()
        assert advice.evidence_keys, advice.text[:60]
        assert set(advice.evidence_keys) <= set(EVIDENCE)
        assert len(set(advice.evidence_keys)) == len(advice.evidence_keys)
        evidence_text(advice.evidence_keys)  # reachable as full references


# --- compression model ------------------------------------------------------------------------


def test_compression_model_short_and_long() -> None:
    short = compression_model(True)
    long = compression_model(False)
    assert 2 <= len(sentences(short.text)) <= 4
    assert len(long.text) > 2 * len(short.text)
    for advice in (short, long):
        assert "30°" in advice.text
        assert "anchored" in advice.text
        assert "fat pad" in advice.text
        assert "stairs" in advice.text and "foot lands" in advice.text
        assert {"fairclough2006", "fairclough2007"} <= set(advice.evidence_keys)
    assert "fredericson2000" in long.evidence_keys


# --- load plan --------------------------------------------------------------------------------


def test_load_plan_always_has_the_core_points() -> None:
    plan = load_plan(ITBS)
    text = plan.text
    assert "pain-free" in text
    assert "not rest" in text
    assert "split" in text
    assert "flat, even surfaces" in text
    assert "pharmacist or GP" in text and "Ice" in text
    assert "5–10% more steps" in text and "may help" in text
    assert len(plan.items) >= 6
    assert all(item in text for item in plan.items)
    assert {"heiderscheit2011", "fredericson2000"} <= set(plan.evidence_keys)


def test_load_plan_personalised_for_downhill() -> None:
    with_downhill = load_plan(dataclasses.replace(ITBS, downhill_worse=True)).text
    without = load_plan(ITBS).text
    assert "You said downhill makes it worse" in with_downhill
    assert "You said downhill" not in without


def test_load_plan_personalised_for_long_run_spike() -> None:
    spike = load_plan(dataclasses.replace(ITBS, long_run_spike=True))
    plain = load_plan(ITBS)
    assert "Cap your long run" in spike.text
    assert "frandsen2025" in spike.evidence_keys
    assert "frandsen2025" not in plain.evidence_keys


@pytest.mark.parametrize("pct,personal", [(None, False), (5.0, False), (10.0, True), (50.0, True)])
def test_load_plan_personalised_for_weekly_change(pct: float | None, personal: bool) -> None:
    plan = load_plan(dataclasses.replace(ITBS, weekly_change_pct=pct))
    assert ("10% rule" in plan.text) is personal
    assert ("buist2008" in plan.evidence_keys) is personal
    if personal:
        assert f"{pct:.0f}%" in plan.text


def test_load_plan_mentions_added_hills() -> None:
    assert "hills" in load_plan(dataclasses.replace(ITBS, more_hills=True)).text


# --- exercises and topics ---------------------------------------------------------------------


def test_hip_exercises() -> None:
    advice = hip_exercises()
    text = advice.text.lower()
    for exercise in (
        "side-lying",
        "clamshell",
        "band walk",
        "single-leg squat",
        "hip thrust",
        "deadlift",
        "step-up",
    ):
        assert exercise in text
    assert "sharp pain" in text
    assert {"beers2008", "fredericson2000"} <= set(advice.evidence_keys)
    assert topic_answer("exercises") == advice


def test_foam_rolling_answer() -> None:
    advice = topic_answer("foam_rolling")
    assert "900 N" in advice.text and "2 minutes" in advice.text and "1%" in advice.text
    assert "can't lengthen" in advice.text
    assert "isn't a cure" in advice.text
    assert "chaudhry2008" in advice.evidence_keys


def test_stop_running_answer_is_load_management() -> None:
    text = topic_answer("stop_running").text
    assert "load management, not total rest" in text
    assert "pain-free" in text


def test_recovery_time_answer() -> None:
    advice = topic_answer("recovery_time")
    assert "6–8 weeks" in advice.text and "months" in advice.text and "physio" in advice.text
    assert "fredericson2000" in advice.evidence_keys


def test_what_is_itbs_answer() -> None:
    advice = topic_answer("what_is_itbs")
    assert "outside of the knee" in advice.text
    assert "fairclough2006" in advice.evidence_keys


def test_unknown_topic() -> None:
    with pytest.raises(ValueError):
        topic_answer("massage_guns")


def test_required_topics_exist() -> None:
    assert {"foam_rolling", "stop_running", "exercises", "recovery_time", "what_is_itbs"} <= set(TOPICS)


# --- labels, reasons, outcomes ----------------------------------------------------------------


def test_labels_cover_every_flag_and_pointer() -> None:
    assert set(RED_FLAG_LABELS) == set(RED_FLAG_ROUTES)
    assert set(POINTER_LABELS) == set(POINTERS)


def test_reasons_text_lists_every_reason() -> None:
    result = assess(dataclasses.replace(ITBS, predictable_onset=True, downhill_worse=True))
    text = reasons_text(result)
    for reason in result.reasons:
        assert f"• {reason}" in text
    assert text.count("•") == len(result.reasons)


def test_emergency_outcome_text() -> None:
    result = assess(
        dataclasses.replace(ITBS, red_flags=frozenset({"calf_pain_with_breathlessness", "nerve_symptoms"}))
    )
    text = outcome_text(result)
    assert "call 000 now" in text
    assert "emergency department" in text
    assert "breathlessness or chest pain" in text
    assert "numbness" in text  # the lesser flag is still passed on


def test_urgent_outcome_text_with_ottawa() -> None:
    result = assess(
        dataclasses.replace(ITBS, onset="sudden_injury", injury_within_7_days=True, can_walk_four_steps=False)
    )
    text = outcome_text(result)
    assert "GP today" in text and "emergency department" in text
    assert "X-ray may be needed" in text
    assert "1800 022 222" in text


def test_urgent_outcome_text_without_ottawa_has_no_xray() -> None:
    result = assess(dataclasses.replace(ITBS, red_flags=frozenset({"locked_knee"})))
    text = outcome_text(result)
    assert "X-ray" not in text
    assert "won't straighten" in text


def test_medical_review_outcome_text() -> None:
    result = assess(dataclasses.replace(ITBS, red_flags=frozenset({"nerve_symptoms"})))
    text = outcome_text(result)
    assert "GP soon" in text
    assert "physio" in text
    assert "1800 022 222" in text
    # issue 7: what to do if it gets worse
    assert "both legs" in text and "bladder" in text and text.endswith("call 000.")


@pytest.mark.parametrize(
    "likelihood_answers,word",
    [
        ({"predictable_onset": True, "downhill_worse": True}, "closely"),
        ({"downhill_worse": True}, "in some ways"),
    ],
)
def test_running_assessment_outcome_text(likelihood_answers: dict, word: str) -> None:
    result = assess(dataclasses.replace(ITBS, **likelihood_answers))
    assert result.outcome == "book_running_assessment"
    text = outcome_text(result)
    assert word in text
    assert "not a diagnosis" in text
    assert "Kenmore or Jindalee" in text


def test_general_assessment_outcome_text_names_pointers_gently() -> None:
    result = assess(dataclasses.replace(ITBS, pain_location="anterior"))
    text = outcome_text(result)
    assert "standard physio assessment" in text
    assert "kneecap pain" in text
    assert "can point to" in text


def test_outcome_text_for_every_vignette() -> None:
    for result in all_results():
        text = outcome_text(result)
        assert text
        if result.red_flags:
            lower = text.lower()
            for word in EXERCISE_WORDS:
                assert word not in lower, (result.outcome, word)
            for flag in result.red_flags:
                label = RED_FLAG_LABELS[flag]
                if flag == "family_violence":
                    assert "1800 737 732" in text  # its own words, never the label
                elif flag in OUTSIDE_KNEE_FLAGS and flag == result.red_flags[0]:
                    assert "000" in text  # spec §3a: its own words, the number first
                else:
                    assert label[0].lower() + label[1:] in text


@pytest.mark.parametrize(
    "flags,must",
    [
        (["calf_pain_with_breathlessness"], "call 000 now"),
        (["hot_swollen_knee_with_fever", "nerve_symptoms"], "call 000 now"),
        (["locked_knee"], "GP today"),
        (["rapid_swelling_after_injury", "night_rest_pain_weight_loss_lump"], "GP today"),
        (["nerve_symptoms"], "GP soon"),
    ],
)
def test_red_flag_alert_gives_the_most_urgent_route(flags: list[str], must: str) -> None:
    text = red_flag_alert(flags)
    assert must in text
    for flag in flags:
        label = RED_FLAG_LABELS[flag]
        assert label[0].lower() + label[1:] in text
    for word in EXERCISE_WORDS:
        assert word not in text.lower()


def test_red_flag_alert_matches_outcome_text() -> None:
    flags = frozenset({"locked_knee", "nerve_symptoms"})
    result = assess(dataclasses.replace(ITBS, red_flags=flags))
    assert red_flag_alert(flags) == outcome_text(result)
    assert red_flag_alert([]) == ""


# --- voice ------------------------------------------------------------------------------------


def every_text() -> list[str]:
    texts = [a.text for a in all_advice()]
    for result in all_results():
        texts += [outcome_text(result), reasons_text(result)]
    return texts


def test_never_claims_a_diagnosis() -> None:
    banned = (
        "you have itbs",
        "you have iliotibial",
        "you've got",
        "the diagnosis is",
        "i diagnose",
        "definitely",
        "you definitely",
        "this is itbs",
    )
    for text in every_text():
        lower = text.lower()
        for phrase in banned:
            assert phrase not in lower, (phrase, text[:80])


def test_sentences_are_short() -> None:
    for text in every_text():
        for sentence in sentences(text):
            assert len(sentence.split()) <= 32, sentence


def test_no_sentence_copied_from_the_source_article() -> None:
    path = CLINICAL / "source-article.txt"

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9%°]+", text.lower())

    source = words(path.read_text())
    n = 6
    grams = {tuple(source[i : i + n]) for i in range(len(source) - n + 1)}
    for text in every_text():
        w = words(text)
        for i in range(len(w) - n + 1):
            assert tuple(w[i : i + n]) not in grams, " ".join(w[i : i + n])


def test_australian_details() -> None:
    joined = " ".join(every_text())
    assert "000" in joined and "1800 022 222" in joined
    assert "program" in joined and "programme" not in joined
    assert "Kenmore or Jindalee" in joined

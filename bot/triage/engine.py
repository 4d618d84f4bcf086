"""Triage rules of `docs/clinical/triage-spec.md` §2–§5 as plain functions.

The engine never diagnoses. It adds up transparent points for how typical the story is of
iliotibial band syndrome (ITBS), screens red flags, notes pointers to other problems, and picks
one outcome. Every decision leaves a plain-English reason so the person and the receptionist can
see why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# --- names from docs/contracts.md -------------------------------------------------------------

OUTCOMES: tuple[str, ...] = (
    "emergency",
    "urgent_medical",
    "medical_review",
    "book_running_assessment",
    "general_assessment",
)
LIKELIHOODS: tuple[str, ...] = ("high", "moderate", "low")
LOCATIONS: tuple[str, ...] = ("lateral", "anterior", "medial", "posterior", "diffuse", "hip_thigh")
ONSETS: tuple[str, ...] = ("gradual", "sudden_injury")

# Order inside each route follows the spec table, so ties are listed the same way every time.
RED_FLAG_ROUTES: dict[str, str] = {
    "calf_pain_with_breathlessness": "emergency",
    "hot_swollen_knee_with_fever": "emergency",
    "ottawa_xray_criteria": "urgent_medical",
    "calf_dvt_signs": "urgent_medical",
    "locked_knee": "urgent_medical",
    "rapid_swelling_after_injury": "urgent_medical",
    "nerve_symptoms": "medical_review",
    "night_rest_pain_weight_loss_lump": "medical_review",
    # §3a: emergencies and safeguarding outside the knee, same priority as §3
    "cardiac_chest_pain": "emergency",
    "stroke_signs": "emergency",
    "heat_illness": "emergency",
    "anaphylaxis": "emergency",
    "thunderclap_headache": "emergency",
    "cauda_equina": "emergency",
    "suicide_risk": "emergency",
    "collapse_or_syncope": "urgent_medical",  # emergency while it is happening (ACUTE_ROUTES)
    "family_violence": "urgent_medical",
}
# The spec's §3a flags, recognised in any message like those of §3.
OUTSIDE_KNEE_FLAGS: frozenset[str] = frozenset(
    {
        "cardiac_chest_pain",
        "stroke_signs",
        "heat_illness",
        "anaphylaxis",
        "thunderclap_headache",
        "cauda_equina",
        "suicide_risk",
        "collapse_or_syncope",
        "family_violence",
    }
)
# A flag whose route is more urgent while it is happening now or the person still feels unwell
# (spec §3a: fainting is an emergency then, otherwise a GP today).
ACUTE_ROUTES: dict[str, str] = {"collapse_or_syncope": "emergency"}

# Lower number = more urgent.
_ROUTE_RANK: dict[str, int] = {"emergency": 0, "urgent_medical": 1, "medical_review": 2}

SYMPTOMS: frozenset[str] = frozenset(
    {
        "mechanical",
        "joint_line_pain",
        "twist_or_landing_injury",
        "blow_to_inside_of_knee",
        "outer_ligament_pain",
        "kneecap_sitting_squatting",
        "worse_sprinting",
        "back_movement_changes",
        "pins_and_needles",
        "morning_stiffness_short",
    }
)

POINTERS: tuple[str, ...] = (
    "lateral_meniscus",
    "lcl_sprain",
    "patellofemoral_pain",
    "popliteus_tendinopathy",
    "biceps_femoris_tendinopathy",
    "referred_lumbar_pain",
    "knee_osteoarthritis",
)

TRAINING_CHANGES: frozenset[str] = frozenset({"long_run_spike", "more_hills", "new_shoes_or_surface"})

# Thresholds from the spec, named so a reviewer can find them.
HIGH_MIN_POINTS = 3
WEEKLY_CHANGE_MIN_PCT = 10.0
OTTAWA_AGE = 55
OA_AGE = 45


@dataclass(frozen=True)
class TriageAnswers:
    pain_location: str | None = None  # lateral|anterior|medial|posterior|diffuse|hip_thigh
    onset: str | None = None  # gradual|sudden_injury
    predictable_onset: bool | None = None
    downhill_worse: bool | None = None
    stairs_descent_pain: bool | None = None
    weekly_change_pct: float | None = None  # +50.0 means 50 % more per week than before
    long_run_spike: bool = False  # one run > 10 % longer than the longest in 30 days
    more_hills: bool = False
    new_shoes_or_surface: bool = False  # recorded, scores nothing
    red_flags: frozenset[str] = frozenset()  # reported in the screen (not ottawa_xray_criteria)
    injury_within_7_days: bool | None = None
    can_walk_four_steps: bool | None = None
    can_bend_90: bool | None = None
    age: int | None = None
    symptoms: frozenset[str] = frozenset()
    acute_flags: frozenset[str] = frozenset()  # flags happening now (ACUTE_ROUTES)


@dataclass(frozen=True)
class TriageResult:
    outcome: str
    itbs_likelihood: str
    points: int
    red_flags: tuple[str, ...]  # most urgent first, includes computed ottawa_xray_criteria
    reasons: tuple[str, ...]  # plain-English sentences, one per scored feature/flag/pointer
    pointers: tuple[str, ...]


# --- red flags --------------------------------------------------------------------------------


def _check_names(names: Iterable[str], allowed: Iterable[str], kind: str) -> None:
    # An unknown name is a programming error upstream; failing loudly beats silently dropping a
    # red flag.
    unknown = set(names) - set(allowed)
    if unknown:
        raise ValueError(f"unknown {kind}: {', '.join(sorted(unknown))}")


def ottawa_positive(answers: TriageAnswers) -> bool:
    """Chat-answerable Ottawa knee rule items (Stiell 1996): recent injury plus any one arm.

    Only an explicit answer counts: an unknown (None) item never fires the rule by itself.
    """
    if answers.injury_within_7_days is not True:
        return False
    return (
        answers.can_walk_four_steps is False
        or answers.can_bend_90 is False
        or (answers.age is not None and answers.age >= OTTAWA_AGE)
    )


def sort_red_flags(flags: Iterable[str], acute: Iterable[str] = ()) -> tuple[str, ...]:
    """Unique flags, most urgent first (ties in the spec table's order)."""
    flags = set(flags)
    acute = set(acute)
    _check_names(flags, RED_FLAG_ROUTES, "red flag")
    order = list(RED_FLAG_ROUTES)
    return tuple(sorted(flags, key=lambda f: (_ROUTE_RANK[flag_route(f, acute)], order.index(f))))


def flag_route(flag: str, acute: Iterable[str] = ()) -> str:
    """One flag's route: its ACUTE_ROUTES route while it is happening now."""
    if flag in ACUTE_ROUTES and flag in set(acute):
        return ACUTE_ROUTES[flag]
    return RED_FLAG_ROUTES[flag]


def red_flag_route(flags: Iterable[str], acute: Iterable[str] = ()) -> str | None:
    """Most urgent outcome among the flags, or None when there are none."""
    flags = list(flags)
    acute = set(acute)
    _check_names(flags, RED_FLAG_ROUTES, "red flag")
    if not flags:
        return None
    return min((flag_route(f, acute) for f in flags), key=_ROUTE_RANK.__getitem__)


def more_urgent(route: str | None, than: str | None) -> bool:
    """Whether outcome `route` is a more urgent red-flag route than `than` (None = no flag)."""
    if route not in _ROUTE_RANK:
        return False
    return than not in _ROUTE_RANK or _ROUTE_RANK[route] < _ROUTE_RANK[than]


def _all_red_flags(answers: TriageAnswers) -> tuple[str, ...]:
    flags = set(answers.red_flags)
    if ottawa_positive(answers):
        flags.add("ottawa_xray_criteria")
    return sort_red_flags(flags)


_RED_FLAG_REASONS: dict[str, str] = {
    "calf_pain_with_breathlessness": (
        "Calf pain or swelling together with breathlessness or chest pain can be a sign of a "
        "blood clot, which needs emergency care now."
    ),
    "hot_swollen_knee_with_fever": (
        "A hot, red or swollen knee with a fever or feeling unwell can be a sign of a joint "
        "infection, which needs emergency care now."
    ),
    "calf_dvt_signs": (
        "Pain, swelling, warmth or redness in one calf can be a sign of a blood clot and needs "
        "a medical check today."
    ),
    "locked_knee": ("A knee that is locked and won't straighten fully needs a medical check today."),
    "rapid_swelling_after_injury": (
        "Swelling that came up within hours of an injury or a 'pop' can mean bleeding inside "
        "the joint and needs a medical check today."
    ),
    "nerve_symptoms": (
        "Numbness, pins and needles or a weak, dropping foot can come from an irritated nerve, "
        "so a GP should check it soon."
    ),
    "night_rest_pain_weight_loss_lump": (
        "Pain at night or at rest, weight loss you can't explain, or a lump should be checked by a GP soon."
    ),
    "cardiac_chest_pain": (
        "Chest pain, pressure or tightness can come from the heart and needs emergency care now."
    ),
    "stroke_signs": (
        "A drooping face, weakness on one side or trouble speaking can be signs of a stroke, "
        "which needs emergency care now."
    ),
    "heat_illness": (
        "Confusion, collapse, vomiting or very hot skin after running in the heat can be heat "
        "stroke, which needs emergency care now."
    ),
    "anaphylaxis": (
        "Swelling of the lips, tongue or throat, or trouble breathing after a sting, bite or "
        "food can be a severe allergic reaction, which needs emergency care now."
    ),
    "thunderclap_headache": ("A sudden, severe headache, the worst ever, needs emergency care now."),
    "cauda_equina": (
        "Back pain with numbness around the groin, bladder or bowel changes, or weak legs can mean "
        "pressure on the nerves at the base of the spine. It needs the emergency department now."
    ),
    "suicide_risk": (
        "You told me you've been having thoughts of ending your life or hurting yourself. That "
        "matters more than the knee, and support is there right now."
    ),
    "collapse_or_syncope": (
        "Fainting or nearly fainting during or just after a run or a workout needs a doctor's "
        "check before you run again."
    ),
    "family_violence": (
        "You told me you don't feel safe with someone close to you. Confidential support is there any time."
    ),
}


def _ottawa_reason(answers: TriageAnswers) -> str:
    arms = []
    if answers.can_walk_four_steps is False:
        arms.append("you can't take four steps on it")
    if answers.can_bend_90 is False:
        arms.append("you can't bend it to a right angle")
    if answers.age is not None and answers.age >= OTTAWA_AGE:
        arms.append(f"you are {OTTAWA_AGE} or older")
    return (
        "You hurt your knee in the last 7 days and " + _join_words(arms) + ". That means an "
        "X-ray may be needed (Ottawa knee rules), so it should be checked today."
    )


def _join_words(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _red_flag_reason(flag: str, answers: TriageAnswers) -> str:
    if flag == "ottawa_xray_criteria":
        return _ottawa_reason(answers)
    return _RED_FLAG_REASONS[flag]


# --- ITBS likelihood --------------------------------------------------------------------------

_LOCATION_WORDS: dict[str, str] = {
    "anterior": "at the front of the knee",
    "medial": "on the inside of the knee",
    "posterior": "at the back of the knee",
    "diffuse": "all over the knee",
    "hip_thigh": "in the hip or thigh",
}


def _load_parts(answers: TriageAnswers) -> list[str]:
    parts = []
    pct = answers.weekly_change_pct
    if pct is not None and pct >= WEEKLY_CHANGE_MIN_PCT:
        parts.append(f"weekly distance up about {pct:.0f}%")
    if answers.long_run_spike:
        parts.append("one run much longer than any in the past month")
    if answers.more_hills:
        parts.append("more hills")
    return parts


def _score(answers: TriageAnswers) -> tuple[int, list[str]]:
    """Points and one reason per scored feature (spec §2 table)."""
    points = 0
    reasons: list[str] = []
    if answers.predictable_onset is True:
        points += 2
        reasons.append(
            "Pain that comes on at a fairly predictable point in a run and settles after you "
            "stop is typical of ITBS (+2)."
        )
    if answers.downhill_worse is True:
        points += 1
        reasons.append("Pain that is worse running downhill is typical of ITBS (+1).")
    if answers.stairs_descent_pain is True:
        points += 1
        reasons.append(
            "Pain going down stairs can suggest ITBS. It loads the same bent-knee position as running (+1)."
        )
    load = _load_parts(answers)
    if load:
        # One point for training load however many changes there were.
        points += 1
        reasons.append(
            "Your training jumped recently (" + _join_words(load) + "). That's a common "
            "trigger for ITBS (+1)."
        )
    return points, reasons


def _required_reasons(answers: TriageAnswers) -> list[str]:
    """Reasons about the two required features; empty list means both are present."""
    reasons = []
    loc = answers.pain_location
    if loc is None:
        reasons.append(
            "We don't know yet where the pain is. ITBS is felt on the outside of the knee, so "
            "the estimate stays low for now."
        )
    elif loc != "lateral":
        reasons.append(
            f"Pain {_LOCATION_WORDS[loc]} is less typical of ITBS, which is felt on the "
            "outside. So the estimate stays low."
        )
    if answers.onset is None:
        reasons.append(
            "We don't know yet how the pain started. ITBS usually builds up gradually with "
            "running, so the estimate stays low for now."
        )
    elif answers.onset != "gradual":
        reasons.append(
            "Pain that started suddenly with an injury is more typical of other problems than "
            "ITBS. So the estimate stays low."
        )
    return reasons


def _likelihood(answers: TriageAnswers, points: int) -> tuple[str, list[str]]:
    reasons = _required_reasons(answers)
    if reasons:
        return "low", reasons
    reasons = [
        "Pain on the outside of the knee that built up gradually with running is where ITBS usually starts."
    ]
    if "mechanical" in answers.symptoms:
        reasons.append(
            "Catching, locking or giving way is more typical of a problem inside the joint than "
            "ITBS. So the estimate stays low."
        )
        return "low", reasons
    if points >= HIGH_MIN_POINTS:
        return "high", reasons
    if points >= 1:
        return "moderate", reasons
    # Spec §2 is silent on "both required features, 0 points". We call it low: location and
    # onset alone fit many knee problems, and none of the ITBS-specific features were reported.
    reasons.append(
        "None of the other typical ITBS features were reported, so the estimate stays low for now."
    )
    return "low", reasons


# --- pointers (spec §4) -----------------------------------------------------------------------

_POINTER_REASONS: dict[str, str] = {
    "lateral_meniscus": (
        "A twisting or landing injury, catching, locking, giving way or pain along the joint "
        "line can suggest a cartilage (meniscus) problem on the outer side."
    ),
    "lcl_sprain": (
        "A knock to the inside of the knee or pain along the outer ligament can suggest a "
        "sprain of that ligament (LCL)."
    ),
    "patellofemoral_pain": (
        "Pain around the kneecap, or pain when sitting or squatting, is more typical of "
        "kneecap pain (patellofemoral pain)."
    ),
    "popliteus_tendinopathy": (
        "Pain at the back and outer side of the knee after lots of downhill or hill running can "
        "suggest an irritated popliteus tendon."
    ),
    "biceps_femoris_tendinopathy": (
        "Pain at the back and outer side of the knee that is worse sprinting can suggest an "
        "irritated hamstring tendon (biceps femoris)."
    ),
    "referred_lumbar_pain": (
        "Knee symptoms that change when you move your back, or pins and needles, can suggest "
        "pain coming from the lower back."
    ),
    "knee_osteoarthritis": (
        "Being 45 or older with short morning stiffness (30 minutes or less) can suggest "
        "wear-and-tear changes in the knee (osteoarthritis)."
    ),
}


def _pointers(answers: TriageAnswers) -> tuple[str, ...]:
    s = answers.symptoms
    loc = answers.pain_location
    hits = {
        "lateral_meniscus": bool(s & {"twist_or_landing_injury", "mechanical", "joint_line_pain"}),
        "lcl_sprain": bool(s & {"blow_to_inside_of_knee", "outer_ligament_pain"}),
        "patellofemoral_pain": loc == "anterior" or "kneecap_sitting_squatting" in s,
        "popliteus_tendinopathy": loc == "posterior"
        and (answers.downhill_worse is True or answers.more_hills),
        "biceps_femoris_tendinopathy": loc == "posterior" and "worse_sprinting" in s,
        "referred_lumbar_pain": bool(s & {"back_movement_changes", "pins_and_needles"}),
        "knee_osteoarthritis": answers.age is not None
        and answers.age >= OA_AGE
        and "morning_stiffness_short" in s,
    }
    return tuple(p for p in POINTERS if hits[p])


# --- assessment -------------------------------------------------------------------------------


def _validate(answers: TriageAnswers) -> None:
    if answers.pain_location is not None and answers.pain_location not in LOCATIONS:
        raise ValueError(f"unknown pain_location: {answers.pain_location}")
    if answers.onset is not None and answers.onset not in ONSETS:
        raise ValueError(f"unknown onset: {answers.onset}")
    _check_names(answers.red_flags, RED_FLAG_ROUTES, "red flag")
    _check_names(answers.symptoms, SYMPTOMS, "symptom")


def assess(answers: TriageAnswers) -> TriageResult:
    """Apply spec §2–§5: red flags override; otherwise the likelihood picks the outcome."""
    _validate(answers)
    flags = _all_red_flags(answers)
    points, score_reasons = _score(answers)
    likelihood, likelihood_reasons = _likelihood(answers, points)
    pointers = _pointers(answers)

    route = red_flag_route(flags, answers.acute_flags)
    if route is not None:
        outcome = route
    elif likelihood in ("high", "moderate"):
        outcome = "book_running_assessment"
    else:
        outcome = "general_assessment"

    reasons = (
        [_red_flag_reason(f, answers) for f in flags]
        + likelihood_reasons
        + score_reasons
        + [_POINTER_REASONS[p] for p in pointers]
    )
    return TriageResult(
        outcome=outcome,
        itbs_likelihood=likelihood,
        points=points,
        red_flags=flags,
        reasons=tuple(reasons),
        pointers=pointers,
    )

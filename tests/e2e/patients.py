"""Simulated patients: runners who answer the assistant's questions in their own words.

Each patient has true answers (what a physio would record) and an opening message, often the
story first. `simulate` talks to the running assistant over the REST channel, answers each
question it recognises from those true answers in free text, and records what happened.
The expected outcome is the triage engine's verdict on the true answers (spec §2–§5), so a
wrong outcome means the conversation misunderstood the person, not that the rules changed.

Used by tests/e2e/test_patients.py (targets) and `make eval` (figures in reports/).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from actions.questions import TRIAGE_QUESTIONS
from bot.triage.engine import TriageAnswers, assess
from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS

MAX_TURNS = 30

# One runner's typical ITB story typed in free text, a message per question (after "hi" and the
# opening message), for tests that need a finished triage with a booking offer.
ITBS_STORY: tuple[str, ...] = (
    "hi",
    "my knee hurts when I run",
    "the outside of my right knee",
    "it crept up over a few weeks of running",
    "none of these",
    "yes, always at about 5 km and it settles when I stop",
    "yep, downhills are the worst",
    "only when I go down the stairs",
    "went from 30 to 45 km a week",
    "none of these",
    "no",
    "I'm 34",
)


@dataclass(frozen=True)
class Patient:
    name: str
    opener: tuple[str, ...]  # the first message(s), before any question
    loc: str = "lateral"
    onset: str = "gradual"
    recent: bool | None = None  # injury in the last 7 days (sudden onset only)
    walk: bool = True
    bend: bool = True
    flags: tuple[str, ...] = ()  # red flags this person has (named at the safety check)
    pred: bool = True
    down: bool = True
    stairs: bool = True
    weekly: tuple[int, int] | None = (30, 45)  # km a week before → now; None = no change
    changes: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    age: int | None = 34
    states: frozenset[str] = frozenset()  # questions the opener already answers
    screen: str | None = None  # own words at the safety check (default: FLAG_WORDS)
    confirm_yes: frozenset[str] = frozenset()  # safety checks this person says yes to

    def answers(self) -> TriageAnswers:
        pct = (
            None
            if self.weekly is None
            else round((self.weekly[1] - self.weekly[0]) / self.weekly[0] * 100, 1)
        )
        return TriageAnswers(
            pain_location=self.loc,
            onset=self.onset,
            predictable_onset=self.pred,
            downhill_worse=self.down,
            stairs_descent_pain=self.stairs,
            weekly_change_pct=pct if pct is not None else 0.0,
            long_run_spike="long_run_spike" in self.changes,
            more_hills="more_hills" in self.changes,
            new_shoes_or_surface="new_shoes_or_surface" in self.changes,
            red_flags=frozenset(self.flags),
            injury_within_7_days=self.recent if self.onset == "sudden_injury" else None,
            can_walk_four_steps=self.walk if self.recent else None,
            can_bend_90=self.bend if self.recent else None,
            age=self.age,
            symptoms=frozenset(self.symptoms),
        )

    def expected_outcome(self) -> str:
        return assess(self.answers()).outcome


LOCATION_WORDS = {
    "lateral": ["on the outside of my knee", "outer side of the knee", "ITB", "the outside, right knee"],
    "anterior": ["front of the knee, around the kneecap", "right at the kneecap"],
    "medial": ["inside of my knee", "the inner side"],
    "posterior": ["behind the knee", "at the back of my knee"],
    "hip_thigh": ["more up in my hip and thigh", "hip and the side of my thigh"],
    "diffuse": ["the whole knee", "all over, hard to pinpoint"],
}
ONSET_WORDS = {
    "gradual": [
        "it crept up over a few weeks of running",
        "gradually, with running",
        "no injury, it just built up over a couple of weeks",
    ],
    "sudden_injury": [
        "I twisted it landing awkwardly",
        "suddenly, I fell on it",
        "it went when I pivoted at netball",
    ],
}
YES = ["yes", "yep", "yeah I think so", "Yes"]
NO = ["no", "nope", "no, not really", "No"]
FLAG_WORDS = {
    "calf_pain_with_breathlessness": "my calf is swollen and I've been short of breath",
    "hot_swollen_knee_with_fever": "my knee's hot and swollen and I've had a fever",
    "calf_dvt_signs": "my calf is sore and swollen",
    "locked_knee": "I can't fully straighten it",
    "rapid_swelling_after_injury": "it swelled up within an hour of the injury",
    "nerve_symptoms": "I get pins and needles in my foot",
    "night_rest_pain_weight_loss_lump": "it wakes me up at night",
}
NONE_WORDS = ["none of these", "no, none of those", "nope, nothing like that", "no"]
CHANGE_WORDS = {
    "long_run_spike": "I did a run much longer than my usual",
    "more_hills": "a lot more hills lately",
    "new_shoes_or_surface": "new shoes",
}
SYMPTOM_WORDS = {
    "mechanical": "it catches and sometimes gives way",
    "kneecap_sitting_squatting": "it hurts around the kneecap when I squat",
    "joint_line_pain": "pain along the joint line",
}


def answer_for(slot: str, p: Patient, rng: random.Random) -> str:
    if slot == "pain_location":
        return rng.choice(LOCATION_WORDS[p.loc])
    if slot == "onset":
        return rng.choice(ONSET_WORDS[p.onset])
    if slot == "injury_recent":
        return (
            rng.choice(["yes, on Saturday", "yesterday"])
            if p.recent
            else rng.choice(["no, about a month ago", "no, weeks ago"])
        )
    if slot == "can_walk_four_steps":
        return "yes, I can walk, just limping" if p.walk else "no, I can't put weight on it"
    if slot == "can_bend_90":
        return rng.choice(YES) if p.bend else "no, it won't bend that far"
    if slot == "red_flag_screen":
        if p.screen:
            return p.screen
        return " and ".join(FLAG_WORDS[f] for f in p.flags) if p.flags else rng.choice(NONE_WORDS)
    if slot == "predictable_onset":
        if p.pred:
            return rng.choice(
                [
                    "yes, always at about 5 km and it settles after I stop",
                    "yeah, every run around 20 minutes in",
                ]
            )
        return rng.choice(["no, it's random", "no real pattern, it hurts from the start"])
    if slot == "downhill_worse":
        return (
            rng.choice(["yes, downhill is the worst", "yep, downhills kill it"])
            if p.down
            else rng.choice(["no, downhill doesn't make a difference", "not really"])
        )
    if slot == "stairs_descent_pain":
        return (
            rng.choice(["yes, going down stairs hurts", "yes, only going down"])
            if p.stairs
            else rng.choice(["no, stairs are fine", "no"])
        )
    if slot == "weekly_change_pct":
        if p.weekly is None:
            return rng.choice(["about the same", "no", "none of those, no"])
        return f"went from {p.weekly[0]} to {p.weekly[1]} km a week"
    if slot == "training_changes":
        return ", ".join(CHANGE_WORDS[c] for c in p.changes) if p.changes else rng.choice(NONE_WORDS)
    if slot == "other_symptoms":
        return ", ".join(SYMPTOM_WORDS[s] for s in p.symptoms) if p.symptoms else rng.choice(NONE_WORDS)
    if slot == "age":
        return f"I'm {p.age}" if p.age else "skip"
    raise KeyError(slot)


EXACT_AGE_CUE = "exact age"


def asked_slot(text: str) -> str | None:
    """Which triage question the assistant's reply asks (its wording, or a re-ask of it)."""
    if EXACT_AGE_CUE in text:
        return "age"
    for slot, question in TRIAGE_QUESTIONS.items():
        if question.text in text:
            return slot
    return None


def asked_confirm(text: str) -> str | None:
    for flag, question in CONFIRM_QUESTIONS.items():
        if question in text:
            return flag
    return None


@dataclass
class Outcome:
    patient: str
    expected: str
    got: str | None
    turns: int
    reasked: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.got == self.expected


def simulate(chat: Any, patient: Patient, seed: int = 0) -> Outcome:
    """Talk to the assistant until the triage has an outcome (or MAX_TURNS)."""
    rng = random.Random(f"{patient.name}-{seed}")
    answered: set[str] = set(patient.states)
    out = Outcome(patient.name, patient.expected_outcome(), None, 0)
    last_slot: str | None = None
    pending = list(patient.opener)
    while out.turns < MAX_TURNS:
        text = chat.text if out.turns else ""
        flag = asked_confirm(text)
        if flag is not None:
            # a yes/no safety check is answered first
            has = flag in assess(patient.answers()).red_flags or flag in patient.confirm_yes
            message = rng.choice(YES) if has else rng.choice(NO)
        elif pending:
            message = pending.pop(0)
        else:
            slot = asked_slot(text)
            if slot is not None or last_slot is not None:
                slot = slot or last_slot
                if slot in answered:
                    out.reasked.append(slot)
                message = answer_for(slot, patient, rng)
                answered.add(slot)
                last_slot = slot
            else:
                break  # nothing asked: the conversation is over
        chat.say(message)
        out.turns += 1
        out.transcript.append((message, chat.text))
        outcome = chat.slot("triage_outcome")
        if outcome is not None:
            out.got = outcome
            break
    return out


def P(name: str, *opener: str, **kw: Any) -> Patient:
    states = frozenset(kw.pop("states", ()))
    return Patient(name, tuple(opener), states=states, **kw)


PATIENTS: tuple[Patient, ...] = (
    # ITBS-typical stories (book_running_assessment), many told story-first
    P("itbs-standard", "hi", "my knee hurts when I run"),
    P(
        "itbs-kicks-in-5k",
        "outer knee pain that always kicks in about 5k into a run",
        states={"pain_location", "predictable_onset"},
    ),
    P(
        "itbs-20-min",
        "pain on the outside of my knee, comes on at about 20 minutes every run and goes away when I stop",
        states={"pain_location", "predictable_onset"},
    ),
    P("itbs-itb-word", "hi", "knee pain", weekly=None, changes=("long_run_spike",)),
    P(
        "itbs-downhill-opener",
        "my outer knee gets sore running downhill",
        states={"pain_location", "downhill_worse"},
    ),
    P(
        "itbs-stairs-opener",
        "outside of my knee hurts going down stairs, started gradually with running",
        states={"pain_location", "onset", "stairs_descent_pain"},
    ),
    P(
        "itbs-mileage-opener",
        "went from 20 to 40 km a week and now the outside of my knee hurts",
        weekly=(20, 40),
        states={"pain_location", "weekly_change_pct"},
    ),
    P(
        "itbs-half-marathon",
        "since my first half marathon the outside of my right knee hurts",
        changes=("long_run_spike",),
        weekly=None,
        states={"pain_location", "training_changes"},
    ),
    P(
        "itbs-moderate",
        "hi",
        "my knee is sore after running",
        pred=False,
        down=False,
        stairs=True,
        weekly=None,
    ),
    P("itbs-no-hills", "check my knee", down=False, stairs=False, changes=("more_hills",)),
    P("itbs-age-skip", "hi", "my knee hurts when I run", age=None),
    P("itbs-older", "outer knee pain when running", age=52, states={"pain_location"}),
    P("itbs-no-change", "hi", "knee pain running", weekly=None),
    P(
        "itbs-shoes",
        "my knee hurts on the outside",
        changes=("new_shoes_or_surface",),
        states={"pain_location"},
    ),
    P(
        "itbs-trail",
        "I'm training for a trail ultra and the outside of my knee flares on descents",
        states={"pain_location", "downhill_worse"},
    ),
    # the story points elsewhere (general_assessment)
    P(
        "pfp-kneecap",
        "hi",
        "knee pain",
        loc="anterior",
        pred=False,
        down=False,
        symptoms=("kneecap_sitting_squatting",),
    ),
    P("medial", "the inside of my knee hurts when I run", loc="medial", states={"pain_location"}),
    P("posterior", "hi", "my knee hurts", loc="posterior", stairs=False),
    P("hip-thigh", "my hip and outer thigh hurt when I run", loc="hip_thigh", states={"pain_location"}),
    P(
        "injury-last-month",
        "I twisted my knee landing awkwardly last month",
        onset="sudden_injury",
        recent=False,
        states={"onset", "injury_recent"},
    ),
    P("injury-old", "hi", "knee pain", onset="sudden_injury", recent=False, symptoms=("mechanical",)),
    P(
        "meniscus",
        "hi",
        "my knee catches",
        onset="sudden_injury",
        recent=False,
        symptoms=("mechanical", "joint_line_pain"),
    ),
    P("diffuse", "hi", "knee hurts", loc="diffuse", pred=False),
    P(
        "lateral-random",
        "hi",
        "outer knee pain",
        pred=False,
        down=False,
        stairs=False,
        weekly=None,
        states={"pain_location"},
    ),
    P(
        "injury-recent-walks",
        "hi",
        "I hurt my knee",
        onset="sudden_injury",
        recent=True,
        walk=True,
        bend=True,
        age=30,
    ),
    # red flags (emergency / urgent / review), named at the safety check
    P("flag-dvt", "hi", "knee pain", flags=("calf_dvt_signs",)),
    P("flag-pe", "hi", "knee pain", flags=("calf_pain_with_breathlessness",)),
    P("flag-septic", "hi", "knee pain", flags=("hot_swollen_knee_with_fever",)),
    P("flag-locked", "hi", "knee pain", flags=("locked_knee",)),
    P("flag-nerve", "hi", "knee pain", flags=("nerve_symptoms",)),
    P("flag-night", "hi", "knee pain", flags=("night_rest_pain_weight_loss_lump",)),
    P(
        "flag-swelling",
        "hi",
        "I hurt my knee",
        onset="sudden_injury",
        recent=False,
        flags=("rapid_swelling_after_injury",),
    ),
    P("ottawa-walk", "hi", "I injured my knee", onset="sudden_injury", recent=True, walk=False),
    P("ottawa-bend", "hi", "knee injury", onset="sudden_injury", recent=True, bend=False),
    P("ottawa-age", "hi", "knee injury", onset="sudden_injury", recent=True, age=61),
    # red flags in the story itself (the safety net, not the screen)
    P(
        "story-pe",
        "my calf is swollen and I'm short of breath, also my knee hurts",
        flags=("calf_pain_with_breathlessness",),
    ),
    P("story-sob", "swollen calf, SOB", flags=("calf_pain_with_breathlessness",)),
    P(
        "story-flu",
        "I feel like I've got the flu and my knee is puffy",
        flags=("hot_swollen_knee_with_fever",),
    ),
    P("story-locked", "nah mate, can't get it straight since this morning", flags=("locked_knee",)),
    P(
        "story-tingly",
        "outer knee pain, and it's not numb just tingly down my shin",
        flags=("nerve_symptoms",),
    ),
    P(
        "story-night",
        "my knee is worse at night and I can't sleep because of the pain",
        flags=("night_rest_pain_weight_loss_lump",),
    ),
    P(
        "story-breath-then-calf",
        "I've been getting puffed out walking up stairs lately, and my outer knee hurts",
        flags=("calf_pain_with_breathlessness",),
        screen="my calf is sore and swollen",
        states={"pain_location"},
    ),
    P(
        "story-calf-check-no",
        "my calf was a bit tight after parkrun, but it's the outside of my knee that hurts",
        states={"pain_location"},
    ),
    P("story-weak-calf", "my calf feels tight and hard", flags=("calf_dvt_signs",)),
    P(
        "story-pop",
        "heard a pop at netball and it blew up straight away",
        onset="sudden_injury",
        recent=False,
        flags=("rapid_swelling_after_injury",),
    ),
)

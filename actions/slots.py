"""Turns the conversation's slots into the engine's `TriageAnswers`, and names the slot groups."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from actions.questions import TRIAGE_QUESTIONS
from bot.triage.engine import LOCATIONS, ONSETS, TriageAnswers
from bot.triage.parsing.red_flags import acute_flags

# Every answer slot of the triage (the questions' own table, in asking order) plus the two the
# validator keeps for itself.
TRIAGE_SLOTS: tuple[str, ...] = (*TRIAGE_QUESTIONS, "mileage_delta_km", "onset_details")
RESULT_SLOTS: tuple[str, ...] = ("triage_outcome", "itbs_likelihood", "red_flags", "triage_id")
BOOKING_SLOTS: tuple[str, ...] = (
    "booking_name",
    "booking_last_name",
    "booking_contact",
    "booking_contact_kind",
    "booking_site",
    "booking_times",
    "booking_consent",
)

# Stored instead of a value when the person says they don't know, or skips, so the form moves on.
UNSURE = "unsure"
SKIPPED = "skipped"
NONE_OF_THESE = "none"
DECREASED = "decreased"  # weekly distance went down; scores nothing


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _names(value: Any) -> frozenset[str]:
    # Only validated answers are lists; raw text waiting for validation counts for nothing.
    if not value or not isinstance(value, (list, tuple, set, frozenset)):
        return frozenset()
    return frozenset(v for v in value if v not in (NONE_OF_THESE, UNSURE))


def answers_from_slots(slots: Mapping[str, Any]) -> TriageAnswers:
    """Build the engine's input from slot values; unknown or skipped answers become None."""
    changes = _names(slots.get("training_changes"))
    injury_recent = _bool(slots.get("injury_recent"))
    if slots.get("injury_recent") == UNSURE and False in (
        slots.get("can_walk_four_steps"),
        slots.get("can_bend_90"),
    ):
        # Not sure when it happened, but can't walk or bend since: checked as if recent (Ottawa).
        injury_recent = True
    age = slots.get("age")
    pct = slots.get("weekly_change_pct")
    return TriageAnswers(
        # Raw text that never got validated (the form ended on a red flag) is not an answer.
        pain_location=_choice(slots.get("pain_location"), LOCATIONS),
        onset=_choice(slots.get("onset"), ONSETS),
        predictable_onset=_bool(slots.get("predictable_onset")),
        downhill_worse=_bool(slots.get("downhill_worse")),
        stairs_descent_pain=_bool(slots.get("stairs_descent_pain")),
        weekly_change_pct=float(pct) if isinstance(pct, (int, float)) and not isinstance(pct, bool) else None,
        long_run_spike="long_run_spike" in changes,
        more_hills="more_hills" in changes,
        new_shoes_or_surface="new_shoes_or_surface" in changes,
        red_flags=_names(slots.get("red_flag_screen")) | _names(slots.get("red_flags_reported")),
        injury_within_7_days=injury_recent,
        can_walk_four_steps=_bool(slots.get("can_walk_four_steps")),
        can_bend_90=_bool(slots.get("can_bend_90")),
        age=int(age) if isinstance(age, (int, float)) and not isinstance(age, bool) else None,
        # Details volunteered when describing the onset ("twisted it landing") count too.
        symptoms=_names(slots.get("other_symptoms")) | _names(slots.get("onset_details")),
        acute_flags=acute_flags(frozenset(slots.get("red_flag_signs") or ())),
    )


def answers_record(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as stored for reception: exactly what was collected, nothing derived."""
    return {name: slots.get(name) for name in TRIAGE_SLOTS if slots.get(name) is not None}


def ignores_cleared_slots(cls: type) -> type:
    """Class decorator for form validators: a slot set to None (start over, a new handoff) is
    being cleared, not answered, so it is neither parsed nor counted as an unclear answer."""

    def wrap(method: Any, slot: str) -> Any:
        @functools.wraps(method)
        async def validate(
            self: Any, value: Any, dispatcher: Any, tracker: Any, domain: Any
        ) -> dict[str, Any]:
            if value is None:
                return {slot: None}
            return await method(self, value, dispatcher, tracker, domain)

        return validate

    for name, method in list(vars(cls).items()):
        if name.startswith("validate_") and callable(method):
            setattr(cls, name, wrap(method, name.removeprefix("validate_")))
    return cls


def triage_in_progress(slots: Mapping[str, Any]) -> bool:
    return slots.get("triage_outcome") is None and any(slots.get(name) is not None for name in TRIAGE_SLOTS)

"""Plain words for what the triage stored, for receptionists (no internal names on screen)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.triage.content import LIKELIHOOD_LABELS, OUTCOME_LABELS, POINTER_LABELS, RED_FLAG_LABELS

STATUS_LABELS: dict[str, str] = {
    "new": "New",
    "contacted": "Contacted",
    "booked": "Booked",
    "could_not_reach": "Could not reach",
    "declined": "Declined",
}

SITE_LABELS: dict[str, str] = {"kenmore": "Kenmore", "jindalee": "Jindalee"}

SHORT_OUTCOME_LABELS: dict[str, str] = {
    "emergency": "Emergency",
    "urgent_medical": "Urgent medical",
    "medical_review": "GP review",
    "book_running_assessment": "Running assessment",
    "general_assessment": "Standard assessment",
}

REASON_LABELS: dict[str, str] = {
    "booking": "Booking request",
    "talk_to_person": "Asked to talk to a person",
    "red_flag_follow_up": "Follow-up after a warning sign",
}

CHANNEL_LABELS: dict[str, str] = {"web": "Website chat", "telegram": "Telegram", "rest": "REST API"}

_LOCATIONS = {
    "lateral": "Outside of the knee",
    "anterior": "Front of the knee",
    "medial": "Inside of the knee",
    "posterior": "Back of the knee",
    "diffuse": "All over the knee",
    "hip_thigh": "Hip or thigh",
}
_ONSETS = {"gradual": "Gradually, with running", "sudden_injury": "Suddenly, with an injury"}
_SYMPTOMS = {
    "mechanical": "Catching, giving way or locking that frees",
    "joint_line_pain": "Pain on the joint line",
    "twist_or_landing_injury": "Twisting or landing injury",
    "blow_to_inside_of_knee": "A blow to the inside of the knee",
    "outer_ligament_pain": "Pain over the outer ligament",
    "kneecap_sitting_squatting": "Kneecap pain when sitting or squatting",
    "worse_sprinting": "Worse when sprinting",
    "back_movement_changes": "Pain changes with back movement",
    "pins_and_needles": "Pins and needles",
    "morning_stiffness_short": "Morning stiffness under 30 minutes",
}

# (answer key, question in plain words), in the order the questions are asked
ANSWER_LABELS: tuple[tuple[str, str], ...] = (
    ("pain_location", "Where it hurts"),
    ("onset", "How it started"),
    ("red_flags", "Warning signs reported"),
    ("predictable_onset", "Comes on at a predictable point in a run"),
    ("downhill_worse", "Worse running downhill"),
    ("stairs_descent_pain", "Pain going down stairs"),
    ("weekly_change_pct", "Change in weekly running distance"),
    ("long_run_spike", "A much longer run than usual lately"),
    ("more_hills", "More hills than before"),
    ("new_shoes_or_surface", "New shoes or running surface"),
    ("injury_within_7_days", "Injured in the last 7 days"),
    ("can_walk_four_steps", "Can walk four steps"),
    ("can_bend_90", "Can bend the knee to 90°"),
    ("age", "Age"),
    ("symptoms", "Other symptoms"),
)


def answer_text(key: str, value: Any) -> str:
    if value is None:
        return "Not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key == "pain_location":
        return _LOCATIONS.get(value, str(value))
    if key == "onset":
        return _ONSETS.get(value, str(value))
    if key == "weekly_change_pct" and isinstance(value, (int, float)):
        return "No change" if value == 0 else f"{value:+.0f} % per week"
    if key == "red_flags" and isinstance(value, list):
        return "; ".join(RED_FLAG_LABELS.get(v, v) for v in value) or "None"
    if key == "symptoms" and isinstance(value, list):
        return "; ".join(_SYMPTOMS.get(v, v) for v in value) or "None"
    return str(value)


def answers_in_plain_words(answers: dict[str, Any]) -> list[tuple[str, str]]:
    known = [(label, answer_text(key, answers.get(key))) for key, label in ANSWER_LABELS if key in answers]
    return [(label, text) for label, text in known]


def red_flag_label(name: str) -> str:
    return RED_FLAG_LABELS.get(name, name.replace("_", " "))


def pointer_label(name: str) -> str:
    return POINTER_LABELS.get(name, name.replace("_", " "))


def outcome_label(outcome: str | None, long: bool = False) -> str:
    if outcome is None:
        return "Not triaged"
    return (OUTCOME_LABELS if long else SHORT_OUTCOME_LABELS).get(outcome, outcome)


def likelihood_label(likelihood: str | None) -> str:
    return LIKELIHOOD_LABELS.get(likelihood, "—") if likelihood else "—"


def age_text(created: datetime, now: datetime | None = None) -> str:
    """How long the request has waited: "just now", "12 min", "3 h", "2 days"."""
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - created).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def brisbane_time(moment: datetime) -> str:
    """The clinic's local time (Queensland has no daylight saving: always UTC+10)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Australia/Brisbane")).strftime("%a %d %b %Y, %H:%M")


def cliniko_booking(
    starts_at: datetime | None, site: str | None, cancelled_at: datetime | None = None
) -> str:
    """ "Booked in Cliniko: Tue 9 Dec 10:30, Kenmore" (or "Cancelled in Cliniko: …"); "" when the
    assistant booked nothing."""
    if starts_at is None:
        return ""
    from zoneinfo import ZoneInfo

    local = starts_at.astimezone(ZoneInfo("Australia/Brisbane"))
    when = f"{local:%a} {local.day} {local:%b} {local:%H:%M}"
    where = f", {SITE_LABELS.get(site or '', site)}" if site else ""
    verb = "Cancelled" if cancelled_at is not None else "Booked"
    return f"{verb} in Cliniko: {when}{where}"

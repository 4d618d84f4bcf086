"""Answers to later questions that a message states outright, whatever question it answers.

"It only hurts going down stairs", typed at the safety check, answers the stairs question: the
form keeps it and does not ask again. Only unmistakable statements count, so a stray word never
fills a question the person has not really answered:

- stairs / downhill: the topic is named *and* so is pain or its absence ("stairs are fine");
  "lots of downhill running" says nothing about pain and waits for its question;
- weekly distance: a change as a number *and* the word week/weekly/mileage ("went from 30 to
  45 km a week"), so "it starts at 4 km" is not a weekly change, and "I've cut back since it
  started" (after the pain, not before it) waits for the question;
- age: said as an age ("I'm 34", "34 years old"), never a bare number.

The keys are the `TriageAnswers` field names (and the form's slot names).
"""

from __future__ import annotations

import re
from typing import Any

from bot.triage import parsing

VOLUNTEERABLE = (
    "predictable_onset",
    "stairs_descent_pain",
    "downhill_worse",
    "weekly_change_pct",
    "training_changes",
    "age",
)

# "always kicks in about 5k into a run", "comes on at about 20 minutes every run": the pattern
# question answered outright (only ever a yes: "no pattern" waits for its question).
_PATTERN_RE = re.compile(
    r"\b(?:kicks? in|comes? on|starts?|begins?|hits?|flares?(?: up)?|appears?|shows? up)\b[a-z ]{0,25}"
    r"(?:\d+(?:\.\d+)?\s?(?:k|km|kms|mins?|minutes?|miles?)\b|every run|each run|same (?:point|time"
    r"|spot|distance))"
    r"|\b(?:always|every time|every run|each run)\b[a-z ]{0,25}\d+(?:\.\d+)?\s?(?:k|km|kms|mins?|minutes?"
    r"|miles?)\b",
    re.IGNORECASE,
)
# A single run longer than anything before: a long-run spike (spec §2), said outright.
_LONG_RUN_RE = re.compile(
    r"\b(?:longest run|longest ever|first (?:half|marathon|ultra|full|half marathon|\d+ ?k)"
    r"|(?:ran|run|went) (?:further|farther|longer) than (?:ever|i ever|before|usual)"
    r"|long run went (?:up )?from \d+|new distance pb|furthest i've (?:ever )?run)\b",
    re.IGNORECASE,
)

_STAIRS_RE = re.compile(r"\b(?:stairs?|staircase|downstairs|upstairs|steps)\b", re.IGNORECASE)
# Ottawa's "can you take four steps" is about walking, not stairs
_WALKING_STEPS_RE = re.compile(r"\b(?:four|4|few|couple of|two|2|any) steps\b", re.IGNORECASE)
_DOWNHILL_RE = re.compile(
    r"\b(?:downhills?|down ?hills?|down slopes?|running down ?hill|declines?|descents?)\b", re.IGNORECASE
)
_PAIN_OR_FINE_RE = re.compile(
    r"\b(?:hurts?|hurting|painful|pain|sore|aches?|aching|worse|worst|kills?|killing|agony|flares?"
    r"|flaring|aggravates?"
    r"|fine|ok|okay|no problem|(?:doesn'?t|don'?t|does not|do not|never) (?:hurt|bother))\b",
    re.IGNORECASE,
)
_WEEKLY_RE = re.compile(r"\b(?:week|weekly|weeks|wk|wks|mileage|volume)\b", re.IGNORECASE)
_AGE_RE = re.compile(
    r"\b(?:i'?m|i am|aged?|age is|turning|turned)\s?(\d{2,3})\b"
    r"(?!\s?(?:k|km|kms|kg|kgs|mi|miles?|min|mins|minutes?|%|percent|cm|m|days?|weeks?"
    r"|months?|hours?|times?|x)\b)"
    r"|\b(\d{2,3})\s?(?:years? old|yrs? old|yo|y/o|y\.o\.)",
    re.IGNORECASE,
)


def volunteered_answers(text: str | None) -> dict[str, Any]:
    """Answers stated outright in `text`: stairs_descent_pain, downhill_worse,
    weekly_change_pct (a number) and age. Empty when there are none."""
    if not text:
        return {}
    text = text[: parsing.MAX_SCAN_CHARS]
    found: dict[str, Any] = {}
    names_pain = _PAIN_OR_FINE_RE.search(text) is not None
    if names_pain and _STAIRS_RE.search(text) and not _WALKING_STEPS_RE.search(text):
        stairs = parsing.parse_stairs(text)
        if stairs is not None:
            found["stairs_descent_pain"] = stairs
    if names_pain and _DOWNHILL_RE.search(text):
        downhill = parsing.parse_downhill(text)
        if downhill is not None:
            found["downhill_worse"] = downhill
    if _WEEKLY_RE.search(text):
        change = parsing.parse_weekly_change(text)
        if change is not None and change.pct is not None:
            found["weekly_change_pct"] = round(change.pct, 1)
    if _PATTERN_RE.search(text) and parsing.parse_predictable_onset(text) is True:
        found["predictable_onset"] = True
    if _LONG_RUN_RE.search(text):
        found["training_changes"] = ["long_run_spike"]
    age_statement = _AGE_RE.search(text)
    if age_statement:
        age = parsing.parse_age(age_statement.group(0))
        if age is not None:
            found["age"] = age
    return found

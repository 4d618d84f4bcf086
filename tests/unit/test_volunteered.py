"""Answers to later questions stated outright (bot/triage/volunteered.py).

A stray word must never fill a question the person has not answered: these cases pin both what
is kept and what is left for its own question.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.triage.volunteered import VOLUNTEERABLE, volunteered_answers


@pytest.mark.parametrize(
    "text,expected",
    [
        ("it only hurts going down stairs", {"stairs_descent_pain": True}),
        ("descending the stairs hurts", {"stairs_descent_pain": True}),
        ("downhill kills it", {"downhill_worse": True}),
        ("going down hills is the worst", {"downhill_worse": True}),
        ("stairs are fine but downhill hurts", {"stairs_descent_pain": False, "downhill_worse": True}),
        ("I went from 30 to 45 km a week", {"weekly_change_pct": 50.0}),
        ("I'm 34", {"age": 34}),
        ("always kicks in about 5k into a run", {"predictable_onset": True}),
        ("comes on at about 20 minutes every run and goes away when I stop", {"predictable_onset": True}),
        ("yes, always at about 4 km and it eases when I walk", {"predictable_onset": True}),
        ("it started after my first half marathon", {"training_changes": ["long_run_spike"]}),
        ("34 years old and my mileage went up 20%", {"weekly_change_pct": 20.0, "age": 34}),
    ],
)
def test_answers_stated_outright_are_kept(text: str, expected: dict[str, Any]) -> None:
    assert volunteered_answers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "lots of downhill trail running",  # running downhill, but nothing about pain
        "I run 40 km a week",  # a distance, no change
        "I'm 30km a week now",  # a number after "I'm" that is not an age
        "I'm 5 weeks into training",
        "it started 3 weeks ago",
        "gradually over a few weeks",
        "I can't take four steps, it hurts",  # Ottawa walking steps, not stairs
        "I've cut back since it started hurting",  # after the pain, not the load before it
        "none of these",
        "",
        "x" * 5000,
    ],
)
def test_vague_or_unrelated_messages_fill_nothing(text: str) -> None:
    assert volunteered_answers(text) == {}


def test_only_the_questions_it_knows_are_filled() -> None:
    text = (
        "I'm 41, went from 20 to 30 km a week, stairs and downhill both hurt, it always starts at "
        "about 6 km, ever since my longest run"
    )
    found = volunteered_answers(text)
    assert set(found) == set(VOLUNTEERABLE)
    assert found == {
        "age": 41,
        "weekly_change_pct": 50.0,
        "stairs_descent_pain": True,
        "downhill_worse": True,
        "predictable_onset": True,
        "training_changes": ["long_run_spike"],
    }

"""The fallback classifier that knows which intents mean the same thing (components/fallback.py)."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from components.fallback import SameMeaningFallbackClassifier

CONFIG = {"threshold": 0.4, "ambiguity_threshold": 0.05, "same_meaning": [["start_triage", "inform"]]}


def classify(ranking: dict[str, float], config: dict | None = None) -> str:
    config = {**SameMeaningFallbackClassifier.get_default_config(), **(config or CONFIG)}
    classifier = SameMeaningFallbackClassifier.create(
        config, None, Resource("fallback"), ExecutionContext(GraphSchema({}))
    )
    entries = [{"name": name, "confidence": value} for name, value in ranking.items()]
    entries.sort(key=lambda e: -e["confidence"])
    message = Message.build("some text")
    message.set("intent", entries[0])
    message.set("intent_ranking", entries)
    return classifier.process([message])[0].get("intent")["name"]


def rasa_classify(ranking: dict[str, float]) -> str:
    config = {"threshold": CONFIG["threshold"], "ambiguity_threshold": CONFIG["ambiguity_threshold"]}
    entries = sorted(
        ({"name": n, "confidence": v} for n, v in ranking.items()), key=lambda e: -e["confidence"]
    )
    message = Message.build("some text")
    message.set("intent", entries[0])
    message.set("intent_ranking", entries)
    return FallbackClassifier(config).process([message])[0].get("intent")["name"]


def test_an_opener_between_two_intents_of_one_meaning_is_understood() -> None:
    # "my knee hurts on the outside when I run": what the trained model scored
    ranking = {"start_triage": 0.50, "inform": 0.47, "greet": 0.02, "ask_recovery_time": 0.01}
    assert rasa_classify(ranking) == "nlu_fallback"  # Rasa's own rule: "sorry, I didn't understand"
    assert classify(ranking) == "start_triage"


def test_two_intents_of_one_meaning_together_clear_the_threshold() -> None:
    ranking = {"inform": 0.30, "start_triage": 0.28, "greet": 0.22, "deny": 0.20}
    assert rasa_classify(ranking) == "nlu_fallback"
    assert classify(ranking) == "inform"


def test_the_best_meaning_wins_even_when_another_intent_scored_highest() -> None:
    ranking = {"greet": 0.40, "start_triage": 0.32, "inform": 0.28}
    assert rasa_classify(ranking) == "greet"
    assert classify(ranking) == "start_triage"  # the person asked to start, in two ways


@pytest.mark.parametrize(
    "ranking",
    [
        {"affirm": 0.50, "deny": 0.47, "inform": 0.03},  # different meanings, too close
        {"greet": 0.30, "affirm": 0.25, "deny": 0.25, "inform": 0.20},  # nothing likely enough
        {"ask_recovery_time": 0.44, "start_triage": 0.40, "greet": 0.10, "inform": 0.06},  # 0.46 vs 0.44
    ],
)
def test_real_uncertainty_still_falls_back(ranking) -> None:
    assert classify(ranking) == "nlu_fallback"


def test_without_groups_it_is_rasas_fallback_classifier() -> None:
    for ranking in (
        {"start_triage": 0.50, "inform": 0.47, "greet": 0.03},
        {"greet": 0.9, "affirm": 0.1},
        {"greet": 0.3, "affirm": 0.3, "deny": 0.4},
    ):
        assert classify(ranking, {"threshold": 0.4, "ambiguity_threshold": 0.05}) == rasa_classify(ranking)

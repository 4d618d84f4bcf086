"""Rasa's FallbackClassifier, told which intents mean the same thing to this assistant.

Outside the questions, "start_triage" ("can you check my knee?") and "inform" (a described
symptom: "my knee hurts on the outside when I run") lead to the same place: the first question.
A natural opener often sits between the two — start_triage 0.50, inform 0.47 — and Rasa's
ambiguity rule (the top two within `ambiguity_threshold`) turned it into nlu_fallback: "Sorry,
I didn't understand", to a person who had said exactly what the assistant asks for.

Here the two checks compare *meanings*, not intents: the confidences of the intents in one
`same_meaning` group are added up. A message falls back when its best meaning is below
`threshold`, or when the best two meanings are within `ambiguity_threshold`. The predicted
intent is the classifier's best one within the best meaning: usually its top intent, so the
rules and stories see what they always saw.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import (
    AMBIGUITY_THRESHOLD_KEY,
    THRESHOLD_KEY,
    FallbackClassifier,
)
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

SAME_MEANING_KEY = "same_meaning"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SameMeaningFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), SAME_MEANING_KEY: []}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        # intent -> the name of its meaning (the group's first intent; itself if in no group)
        self._meaning: dict[str, str] = {}
        for group in config.get(SAME_MEANING_KEY) or []:
            for intent in group:
                self._meaning[intent] = group[0]

    def meanings(self, message: Message) -> list[tuple[str, float]]:
        """The message's meanings, best first, each with its intents' confidences added up."""
        totals: dict[str, float] = {}
        for entry in message.data.get(INTENT_RANKING_KEY) or [message.data.get(INTENT) or {}]:
            name = entry.get(INTENT_NAME_KEY)
            if name is None:
                continue
            meaning = self._meaning.get(name, name)
            totals[meaning] = totals.get(meaning, 0.0) + float(entry.get(PREDICTED_CONFIDENCE_KEY, 0.0))
        return sorted(totals.items(), key=lambda item: -item[1])

    def process(self, messages: list[Message]) -> list[Message]:
        messages = super().process(messages)
        for message in messages:
            intent = message.data.get(INTENT) or {}
            meanings = self.meanings(message)
            if not meanings or intent.get(INTENT_NAME_KEY) in (None, DEFAULT_NLU_FALLBACK_INTENT_NAME):
                continue
            best = meanings[0][0]
            if self._meaning.get(intent[INTENT_NAME_KEY], intent[INTENT_NAME_KEY]) != best:
                # e.g. greet 0.40 vs start_triage 0.30 + inform 0.25: the person asked to start
                message.data[INTENT] = next(
                    entry
                    for entry in message.data[INTENT_RANKING_KEY]
                    if self._meaning.get(entry.get(INTENT_NAME_KEY), entry.get(INTENT_NAME_KEY)) == best
                )
        return messages

    def _nlu_confidence_below_threshold(self, message: Message) -> tuple[bool, float]:
        meanings = self.meanings(message)
        if not meanings:
            return super()._nlu_confidence_below_threshold(message)
        confidence = meanings[0][1]
        return confidence < self.component_config[THRESHOLD_KEY], confidence

    def _nlu_prediction_ambiguous(self, message: Message) -> tuple[bool, float | None]:
        meanings = self.meanings(message)
        if len(meanings) < 2:
            return False, None
        difference = meanings[0][1] - meanings[1][1]
        return difference < self.component_config[AMBIGUITY_THRESHOLD_KEY], difference

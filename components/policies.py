"""Rasa's TED and memoization policies, not run when the rule policy's answer is certain to win.

While a form runs its happy path (the person answered the question; the form asks the next one),
Rasa's RulePolicy predicts the form, then `action_listen`, as "no-user predictions", which overrule
every other policy's prediction (`DefaultPolicyPredictionEnsemble._pick_best_policy`). Rasa still
runs every policy for every prediction: TED's TensorFlow inference and its featurisation of the
conversation were about a quarter of the Rasa server's CPU under load, mostly for answers that
could not be used. These subclasses return "no prediction" in exactly that case: the RulePolicy
has a loop happy-path action and no default action (restart, back, session start) comes first.
Every other turn, and the whole of training, is Rasa's own policy.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker


def rule_policy_decides(tracker: DialogueStateTracker) -> bool:
    """True when the RulePolicy's prediction is a loop happy-path one (it overrules all others)."""
    if RulePolicy._find_action_from_default_actions(tracker)[0] is not None:
        return False
    return RulePolicy._find_action_from_loop_happy_path(tracker)[0] is not None


class _SkippedWhileRulePolicyDecides:
    """Rasa's policy, answering "no prediction" without computing one when it cannot be used."""

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kwargs: Any
    ) -> PolicyPrediction:
        if rule_policy_decides(tracker):
            return self._prediction(self._default_predictions(domain))  # type: ignore[attr-defined]
        return super().predict_action_probabilities(tracker, domain, *args, **kwargs)  # type: ignore[misc]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class LoopAwareTEDPolicy(_SkippedWhileRulePolicyDecides, TEDPolicy):
    pass


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class LoopAwareMemoizationPolicy(_SkippedWhileRulePolicyDecides, MemoizationPolicy):
    pass

"""Rasa's TED and memoization policies, not run when the rule policy's answer is certain to win.

While a form runs its happy path (the person answered the question; the form asks the next one),
Rasa's RulePolicy predicts the form, then `action_listen`, as "no-user predictions", which overrule
every other policy's prediction (`DefaultPolicyPredictionEnsemble._pick_best_policy`). Rasa still
runs every policy for every prediction: TED's TensorFlow inference and its featurisation of the
conversation were about a quarter of the Rasa server's CPU under load, mostly for answers that
could not be used. These subclasses return "no prediction" in exactly that case: the RulePolicy
has a loop happy-path action and no default action (restart, back, session start) comes first.
Every other turn, and the whole of training, is Rasa's own policy.

The shortcut relies on private functions of Rasa's RulePolicy and policy ensemble; it goes through
components/patch_guard.py: on another Rasa, or when those have changed, the policies always run
(logged), as Rasa's own do.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from components import patch_guard
from components.patch_guard import Target

# What the shortcut calls or depends on, as in Rasa 3.6.21 (components/patch_guard.py): the
# RulePolicy's own choice, the ensemble's rule that no-user predictions overrule all others.
RELIED_ON = (
    Target(RulePolicy, "_find_action_from_default_actions", ("tracker",), source_digest="e453b06d15947c81"),
    Target(RulePolicy, "_find_action_from_loop_happy_path", ("tracker",), source_digest="b7f8b7119933ad3f"),
    Target(
        DefaultPolicyPredictionEnsemble,
        "_pick_best_policy",
        ("predictions",),
        source_digest="ae2dd5555a9a6aa7",
    ),
    Target(Policy, "_default_predictions", ("self", "domain")),
)
_shortcut = False


def apply() -> bool:
    """Idempotent; True if the shortcut is on, False if the guard refused (logged)."""
    global _shortcut
    _shortcut = patch_guard.allowed("policies.skip_while_rule_policy_decides", *RELIED_ON)
    return _shortcut


def rule_policy_decides(tracker: DialogueStateTracker) -> bool:
    """True when the RulePolicy's prediction is a loop happy-path one (it overrules all others);
    always False when the guard refused the shortcut."""
    if not _shortcut:
        return False
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


apply()

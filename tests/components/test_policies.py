"""TED and memoization are skipped only when the RulePolicy's loop happy path overrules them."""

from __future__ import annotations

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components.policies import LoopAwareMemoizationPolicy, LoopAwareTEDPolicy, rule_policy_decides

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform, restart, ask_why]
slots:
  pain_location: {type: text, mappings: [{type: from_text}]}
forms:
  triage_form: {required_slots: [pain_location]}
"""
)


def in_form(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "s",
        [
            ActionExecuted("action_listen"),
            UserUttered("check my knee", {"name": "inform", "confidence": 1.0}),
            ActionExecuted("triage_form"),
            ActiveLoop("triage_form"),
            SlotSet("requested_slot", "pain_location"),
            ActionExecuted("action_listen"),
            *events,
        ],
    )


ANSWER = UserUttered("outside of the knee", {"name": "inform", "confidence": 1.0})


def test_the_rule_policy_decides_on_the_forms_happy_path() -> None:
    assert rule_policy_decides(in_form(ANSWER))  # the form runs next
    assert rule_policy_decides(in_form(ANSWER, ActionExecuted("triage_form")))  # then it listens


@pytest.mark.parametrize(
    "tracker",
    [
        in_form(ANSWER, ActionExecutionRejected("triage_form")),  # unhappy path: stories decide
        in_form(UserUttered("/restart", {"name": "restart", "confidence": 1.0})),  # default action
        DialogueStateTracker.from_events(
            "s", [ActionExecuted("action_listen"), UserUttered("why?", {"name": "ask_why"})]
        ),  # no form
    ],
)
def test_otherwise_every_policy_predicts(tracker: DialogueStateTracker) -> None:
    assert not rule_policy_decides(tracker)


def test_a_happy_path_prediction_overrules_any_other(monkeypatch: pytest.MonkeyPatch) -> None:
    # the premise: Rasa's ensemble never uses TED's answer next to a no-user prediction
    rule = PolicyPrediction([0.0, 1.0, 0.0], "RulePolicy", 6, is_no_user_prediction=True)
    ted = PolicyPrediction([1.0, 0.0, 0.0], "TEDPolicy", 1, is_end_to_end_prediction=True)
    assert DefaultPolicyPredictionEnsemble._pick_best_policy([ted, rule]).policy_name == "RulePolicy"


@pytest.mark.parametrize(
    ("policy_class", "parent"),
    [(LoopAwareTEDPolicy, TEDPolicy), (LoopAwareMemoizationPolicy, MemoizationPolicy)],
)
def test_the_policies_skip_only_then(policy_class, parent, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = object.__new__(policy_class)
    policy.priority = 1
    asked: list[DialogueStateTracker] = []

    def parent_predicts(self, tracker, domain, *args, **kwargs):
        asked.append(tracker)
        return PolicyPrediction([1.0] + [0.0] * (domain.num_actions - 1), parent.__name__, 1)

    monkeypatch.setattr(parent, "predict_action_probabilities", parent_predicts)
    skipped = policy.predict_action_probabilities(in_form(ANSWER), DOMAIN)
    assert skipped.max_confidence == 0.0 and asked == []
    unhappy = in_form(ANSWER, ActionExecutionRejected("triage_form"))
    assert policy.predict_action_probabilities(unhappy, DOMAIN).max_confidence == 1.0
    assert asked == [unhappy]


def test_ted_is_still_rasas_ted() -> None:
    assert issubclass(LoopAwareTEDPolicy, TEDPolicy)
    assert LoopAwareTEDPolicy.get_default_config() == TEDPolicy.get_default_config()

"""The resumed dialogue states are Rasa's own, for every conversation the stories and rules describe."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from components import state_history

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def conversations():
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain"),
        training_data_paths=[str(ROOT / "data" / "stories"), str(ROOT / "data" / "rules")],
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=10).generate()
    return domain, trackers


def rasas(domain, tracker, *arguments):
    return state_history._rasa_states_for_tracker_history(domain, tracker, *arguments)


def test_every_story_and_rule_gives_rasas_states_at_every_action(conversations) -> None:
    domain, trackers = conversations
    assert len(trackers) > 60
    rule_only = {RULE_ONLY_SLOTS: ["red_flag_screen"], RULE_ONLY_LOOPS: ["triage_form"]}
    kinds = list(itertools.product([False, True], [False, True], [None, rule_only]))
    compared = resumed_from_a_point = 0
    for number, story in enumerate(trackers):
        live = DialogueStateTracker(f"person-{number}", domain.slots)
        live.model_id = "model"  # as Rasa's processor stamps a live conversation
        for event in story.events:
            live.update(event)
            if not isinstance(event, (ActionExecuted, UserUttered)):
                continue
            assert list(map(id, state_history.applied_events(live))) == list(map(id, live.applied_events()))
            for omit_unset, ignore_rule_only, rule_only_data in (
                kinds[compared % 8],
                kinds[(compared + 3) % 8],
            ):
                arguments = (omit_unset, ignore_rule_only, rule_only_data if ignore_rule_only else None)
                before = state_history._histories.get((live.sender_id, omit_unset, ignore_rule_only))
                assert live.past_states(domain, *arguments) == rasas(domain, live, *arguments)
                resumed_from_a_point += before is not None
                compared += 1
        # the person takes back their last message: an earlier turn is the latest again
        live.update(UserUtteranceReverted())
        assert list(map(id, state_history.applied_events(live))) == list(map(id, live.applied_events()))
        assert live.past_states(domain, False, True, rule_only) == rasas(domain, live, False, True, rule_only)
        shorter = live.travel_back_in_time(live.events[len(live.events) // 2].timestamp)
        shorter.model_id = "model"
        assert shorter.past_states(domain) == rasas(domain, shorter)
    assert compared > 1000 and resumed_from_a_point > compared * 0.9


def test_other_trackers_are_computed_by_rasa_from_the_start(conversations) -> None:
    domain, trackers = conversations
    training = trackers[0]  # no model id: training and story tests
    state_history._histories.clear()
    assert training.past_states(domain) == rasas(domain, training)
    assert not state_history._histories

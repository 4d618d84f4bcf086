"""Rasa's dialogue states of a conversation, resumed from the last turns instead of recomputed.

For every prediction each policy asks for the states of the whole conversation
(`Domain.states_for_tracker_history`): Rasa replays every event from the start and builds a
state at each action. The cost grows with the conversation and is paid several times per
message (each policy, each action of the turn): in a 50-message conversation about a quarter of
the Rasa server's CPU. Here the same loop (Rasa's code, below, line for line) keeps where it
was: the states so far and copies of its replay at the last actions. The next call with the
same conversation finds how much of its event list is the same (the same event objects: the
tracker store's cache shares them between messages) and resumes from the last kept point
before the first difference; only new or changed turns are replayed. A form that runs again
takes back its previous turn's events (Rasa's `applied_events`), so a few points are kept.
Anything else — another conversation, an event changed further back, a tracker from training —
is computed from the start, as Rasa does.

Only live conversations use it (trackers that Rasa's processor stamped with the model id):
training and story tests build thousands of one-off trackers.

The replacement goes through components/patch_guard.py: on another Rasa, or when the Rasa code it
re-implements (the states loop, `applied_events`, the replay of prior trackers) or the helpers it
calls have changed, Rasa's own `states_for_tracker_history` stays (logged).
"""

from __future__ import annotations

import itertools
import operator
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components import patch_guard
from components.patch_guard import Replace, Target
from components.tracker_cache import copy_tracker, keep_recent

MAX_HISTORIES = 300  # (conversation, kind of states): about 100 conversations being answered
KEEP_POINTS = 4  # resume points kept: the starts of the last few turns

_rasa_states_for_tracker_history = Domain.states_for_tracker_history


@dataclass
class _Point:
    """The replay just before the applied event `index` (an `action_listen`: a turn's start)."""

    index: int
    tracker: DialogueStateTracker
    states: int
    last_ml_action_sub_state: Any
    turn_was_hidden: bool


@dataclass
class _History:
    domain: Domain
    rule_only_data: Any
    applied: list[Event]
    states: list[State]  # the states before each action (not the final one)
    points: list[_Point] = field(default_factory=list)


_histories: OrderedDict[tuple, _History] = OrderedDict()


def _snapshot(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The replay's state (what `get_active_state` reads), without its event list (unread)."""
    return copy_tracker(tracker, with_events=False)


def _common_prefix(a: Any, b: Any) -> int:
    """How many first events `a` and `b` share (the same objects)."""
    same = list(map(operator.is_, a, b))
    try:
        return same.index(False)
    except ValueError:
        return len(same)


@dataclass
class _Applied:
    events: list[Event]  # the conversation's events it was computed from
    loop_names: set[str]
    applied: list[Event]


_applied: OrderedDict[str, _Applied] = OrderedDict()


def _apply(
    tracker: DialogueStateTracker, events: Any, applied: list[Event], loop_names: set[str]
) -> list[Event]:
    # the body of Rasa's `DialogueStateTracker.applied_events` loop, unchanged
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`tracker.applied_events()`, continued from this conversation's previous call when its
    events then are the first events now and no new form appeared (Rasa's loop depends on
    the names of all forms in the conversation)."""
    events = tracker.events
    known = _applied.get(tracker.sender_id)
    if known is not None and _common_prefix(known.events, events) == len(known.events):
        new = list(itertools.islice(events, len(known.events), None))
        if all(e.name in known.loop_names for e in new if isinstance(e, ActiveLoop) and e.name):
            applied = _apply(tracker, new, list(known.applied), known.loop_names)
            keep_recent(
                _applied,
                tracker.sender_id,
                _Applied(known.events + new, known.loop_names, applied),
                MAX_HISTORIES,
            )
            return applied
    loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
    applied = _apply(tracker, events, [], loop_names)
    keep_recent(_applied, tracker.sender_id, _Applied(list(events), loop_names, applied), MAX_HISTORIES)
    return applied


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`Domain.states_for_tracker_history` of Rasa 3.6.21, resumable (same arguments, result)."""
    if tracker.model_id is None:
        return _rasa_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    key = (tracker.sender_id, omit_unset_slots, ignore_rule_only_turns)
    applied = applied_events(tracker)
    history = _histories.get(key)

    start: _Point | None = None
    if history is not None and history.domain is self and history.rule_only_data is rule_only_data:
        same = _common_prefix(history.applied, applied)
        for point in reversed(history.points):
            if point.index <= same:
                start = point
                break
    if start is not None and history is not None:
        replay = _snapshot(start.tracker)
        states = history.states[: start.states]
        last_ml_action_sub_state = start.last_ml_action_sub_state
        turn_was_hidden = start.turn_was_hidden
        points = [p for p in history.points if p.index < start.index]
        first = start.index
    else:
        replay = tracker.init_copy()
        states, last_ml_action_sub_state, turn_was_hidden = [], None, False
        points, first = [], 0

    def add_state(tr: DialogueStateTracker, hide_rule_turn: bool, into: list[State]) -> None:
        # the body of Rasa's loop over `generate_all_prior_trackers`, unchanged
        nonlocal last_ml_action_sub_state, turn_was_hidden
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = self._get_prev_action_sub_state(tr)
            if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                return
        state = self.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if into:
                self._substitute_rule_only_user_input(state, into[-1])
            if last_ml_action_sub_state:
                state[constants.PREVIOUS_ACTION] = last_ml_action_sub_state
        into.append(self._clean_state(state))

    keep_from = len(applied) - 12 * KEEP_POINTS  # no copies for points too old to be kept
    for index in range(first, len(applied)):
        event = applied[index]
        if isinstance(event, ActionExecuted):
            if index >= keep_from and event.action_name == ACTION_LISTEN_NAME:
                points.append(
                    _Point(index, _snapshot(replay), len(states), last_ml_action_sub_state, turn_was_hidden)
                )
            add_state(replay, event.hide_rule_turn, states)
        replay.update(event)

    result = list(states)
    add_state(replay, False, result)

    keep_recent(
        _histories, key, _History(self, rule_only_data, applied, states, points[-KEEP_POINTS:]), MAX_HISTORIES
    )
    return result


# What the patch replaces, re-implements and calls, as in Rasa 3.6.21 (components/patch_guard.py).
STATES_FOR_TRACKER_HISTORY = Target(
    Domain,
    "states_for_tracker_history",
    ("self", "tracker", "omit_unset_slots", "ignore_rule_only_turns", "rule_only_data"),
    source_digest="035111ce73ac90ba",
)
RELIED_ON = (
    Target(DialogueStateTracker, "applied_events", ("self",), source_digest="764d5065ea9997d6"),
    Target(DialogueStateTracker, "generate_all_prior_trackers", ("self",), source_digest="a1f6954347b52649"),
    Target(DialogueStateTracker, "init_copy", ("self",)),
    Target(DialogueStateTracker, "_create_events", ("self", "evts")),
    Target(DialogueStateTracker, "_undo_till_previous", ("event_type", "done_events")),
    Target(DialogueStateTracker, "_undo_till_previous_loop_execution", ("loop_action_name", "done_events")),
    Target(
        DialogueStateTracker,
        "_first_loop_execution_or_unhappy_path",
        ("self", "loop_action_name", "applied_events"),
    ),
    Target(Domain, "get_active_state", ("self", "tracker", "omit_unset_slots")),
    Target(Domain, "_get_prev_action_sub_state", ("tracker",)),
    Target(Domain, "_remove_rule_only_features", ("state", "rule_only_data")),
    Target(Domain, "_substitute_rule_only_user_input", ("state", "last_ml_state")),
    Target(Domain, "_clean_state", ("state",)),
)


def apply() -> bool:
    """Idempotent; True if installed, False if the guard refused (logged: Rasa's own states)."""
    return patch_guard.apply(
        "state_history", Replace(STATES_FOR_TRACKER_HISTORY, states_for_tracker_history), checked=RELIED_ON
    )


apply()

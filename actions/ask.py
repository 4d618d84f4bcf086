"""`action_ask_<slot>`: asks a form question, with an example after one unclear answer and the
buttons front and centre after two (`reask_count` is kept by the form validators)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.failures import reports_failures
from actions.questions import ALL_QUESTIONS, question_text, weekly_baseline_question

# The form validators set these markers in `reask_count`; question_text words them.
from actions.questions import EXACT_AGE as EXACT_AGE
from actions.questions import MOVED_ON as MOVED_ON


def buttons(titles: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    # The payload is the title itself: a tap is understood exactly like typing it.
    return [{"title": title, "payload": title} for title in titles]


def _ask_action(slot: str) -> type[Action]:
    question = ALL_QUESTIONS[slot]

    @reports_failures
    class AskAction(Action):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[dict[str, Any]]:
            attempts = int(tracker.get_slot("reask_count") or 0)
            text = question_text(question, attempts)
            delta = tracker.get_slot("mileage_delta_km")
            if slot == "weekly_change_pct" and delta is not None:
                # We have the increase but not what it's an increase on.
                dispatcher.utter_message(text=weekly_baseline_question(delta))
                return []
            dispatcher.utter_message(text=text, buttons=buttons(question.buttons))
            return []

    AskAction.__name__ = AskAction.__qualname__ = f"Ask_{slot}"
    return AskAction


ASK_ACTIONS = [_ask_action(slot) for slot in ALL_QUESTIONS]
ASK_ACTIONS_BY_SLOT = dict(zip(ALL_QUESTIONS, ASK_ACTIONS, strict=False))

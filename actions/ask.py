"""`action_ask_<slot>`: asks a form question, with an example after one unclear answer and the
buttons front and centre after two (`reask_count` is kept by the form validators)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.failures import reports_failures
from actions.questions import ALL_QUESTIONS, Question


def buttons(titles: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    # The payload is the title itself: a tap is understood exactly like typing it.
    return [{"title": title, "payload": title} for title in titles]


MOVED_ON = -1  # the previous question was asked three times and noted as "not sure"
EXACT_AGE = -2  # an age band that spans 55 was given after an injury


def question_text(question: Question, attempts: int) -> str:
    if attempts == MOVED_ON:
        return f'Let\'s leave that one as "not sure" and move on. {question.text}'
    if attempts == EXACT_AGE:
        return (
            "After a knee injury it matters whether you're 55 or over (it changes whether an X-ray "
            'is advised). Could you tell me your exact age? For example: "57".'
        )
    if attempts <= 0:
        return question.text
    if attempts == 1:
        return f'Sorry, I didn\'t quite catch that. {question.text} For example: "{question.example}".'
    if question.buttons:
        return (
            "Let's try it with the buttons: tap the one that fits best. "
            'If none fit, type "talk to a person" and our reception team will help.'
        )
    return (
        f'Sorry, I still couldn\'t use that. {question.text} For example: "{question.example}". '
        'If you\'d rather, type "talk to a person".'
    )


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
                text = (
                    f"Got it: about {delta:g} km a week more than before. Roughly how far were you "
                    'running each week before that (e.g. "40 km" or "25 miles")?'
                )
                dispatcher.utter_message(text=text)
                return []
            dispatcher.utter_message(text=text, buttons=buttons(question.buttons))
            return []

    AskAction.__name__ = AskAction.__qualname__ = f"Ask_{slot}"
    return AskAction


ASK_ACTIONS = [_ask_action(slot) for slot in ALL_QUESTIONS]
ASK_ACTIONS_BY_SLOT = dict(zip(ALL_QUESTIONS, ASK_ACTIONS, strict=False))

"""Answers to the person's own questions, at any point of the conversation.

Inside a form the rules run these and then the form asks its question again, so an answer is
never lost. After a red flag, advice topics give way to the safety route: no exercise advice.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import wording
from actions.ask import MOVED_ON, buttons
from actions.failures import reports_failures
from actions.questions import ALL_QUESTIONS, TRIAGE_QUESTIONS
from actions.slots import answers_from_slots, triage_in_progress
from actions.triage_form import context_answer, give_up_value
from bot.triage import content

logger = logging.getLogger(__name__)

# Intents that ask for advice about managing ITB pain, and the content topic that answers each.
ADVICE_TOPICS = {
    "ask_foam_rolling": "foam_rolling",
    "ask_stretching": "stretching",
    "ask_pain_relief": "pain_relief",
    "ask_stop_running": "stop_running",
    "ask_exercises": "exercises",
    "ask_recovery_time": "recovery_time",
    "ask_what_is_itbs": "what_is_itbs",
}


def advice_for(topic: str, tracker: Tracker) -> content.Advice:
    if topic == "compression_model_long":
        return content.compression_model(short=False)
    if topic == "compression_model":
        return content.compression_model(short=True)
    if topic == "load_plan":
        return content.load_plan(answers_from_slots(tracker.slots))
    if topic == "hip_exercises":
        return content.hip_exercises()
    return content.topic_answer(topic)


def _red_flag_hold(tracker: Tracker) -> str | None:
    flags = tracker.get_slot("red_flags") or tracker.get_slot("red_flags_reported")
    if not flags:
        return None
    return wording.ADVICE_ON_HOLD


# Advice that assumes ITB pain: given only when it fits (issue 7).
ITBS_ADVICE_TOPICS = frozenset({"foam_rolling", "stop_running", "exercises", "recovery_time"})
_FRICTION_RE = re.compile(r"\b(?:friction|rub|rubs|rubbing)\b", re.IGNORECASE)
_ELSEWHERE_LOCATIONS = frozenset({"anterior", "medial", "posterior"})


def advice_fits(tracker: Tracker) -> bool:
    """ITBS advice fits after an ITBS-likely result, or before the result while nothing so far
    points elsewhere (an injury, pain away from the outside of the knee, a §4 pointer)."""
    outcome = tracker.get_slot("triage_outcome")
    if outcome is not None:
        return outcome == "book_running_assessment"
    answers = answers_from_slots(tracker.slots)
    return not (
        answers.onset == "sudden_injury" or answers.pain_location in _ELSEWHERE_LOCATIONS or answers.symptoms
    )


def _opening_question(tracker: Tracker) -> bool:
    """The person's first message of the session, with no triage under way or done."""
    if tracker.active_loop_name or tracker.get_slot("triage_outcome") is not None:
        return False
    if triage_in_progress(tracker.slots):
        return False
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
        elif event.get("event") == "session_started":
            break
    return users == 1


@reports_failures
class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        last_topic = tracker.get_slot("last_topic")
        text = tracker.latest_message.get("text") or ""

        if tracker.active_loop_name == "triage_form":
            # A valid answer to the pending question is an answer, whatever the FAQ reading
            # ("ITB" at "where on your knee?" means the outside, not "what is ITBS?").
            slot = tracker.get_slot("requested_slot")
            value = context_answer(slot, text)
            if value is not None:
                return [SlotSet(slot, value), SlotSet("reask_count", 0)]

        if intent in ADVICE_TOPICS or intent == "ask_more":
            hold = _red_flag_hold(tracker)
            if hold:
                dispatcher.utter_message(text=hold)
                return []

        if intent in ADVICE_TOPICS:
            topic = ADVICE_TOPICS[intent]
            if _FRICTION_RE.search(text):
                topic = "friction_myth"  # "is it caused by friction?": a direct no, then why
            elif topic in ITBS_ADVICE_TOPICS and not advice_fits(tracker):
                dispatcher.utter_message(
                    text=content.assessment_first().text, buttons=buttons([wording.BOOK_AN_ASSESSMENT])
                )
                return [SlotSet("last_topic", None)]
            dispatcher.utter_message(
                text=advice_for(topic, tracker).text, buttons=buttons([wording.SHOW_THE_EVIDENCE])
            )
            if _opening_question(tracker):
                # A runner who opens with a question gets the answer, then the questions: the
                # answer alone leaves them wondering what to do next (issue 17).
                dispatcher.utter_message(response="utter_start_triage")
                return [SlotSet("last_topic", topic), FollowupAction("triage_form")]
            return [SlotSet("last_topic", topic)]
        if intent == "ask_more":
            # "Tell me more" deepens the compression model, the thing most people ask about.
            topic = "compression_model_long"
            dispatcher.utter_message(
                text=advice_for(topic, tracker).text, buttons=buttons([wording.SHOW_THE_EVIDENCE])
            )
            return [SlotSet("last_topic", topic)]
        if intent == "ask_evidence":
            keys = advice_for(last_topic, tracker).evidence_keys if last_topic else tuple(content.EVIDENCE)
            dispatcher.utter_message(text=content.evidence_text(keys))
            return []
        if intent == "ask_clinic_info":
            dispatcher.utter_message(text=wording.clinic_info())
            return []
        if intent == "bot_challenge":
            dispatcher.utter_message(text=wording.BOT_CHALLENGE)
            return []
        if intent == "ask_why":
            dispatcher.utter_message(text=wording.WHY_I_ASK)
            return []
        if intent == "other_injury":
            # Not a knee problem: say where it can be treated; inside the questions the form
            # then asks its question again (the person may have knee pain as well).
            dispatcher.utter_message(text=wording.other_injury(bool(tracker.active_loop_name)))
            return []
        if tracker.active_loop_name:
            # Inside the questions, anything off-topic (gibberish often looks off-topic to the
            # classifier) counts as an unclear answer: the form asks again, with an example.
            attempts = max(0, int(tracker.get_slot("reask_count") or 0))
            slot = tracker.get_slot("requested_slot")
            if attempts >= 2 and slot in TRIAGE_QUESTIONS:
                # asked three times already: noted as "not sure", the form moves on
                return [SlotSet(slot, give_up_value(slot)), SlotSet("reask_count", MOVED_ON)]
            return [SlotSet("reask_count", attempts + 1)]
        if intent == "unreadable":
            dispatcher.utter_message(
                text=wording.NOT_UNDERSTOOD, buttons=buttons(wording.NOT_UNDERSTOOD_BUTTONS)
            )
            return []
        dispatcher.utter_message(text=wording.OUT_OF_SCOPE)
        return []


@reports_failures
class ActionExplainWhy(Action):
    def name(self) -> str:
        return "action_explain_why"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slot = tracker.get_slot("requested_slot")
        question = ALL_QUESTIONS.get(slot or "")
        if question is None:
            dispatcher.utter_message(text=wording.WHY_I_ASK_OUTSIDE_QUESTIONS)
        else:
            dispatcher.utter_message(text=question.why)
        return []


@reports_failures
class ActionDefaultFallback(Action):
    """Said when the message wasn't understood at all (gibberish, another language, emoji)."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=wording.NOT_UNDERSTOOD, buttons=buttons(wording.NOT_UNDERSTOOD_BUTTONS))
        # Returning nothing keeps the conversation where it was (no UserUtteranceReverted: the
        # message stays in the transcript reception may read).
        return []

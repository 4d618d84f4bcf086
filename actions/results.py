"""`action_triage_result`: the outcome in plain words, the reasons, the advice, and the record.

Red flags come first and end the advice: a route (000, emergency department or GP), never
exercises. Otherwise an ITBS-typical story gets the compression model, a load plan built from
this person's answers and hip exercises; a story that points elsewhere gets an assessment offer
(the booking offer itself is `utter_offer_booking`, chosen by the rules from `triage_outcome`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import wording
from actions.ask import buttons
from actions.failures import reports_failures
from actions.safety import alerted_this_turn, continuing_flags, said_this_turn
from actions.slots import answers_from_slots, answers_record
from bot.db.repository import save_triage, upgrade_triage
from bot.db.session import run_in_session
from bot.triage import content
from bot.triage.engine import OUTSIDE_KNEE_FLAGS, assess

logger = logging.getLogger(__name__)

RED_FLAG_OUTCOMES = frozenset({"emergency", "urgent_medical", "medical_review"})


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "unknown"


@reports_failures
class ActionTriageResult(Action):
    def name(self) -> str:
        return "action_triage_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answers = answers_from_slots(tracker.slots)
        result = assess(answers)  # what is stored: every flag the conversation reached
        announced = set(tracker.get_slot("red_flags_announced") or [])

        triage_id = await self._record(tracker, result)

        continuing = continuing_flags(tracker) & set(result.red_flags)
        shown = result
        if continuing and set(result.red_flags) <= continuing:
            # Family violence, or a §3a sign not happening now: the knee is still assessed and
            # advised on, after a short reminder of where help is.
            dispatcher.utter_message(text=content.reminder_text(sorted(continuing)))
            shown = assess(
                dataclasses.replace(
                    answers,
                    red_flags=answers.red_flags - continuing,
                    acute_flags=answers.acute_flags - continuing,
                )
            )

        if (
            shown.outcome in RED_FLAG_OUTCOMES
            and alerted_this_turn(tracker)
            and set(shown.red_flags) <= OUTSIDE_KNEE_FLAGS
        ):
            # A §3a route given a moment ago (number first, a person offered): nothing to add
            # under it that could dilute it.
            topic = None
        elif shown.outcome in RED_FLAG_OUTCOMES:
            # The route again, even after an earlier alert: the summary is what people reread.
            # Not when the safety net's alert in this very turn said the same words just above.
            route = content.outcome_text(shown)
            if not said_this_turn(tracker, route):
                dispatcher.utter_message(text=route)
            dispatcher.utter_message(text=content.red_flag_reasons_text(shown))
            dispatcher.utter_message(
                text=wording.NO_ADVICE_AFTER_RED_FLAG,
                buttons=buttons([wording.TALK_TO_A_PERSON]),
            )
            topic = None
        elif shown.outcome == "book_running_assessment":
            dispatcher.utter_message(text=f"{content.outcome_text(shown)}\n\n{content.reasons_text(shown)}")
            dispatcher.utter_message(
                text=content.compression_model(short=True).text,
                buttons=buttons([wording.TELL_ME_MORE, wording.SHOW_THE_EVIDENCE]),
            )
            dispatcher.utter_message(text=content.load_plan(answers).text)
            dispatcher.utter_message(text=content.hip_exercises().text)
            topic = "compression_model"
        else:
            dispatcher.utter_message(text=f"{content.outcome_text(shown)}\n\n{content.reasons_text(shown)}")
            topic = None

        if triage_id is None:
            dispatcher.utter_message(text=wording.triage_not_saved())

        return [
            SlotSet("triage_outcome", result.outcome),
            SlotSet("itbs_likelihood", result.itbs_likelihood),
            SlotSet("red_flags", list(result.red_flags)),
            SlotSet("red_flags_announced", sorted(announced | set(result.red_flags))),
            SlotSet("triage_id", triage_id),
            SlotSet("last_topic", topic),
            SlotSet("reask_count", 0),
        ]

    @staticmethod
    async def _record(tracker: Tracker, result: Any) -> int | None:
        answers = answers_record(tracker.slots)
        earlier = tracker.get_slot("triage_id")

        def store(session: Any) -> Any:
            if earlier is not None:
                # the same triage again (a red flag after the result, or the questions carried on
                # after a §3a sign): one row, upgraded, never a second copy for reception
                upgraded = upgrade_triage(
                    session,
                    triage_id=int(earlier),
                    conversation_id=tracker.sender_id,
                    result=result,
                    answers=answers,
                )
                if upgraded is not None:
                    return upgraded
            return save_triage(
                session,
                conversation_id=tracker.sender_id,
                channel=channel_of(tracker),
                answers=answers,
                result=result,
            )

        try:
            triage = await run_in_session(store)
        except Exception:  # the person still gets their result; the failure is logged
            logger.exception("could not save the triage of %s", tracker.sender_id)
            return None
        return triage.id

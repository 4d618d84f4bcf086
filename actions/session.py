"""Session start (the notice), the triage's intro, starting over, and deleting a person's data."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import wording
from actions.failures import reports_failures
from actions.safety import alerted_this_turn, continuing_flags
from actions.slots import BOOKING_SLOTS, RESULT_SLOTS, TRIAGE_SLOTS
from bot.db.repository import delete_conversation_data
from bot.db.session import run_in_session, scrub_deleted

logger = logging.getLogger(__name__)

# Rasa's Socket.IO channel emits a custom payload's keys as `emit` arguments: `data` is what the
# browser receives with `bot_uttered`.
DATA_DELETED_EVENT = {"data": {"clinic_event": "data_deleted"}}


@reports_failures
class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=wording.NOTICE)
        return [SessionStarted(), ActionExecuted("action_listen")]


@reports_failures
class ActionStartTriage(Action):
    """The short intro before the first question, unless the safety net has just given a route
    in this turn: then the route is what the person reads, with no "let's start" under it."""

    def name(self) -> str:
        return "action_start_triage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        announced = set(tracker.get_slot("red_flags_announced") or [])
        stopping = announced - set(continuing_flags(tracker))
        if not (stopping and alerted_this_turn(tracker)):
            dispatcher.utter_message(response="utter_start_triage")
        return []


@reports_failures
class ActionStartOver(Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Red flags already reported stay: restarting the questions must not talk over them.
        dispatcher.utter_message(text=wording.START_OVER)
        cleared = (
            *TRIAGE_SLOTS,
            *RESULT_SLOTS,
            *BOOKING_SLOTS,
            "booking_pick",
            "booking_offer",
            "last_topic",
        )
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("reask_count", 0),
            SlotSet("triage_paused", False),
            *[SlotSet(slot, None) for slot in cleared],
        ]


@reports_failures
class ActionDeleteMyData(Action):
    """Removes the person's triages and booking requests; the transcript goes with the tracker
    store's own deletion (components/tracker_store.py) once this action has run."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            removed = await run_in_session(
                lambda session: delete_conversation_data(session, tracker.sender_id)
            )
        except Exception:
            logger.exception("could not delete the data of %s", tracker.sender_id)
            dispatcher.utter_message(text=wording.data_not_deleted())
            return []
        try:  # the deleted words must not stay readable in the database's files
            await asyncio.to_thread(scrub_deleted)
        except Exception:
            logger.exception("deleted, but could not empty the SQLite WAL afterwards")
        logger.info("deleted %d records of %s at their request", removed, tracker.sender_id)
        dispatcher.utter_message(text=wording.DATA_DELETED)
        # For the website widget: clear the screen and start a new conversation id
        # (docs/contracts.md). Telegram ignores custom payloads.
        dispatcher.utter_message(json_message=DATA_DELETED_EVENT)
        # The tracker store erases the stored transcript when it sees this slot set.
        return [SlotSet("erase_conversation", True)]

"""Booking requests and "talk to a person": details for reception, consent, a reference code."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import wording
from actions.failures import reports_failures
from actions.results import channel_of
from actions.safety import CONFIRM_SLOT, confirm_pending
from actions.slots import BOOKING_SLOTS, ignores_cleared_slots, triage_in_progress
from bot.db.models import SITES
from bot.db.repository import create_handoff
from bot.db.session import run_in_session
from bot.triage import parsing

logger = logging.getLogger(__name__)

MAX_TIMES = 200
_EITHER = re.compile(r"\b(either|any|both|whichever|no preference|don'?t mind)\b", re.IGNORECASE)


GAVE_UP = "not given"


def _reask(tracker: Tracker, slot: str) -> dict[str, Any]:
    attempts = max(0, int(tracker.get_slot("reask_count") or 0))
    if attempts >= 2:
        # asked three times: no loop; nothing is stored (no consent) and the person is told
        # how to reach reception instead (ActionSubmitBooking)
        unset = [s for s in BOOKING_SLOTS if s != "booking_consent" and tracker.get_slot(s) is None]
        return {**dict.fromkeys(unset, GAVE_UP), "booking_consent": False, "reask_count": 0}
    return {slot: None, "reask_count": attempts + 1}


@reports_failures
@ignores_cleared_slots
class ValidateBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        rest = [slot for slot in domain_slots if slot != CONFIRM_SLOT]
        if confirm_pending(tracker):
            return [CONFIRM_SLOT, *rest]  # a yes/no safety check comes first (actions/safety.py)
        return rest

    async def validate_red_flag_confirm(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return {CONFIRM_SLOT: str(value)[:200]}

    async def validate_booking_name(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        name = parsing.parse_name(str(value))
        if name is None:
            return _reask(tracker, "booking_name")
        return {"booking_name": name, "reask_count": 0}

    async def validate_booking_contact(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        contact = parsing.parse_contact(str(value))
        if contact is None:
            return _reask(tracker, "booking_contact")
        return {"booking_contact": contact.value, "booking_contact_kind": contact.kind, "reask_count": 0}

    async def validate_booking_site(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        text = str(value)
        site = parsing.parse_site(text)
        if site is None and _EITHER.search(text[:200]):
            site = "either"
        if site is None:
            return _reask(tracker, "booking_site")
        return {"booking_site": site, "reask_count": 0}

    async def validate_booking_times(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        times = " ".join(str(value).split())
        if not times or not re.search(r"\w", times):
            return _reask(tracker, "booking_times")
        return {"booking_times": times[:MAX_TIMES], "reask_count": 0}

    async def validate_booking_consent(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        consent = parsing.parse_yes_no(str(value))
        if consent is None:
            return _reask(tracker, "booking_consent")
        return {"booking_consent": consent, "reask_count": 0}


@reports_failures
class ActionStartHandoff(Action):
    def name(self) -> str:
        return "action_start_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = "talk_to_person" if intent == "request_human" else "booking"
        if tracker.get_slot("red_flags") and reason == "talk_to_person":
            reason = "red_flag_follow_up"
        text = wording.HANDOFF_FOR_BOOKING if reason == "booking" else wording.handoff_to_person()
        dispatcher.utter_message(text=text)
        return [
            SlotSet("handoff_reason", reason),
            SlotSet("triage_paused", triage_in_progress(tracker.slots)),
            SlotSet("reask_count", 0),
            *[SlotSet(slot, None) for slot in BOOKING_SLOTS],
        ]


def handoff_summary(slots: dict[str, Any]) -> str:
    """One line for the receptionist's list: what the assistant found, if anything."""
    outcome = slots.get("triage_outcome")
    if outcome is None:
        return "Triage not finished."
    flags = slots.get("red_flags") or []
    parts = [f"Outcome: {outcome}", f"ITBS likelihood: {slots.get('itbs_likelihood')}"]
    if flags:
        parts.append("Red flags: " + ", ".join(flags))
    return "; ".join(parts) + "."


@reports_failures
class ActionSubmitBooking(Action):
    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slots = tracker.slots
        paused = bool(slots.get("triage_paused"))
        events: list[dict[str, Any]] = [SlotSet("triage_paused", paused), SlotSet("reask_count", 0)]

        if GAVE_UP in slots.values():
            dispatcher.utter_message(text=wording.booking_details_not_taken())
            return events + [SlotSet(slot, None) for slot in BOOKING_SLOTS]
        if slots.get("booking_consent") is not True:
            dispatcher.utter_message(text=wording.booking_without_consent())
            return events + [SlotSet(slot, None) for slot in BOOKING_SLOTS]

        site = slots.get("booking_site")
        try:
            handoff = await run_in_session(
                lambda session: create_handoff(
                    session,
                    conversation_id=tracker.sender_id,
                    channel=channel_of(tracker),
                    reason=slots.get("handoff_reason") or "booking",
                    name=slots["booking_name"],
                    contact_kind=slots["booking_contact_kind"],
                    contact_value=slots["booking_contact"],
                    site=site if site in SITES else None,
                    preferred_times=slots["booking_times"],
                    consent=True,
                    triage_id=slots.get("triage_id"),
                    summary=handoff_summary(slots),
                )
            )
        except Exception:
            logger.exception("could not save the handoff of %s", tracker.sender_id)
            # The details stay in the slots, so "book" again doesn't start from nothing.
            dispatcher.utter_message(text=wording.booking_not_saved())
            return events

        dispatcher.utter_message(
            text=wording.booking_confirmed(
                slots["booking_name"],
                site if site in SITES else None,
                slots["booking_contact"],
                handoff.reference_code,
            )
        )
        return events + [SlotSet("reference_code", handoff.reference_code)]

"""Booking requests and "talk to a person": details for reception, consent, a reference code."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import cliniko_booking, wording
from actions.failures import reports_failures
from actions.results import channel_of
from actions.safety import ConfirmFirst
from actions.slots import BOOKING_SLOTS, ignores_cleared_slots, triage_in_progress
from bot.booking.diary import Booking
from bot.db import repository
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


def _needs_last_name(tracker: Tracker) -> bool:
    """Cliniko will book this request and the name so far is one word (a new Cliniko patient
    needs a first and a last name); asked once, after the name."""
    if tracker.get_slot("booking_last_name") is not None:
        return True  # already asked: keep the slot in the form so it counts as filled
    name = tracker.get_slot("booking_name")
    return (
        isinstance(name, str)
        and name != GAVE_UP
        and len(name.split()) == 1
        and cliniko_booking.wanted_for(tracker.slots)
    )


@reports_failures
@ignores_cleared_slots
class ValidateBookingForm(ConfirmFirst, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def validate_booking_name(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        name = parsing.parse_name(str(value))
        if name is None:
            return _reask(tracker, "booking_name")
        return {"booking_name": name, "reask_count": 0}

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        slots = list(await super().required_slots(domain_slots, dispatcher, tracker, domain))
        if "booking_last_name" in slots and not _needs_last_name(tracker):
            slots.remove("booking_last_name")
        return slots

    async def validate_booking_last_name(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        first = str(tracker.get_slot("booking_name") or "")
        last = parsing.parse_name(str(value))
        if last is None:
            if int(tracker.get_slot("reask_count") or 0) >= 1:
                # Twice no surname: go on without it; the chosen time then goes to reception.
                return {"booking_last_name": GAVE_UP, "reask_count": 0}
            return _reask(tracker, "booking_last_name")
        # "Pat Jones" typed in full, or just "Jones"
        full = (
            last if len(last.split()) > 1 and last.split()[0].lower() == first.lower() else f"{first} {last}"
        )
        return {"booking_name": full, "booking_last_name": last, "reask_count": 0}

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
        if reason != "booking":
            text = wording.handoff_to_person()
        elif cliniko_booking.wanted_for({**tracker.slots, "handoff_reason": reason}):
            text = wording.HANDOFF_FOR_DIARY_BOOKING  # the person picks a free time here
        else:
            text = wording.HANDOFF_FOR_BOOKING
        dispatcher.utter_message(text=text)
        return [
            SlotSet("handoff_reason", reason),
            SlotSet("triage_paused", triage_in_progress(tracker.slots)),
            SlotSet("reask_count", 0),
            *[SlotSet(slot, None) for slot in BOOKING_SLOTS],
            SlotSet(cliniko_booking.PICK, None),
            SlotSet(cliniko_booking.OFFER, None),
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
    """Stores the booking request for reception. With Cliniko on (CLINIKO_API_KEY), a consented
    booking request is offered real free times first (actions/cliniko_booking.py); this action
    runs again when the person has picked one, and books it."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        slots = tracker.slots
        paused = bool(slots.get("triage_paused"))
        events: list[dict[str, Any]] = [SlotSet("triage_paused", paused), SlotSet("reask_count", 0)]

        offer = slots.get(cliniko_booking.OFFER)
        if isinstance(offer, dict) and offer.get("mode") == "move":
            # moving an appointment already booked (its consent was given then)
            return events + await cliniko_booking.finish(dispatcher, tracker, slots, self._saver(tracker))
        if GAVE_UP in slots.values():
            dispatcher.utter_message(text=wording.booking_details_not_taken())
            return events + [SlotSet(slot, None) for slot in BOOKING_SLOTS]
        if slots.get("booking_consent") is not True:
            dispatcher.utter_message(text=wording.booking_without_consent())
            return events + [SlotSet(slot, None) for slot in BOOKING_SLOTS]

        if cliniko_booking.wanted_for(slots) or isinstance(offer, dict):
            save = self._saver(tracker)
            if slots.get(cliniko_booking.PICK) is None and not isinstance(offer, dict):
                return events + await cliniko_booking.start(dispatcher, slots, save)
            return events + await cliniko_booking.finish(dispatcher, tracker, slots, save)
        return events + await self._saver(tracker)(dispatcher, preferred_times=slots.get("booking_times"))

    def _saver(self, tracker: Tracker) -> Any:
        async def save(
            dispatcher: CollectingDispatcher, *, preferred_times: str | None, booking: Booking | None = None
        ) -> list[dict[str, Any]]:
            return await save_handoff(dispatcher, tracker, preferred_times, booking)

        return save


async def save_handoff(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    preferred_times: str | None,
    booking: Booking | None = None,
) -> list[dict[str, Any]]:
    """The handoff row reception follows up (today's call-back), or, with `booking`, the row of
    an appointment the assistant booked in Cliniko (status booked, with a history line)."""
    slots = tracker.slots
    site = slots.get("booking_site")

    def store(session: Any) -> Any:
        handoff = create_handoff(
            session,
            conversation_id=tracker.sender_id,
            channel=channel_of(tracker),
            reason=slots.get("handoff_reason") or "booking",
            name=slots["booking_name"],
            contact_kind=slots["booking_contact_kind"],
            contact_value=slots["booking_contact"],
            site=(booking.slot.site if booking else site) if (booking or site in SITES) else None,
            preferred_times=preferred_times,
            consent=True,
            triage_id=slots.get("triage_id"),
            summary=handoff_summary(slots),
        )
        if booking is not None:
            session.flush()
            repository.record_cliniko_booking(
                session,
                handoff.reference_code,
                appointment_id=booking.appointment_id,
                practitioner=booking.slot.practitioner_name,
                starts_at=booking.slot.starts_at,
            )
        return handoff

    try:
        handoff = await run_in_session(store)
    except Exception:
        logger.exception("could not save the handoff of %s", tracker.sender_id)
        if booking is not None:
            # The appointment is in Cliniko all the same: the person is booked.
            dispatcher.utter_message(text=cliniko_booking.confirmation(booking, None))
            return []
        # The details stay in the slots, so "book" again doesn't start from nothing.
        dispatcher.utter_message(text=wording.booking_not_saved())
        return []

    if booking is not None:
        dispatcher.utter_message(text=cliniko_booking.confirmation(booking, handoff.reference_code))
    else:
        dispatcher.utter_message(
            text=wording.booking_confirmed(
                slots["booking_name"],
                site if site in SITES else None,
                slots["booking_contact"],
                handoff.reference_code,
            )
        )
    return [SlotSet("reference_code", handoff.reference_code)]

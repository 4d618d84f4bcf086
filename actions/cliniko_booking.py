"""Booking straight into the clinic's Cliniko diary, inside the conversation (issue 18).

Only when `CLINIKO_API_KEY` is set, only for a booking request (not "talk to a person"), only
after the booking form has the person's consent, and never for an emergency or same-day outcome.
Without the key `action_submit_booking` stays the reception call-back it always was.

The steps, all through `bot.booking` (the diary service, the times in words, the texts):

1. `action_submit_booking` (actions/booking.py) asks `offer_times` for the soonest free times
   that fit what the person said about times, keeps them in the `booking_offer` slot and runs
   `booking_time_form` next (a FollowupAction), whose one question is `booking_pick`.
2. `action_ask_booking_pick` shows the offer: in words and as buttons, in Brisbane time.
3. `validate_booking_time_form` reads the answer ("the Thursday one", "2:30", "none of these
   suit", "anything later?"): a time ends the form; other times are a new offer; an unclear
   answer is asked about (twice, then reception takes over).
4. `action_submit_booking` runs again when the form ends and calls `finish`: book (the diary
   re-checks the time, books, checks conflicts), confirm, and record the appointment on the
   handoff row (status booked, a history line). A clash offers the next times; "none suit", no
   times, or Cliniko failing sends the request to reception as today, with the time wanted.
5. "cancel my appointment" (`action_ask_cancel_appointment`, then `action_cancel_appointment`)
   and "can I move it to Friday?" (`action_move_appointment`, the same time form) find the
   appointment on this conversation's handoff row, so they work in a later session too.

Every Cliniko failure is logged with its reason and never with patient details.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy import select

from actions import wording
from actions.ask import buttons
from actions.failures import reports_failures
from actions.safety import ConfirmFirst
from actions.slots import ignores_cleared_slots
from bot.booking import texts
from bot.booking.cliniko import ClinikoError
from bot.booking.diary import (
    AppointmentCancelled,
    Booking,
    BookingError,
    BookingUnconfirmed,
    Diary,
    NeedLastName,
    Offer,
    Person,
    Slot,
    SlotTaken,
    booking_offered,
    kind_for_outcome,
)
from bot.booking.times import format_long, format_slot, parse_preferences, pick_slot
from bot.db import repository
from bot.db.models import Handoff
from bot.db.session import run_in_session
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

FORM = "booking_time_form"
PICK = "booking_pick"
OFFER = "booking_offer"
MAX_UNCLEAR = 2  # unclear answers to one offer before reception takes over

# `booking_pick` once the form is done
CHOSEN = "chosen"
NONE_SUIT = "none_suit"
UNAVAILABLE = "unavailable"  # Cliniko failed while finding other times
WITHDRAWN = "withdrawn"  # a red flag made the outcome emergency / same-day meanwhile
GAVE_UP = "unclear"

clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731 - tests set it


def enabled(settings: Settings | None = None) -> bool:
    return (settings or get_settings()).cliniko_enabled


def wanted_for(slots: dict[str, Any]) -> bool:
    """A booking into Cliniko is offered for this finished booking form."""
    return (
        enabled()
        and (slots.get("handoff_reason") or "booking") == "booking"
        and booking_offered(slots.get("triage_outcome"))
    )


# --- the diary, one per event loop (the aiohttp session belongs to its loop) -------------------

_diary: tuple[asyncio.AbstractEventLoop, Settings, Diary] | None = None


def diary() -> Diary:
    global _diary
    loop, settings = asyncio.get_running_loop(), get_settings()
    if _diary is None or _diary[0] is not loop or _diary[1] is not settings:
        _diary = (loop, settings, Diary.from_settings(settings))
    return _diary[2]


async def close_diary() -> None:
    """Closes the diary's HTTP session (tests, between event loops)."""
    global _diary
    if _diary is not None:
        await _diary[2].close()
        _diary = None


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().clinic_timezone)


def _why(exc: BaseException) -> str:
    """The reason to log: the error's own words (no patient details) and its class."""
    return f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"


# --- offers between turns ----------------------------------------------------------------------


def offer_slot(offer: Offer, *, mode: str, site: str, kind: str, **extra: Any) -> dict[str, Any]:
    """The `booking_offer` slot: the offered times (JSON), what they came from, fresh to show."""
    return {
        "slots": [s.to_dict() for s in offer.slots],
        "heading": texts.offer_message(offer, _tz()).split("\n", 1)[0],
        "mode": mode,
        "site": site,
        "kind": kind,
        "fresh": True,
        "tries": 0,
        **extra,
    }


def offered(value: Any) -> list[Slot]:
    if not isinstance(value, dict):
        return []
    try:
        return [Slot.from_dict(s) for s in value.get("slots") or []]
    except (KeyError, TypeError, ValueError):
        logger.warning("booking: the offered times in the conversation could not be read")
        return []


def _slot_buttons(slots: list[Slot]) -> list[dict[str, str]]:
    with_site = len({s.site for s in slots}) > 1
    return buttons([texts.slot_button(s, _tz(), with_site=with_site) for s in slots] + ["None of these suit"])


def offer_text(value: dict[str, Any]) -> str:
    slots = offered(value)
    with_site = len({s.site for s in slots}) > 1
    lines = "\n".join(f"• {texts.slot_line(s, _tz(), with_site=with_site)}" for s in slots)
    return (
        f"{value.get('heading') or 'Here are the soonest free times:'}\n{lines}\n\n"
        'Tap the one you\'d like, or tell me (for example "the Thursday one"). If none of these '
        "suit, just say so and I'll pass your preferred times to reception."
    )


async def offer_times(site: str, kind: str, preferences: Any, *, start: datetime | None = None) -> Offer:
    """Raises ClinikoError / BookingError (DiaryConfigError) for the caller to fall back on."""
    return await diary().offer(site, kind, preferences, clock(), start=start)


@reports_failures
class ActionAskBookingPick(Action):
    def name(self) -> str:
        return "action_ask_booking_pick"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        value = tracker.get_slot(OFFER)
        if not isinstance(value, dict) or not value.get("fresh"):
            return []  # the validator already said what to do next (with the buttons)
        if value.get("note"):
            dispatcher.utter_message(text=value["note"])
        dispatcher.utter_message(text=offer_text(value), buttons=_slot_buttons(offered(value)))
        return [SlotSet(OFFER, {**value, "fresh": False, "note": ""})]


@reports_failures
@ignores_cleared_slots
class ValidateBookingTimeForm(ConfirmFirst, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_time_form"

    async def validate_booking_pick(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if not booking_offered(tracker.get_slot("triage_outcome")):
            return {PICK: WITHDRAWN}
        state = tracker.get_slot(OFFER)
        slots = offered(state)
        if not slots or not isinstance(state, dict):
            return {PICK: NONE_SUIT}
        tz = _tz()
        today = clock().astimezone(tz).date()
        choice = pick_slot(str(value), [s.starts_at for s in slots], tz, today=today)
        if choice.kind == "slot" and choice.index is not None:
            return {PICK: CHOSEN, OFFER: {**state, "chosen": slots[choice.index].to_dict()}}
        if choice.kind == "none_suit":
            return {PICK: NONE_SUIT}
        if choice.kind in ("later", "next_week", "other_times"):
            return await self._other_times(choice, state, slots, dispatcher)
        tries = int(state.get("tries") or 0) + 1
        if tries > MAX_UNCLEAR:
            return {PICK: GAVE_UP}
        if choice.kind == "ambiguous" and choice.candidates:
            some = [slots[i] for i in choice.candidates]
            dispatcher.utter_message(text=texts.which_one(some, tz), buttons=_slot_buttons(some))
        else:
            dispatcher.utter_message(text=texts.not_sure_which(), buttons=_slot_buttons(slots))
        return {PICK: None, OFFER: {**state, "tries": tries, "fresh": False}}

    async def _other_times(
        self, choice: Any, state: dict[str, Any], slots: list[Slot], dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        start = None
        if choice.kind == "later":
            start, preferences = max(s.starts_at for s in slots), state.get("preferences")
        elif choice.kind == "next_week":
            preferences = "next week"
        else:
            preferences = choice.preference
        try:
            offer = await offer_times(state["site"], state["kind"], preferences, start=start)
        except (ClinikoError, BookingError) as exc:
            logger.warning("booking: other times not found in Cliniko (%s); passing to reception", _why(exc))
            return {PICK: UNAVAILABLE}
        if not offer.slots:
            dispatcher.utter_message(
                text=wording.NO_OTHER_TIMES,
                buttons=_slot_buttons(slots),
            )
            return {PICK: None, OFFER: {**state, "fresh": False}}
        keep = {k: state[k] for k in ("appointment", "reference", "preferences") if k in state}
        return {
            PICK: None,
            OFFER: offer_slot(
                offer, mode=state.get("mode") or "book", site=state["site"], kind=state["kind"], **keep
            ),
        }


# --- the handoff row ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """The assistant's booking on this conversation's latest handoff row (for change / cancel)."""

    reference_code: str
    appointment_id: str
    starts_at: datetime
    site: str
    practitioner: str
    outcome: str | None


def _booked(session: Any, conversation_id: str) -> Booked | None:
    handoff = session.scalars(
        select(Handoff)
        .where(
            Handoff.conversation_id == conversation_id,
            Handoff.cliniko_appointment_id.is_not(None),
            Handoff.cliniko_cancelled_at.is_(None),
        )
        .order_by(Handoff.created_at.desc(), Handoff.id.desc())
        .limit(1)
    ).first()
    if handoff is None or handoff.cliniko_starts_at is None:
        return None
    return Booked(
        reference_code=handoff.reference_code,
        appointment_id=handoff.cliniko_appointment_id,
        starts_at=handoff.cliniko_starts_at,
        site=handoff.site or "",
        practitioner=handoff.cliniko_practitioner or "",
        outcome=handoff.triage.outcome if handoff.triage else None,
    )


async def booked_in(conversation_id: str) -> Booked | None:
    return await run_in_session(lambda session: _booked(session, conversation_id))


def no_appointment() -> str:
    return wording.no_appointment()


# --- finishing the time form (called by action_submit_booking) ---------------------------------

SaveHandoff = Callable[..., Any]  # async (preferred_times, **cliniko) -> Handoff | None


async def start(
    dispatcher: CollectingDispatcher, slots: dict[str, Any], save: SaveHandoff
) -> list[dict[str, Any]]:
    """The booking form is done with consent: offer real times, or fall back to reception."""
    site = slots.get("booking_site")
    site = site if site in ("kenmore", "jindalee", "either") else "either"
    kind = kind_for_outcome(slots.get("triage_outcome"))
    times = slots.get("booking_times")
    try:
        offer = await offer_times(site, kind, times)
    except (ClinikoError, BookingError) as exc:
        logger.warning("booking: Cliniko free times unavailable (%s); passing to reception", _why(exc))
        return await _to_reception(dispatcher, slots, save, texts.diary_unavailable())
    if not offer.slots:
        return await _to_reception(dispatcher, slots, save, texts.no_times())
    note = texts.preference_not_understood() if not offer.preference.understood else ""
    state = offer_slot(offer, mode="book", site=site, kind=kind, preferences=times, note=note)
    return [SlotSet(PICK, None), SlotSet(OFFER, state), FollowupAction(FORM)]


async def finish(
    dispatcher: CollectingDispatcher, tracker: Tracker, slots: dict[str, Any], save: SaveHandoff
) -> list[dict[str, Any]]:
    """The time form is done: book (or move) the chosen time, or pass the request on."""
    state = slots.get(OFFER) if isinstance(slots.get(OFFER), dict) else {}
    pick = slots.get(PICK)
    done = [SlotSet(PICK, None), SlotSet(OFFER, None)]
    if state.get("mode") == "move":
        return done + await _finish_move(dispatcher, state, pick)
    chosen = _chosen(state)
    if pick == CHOSEN and chosen is not None:
        return await _book(dispatcher, tracker, slots, state, chosen, save)
    if pick == UNAVAILABLE:
        return done + await _to_reception(dispatcher, slots, save, texts.diary_unavailable())
    if pick == WITHDRAWN:
        # the safety net has said what to do; a routine booking is not the next step
        return done + await _to_reception(dispatcher, slots, save, None)
    return done + await _to_reception(dispatcher, slots, save, texts.none_suit())


def _chosen(state: dict[str, Any]) -> Slot | None:
    try:
        return Slot.from_dict(state["chosen"]) if state.get("chosen") else None
    except (KeyError, TypeError, ValueError):
        return None


async def _to_reception(
    dispatcher: CollectingDispatcher,
    slots: dict[str, Any],
    save: SaveHandoff,
    explanation: str | None,
    wanted: Slot | None = None,
) -> list[dict[str, Any]]:
    """Today's reception call-back, with the preferred times (and the time wanted, if any)."""
    times = slots.get("booking_times") or ""
    if wanted is not None:
        times = f"{times} (asked for {format_slot(wanted.starts_at, _tz())} with {wanted.practitioner_name})".strip()
    if explanation:
        dispatcher.utter_message(text=explanation)
    return await save(dispatcher, preferred_times=times)


def _person(slots: dict[str, Any]) -> Person:
    return Person.from_booking(
        str(slots.get("booking_name") or ""),
        str(slots.get("booking_contact_kind") or ""),
        str(slots.get("booking_contact") or ""),
    )


async def _book(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    slots: dict[str, Any],
    state: dict[str, Any],
    chosen: Slot,
    save: SaveHandoff,
) -> list[dict[str, Any]]:
    tz = _tz()
    done = [SlotSet(PICK, None), SlotSet(OFFER, None)]
    try:
        booking = await diary().book(chosen, _person(slots))
    except SlotTaken as exc:
        logger.info("booking: the chosen time was taken before it was booked; offering others")
        said = texts.slot_taken(exc.slot, tz)
        again = await _offer_again(state, exc.slot, said)
        if again is not None:
            return again
        return done + await _to_reception(dispatcher, slots, save, said + " " + texts.no_times())
    except BookingUnconfirmed as exc:
        logger.warning("booking: Cliniko did not confirm a booking (%s); reception checks", _why(exc))
        return done + await _to_reception(
            dispatcher, slots, save, texts.booking_unconfirmed(chosen, tz), wanted=chosen
        )
    except NeedLastName:
        logger.info("booking: a new Cliniko patient needs a last name; passing to reception")
        return done + await _to_reception(dispatcher, slots, save, wording.NEED_BOTH_NAMES, wanted=chosen)
    except (ClinikoError, BookingError) as exc:
        logger.warning("booking: Cliniko booking failed (%s); passing to reception", _why(exc))
        return done + await _to_reception(dispatcher, slots, save, texts.diary_unavailable(), wanted=chosen)
    logger.info("booking: booked in Cliniko (appointment %s)", booking.appointment_id)
    events = await save(dispatcher, preferred_times=slots.get("booking_times") or "", booking=booking)
    return done + events


async def _offer_again(state: dict[str, Any], taken: Slot, said: str) -> list[dict[str, Any]] | None:
    """A clash: the next free times, offered with `said` (the form runs again); None when there
    are none (or Cliniko fails now), for the caller to fall back."""
    try:
        offer = await offer_times(state["site"], state["kind"], state.get("preferences"))
    except (ClinikoError, BookingError) as exc:
        logger.warning("booking: no new times after a clash (%s)", _why(exc))
        return None
    slots = [s for s in offer.slots if s.starts_at != taken.starts_at]
    if not slots:
        return None
    keep = {k: state[k] for k in ("appointment", "reference", "preferences") if k in state}
    new = offer_slot(
        Offer(tuple(slots), offer.preference, offer.fits_preference),
        mode=state.get("mode") or "book",
        site=state["site"],
        kind=state["kind"],
        note=said,
        **keep,
    )
    return [SlotSet(PICK, None), SlotSet(OFFER, new), FollowupAction(FORM)]


def confirmation(booking: Booking, reference: str | None) -> str:
    text = texts.confirmation(booking, _tz())
    if reference:
        text += f"\n\nYour reference is {reference}."
    return text


# --- change or cancel --------------------------------------------------------------------------


async def _finish_move(
    dispatcher: CollectingDispatcher, state: dict[str, Any], pick: Any
) -> list[dict[str, Any]]:
    tz = _tz()
    chosen = _chosen(state)
    appointment_id, reference = state.get("appointment"), state.get("reference")
    if pick != CHOSEN or chosen is None or not appointment_id:
        if pick == UNAVAILABLE:
            dispatcher.utter_message(text=texts.change_unavailable())
        else:
            dispatcher.utter_message(text=wording.APPOINTMENT_STAYS)
        return []
    try:
        booking = await diary().move(str(appointment_id), chosen)
    except SlotTaken as exc:
        said = texts.slot_taken(exc.slot, tz)
        again = await _offer_again(state, exc.slot, said)
        if again is not None:
            return again
        dispatcher.utter_message(text=f"{said} {wording.NO_TIME_TO_MOVE_TO}")
        return []
    except AppointmentCancelled:
        dispatcher.utter_message(text=texts.already_cancelled())
        return []
    except BookingUnconfirmed as exc:
        logger.warning("booking: Cliniko did not confirm a move (%s)", _why(exc))
        dispatcher.utter_message(text=texts.booking_unconfirmed(chosen, tz))
        return []
    except (ClinikoError, BookingError) as exc:
        logger.warning("booking: moving in Cliniko failed (%s)", _why(exc))
        dispatcher.utter_message(text=texts.change_unavailable())
        return []
    logger.info("booking: moved in Cliniko (appointment %s)", booking.appointment_id)
    dispatcher.utter_message(text=texts.moved(booking, tz))
    if reference:
        note = f"moved by the assistant to {format_long(chosen.starts_at, tz)}"
        try:
            await run_in_session(
                lambda session: repository.record_cliniko_booking(
                    session,
                    str(reference),
                    appointment_id=booking.appointment_id,
                    practitioner=chosen.practitioner_name,
                    starts_at=chosen.starts_at,
                    note=note,
                )
            )
        except Exception:
            logger.exception("booking: the move of %s was not recorded for reception", reference)
    return []


class _OnBooking(Action, ABC):
    """An action about the appointment the assistant booked in this conversation: found on the
    handoff row (so a later session finds it too); without one, the person is told so."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        booked = await booked_in(tracker.sender_id) if enabled() else None
        if booked is None:
            dispatcher.utter_message(text=no_appointment())
            return []
        return await self.on(dispatcher, tracker, booked)

    @abstractmethod
    async def on(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booked: Booked
    ) -> list[dict[str, Any]]: ...


@reports_failures
class ActionAskCancelAppointment(_OnBooking):
    def name(self) -> str:
        return "action_ask_cancel_appointment"

    async def on(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booked: Booked
    ) -> list[dict[str, Any]]:
        where = f" at our {texts.site_name(booked.site)} clinic" if booked.site else ""
        dispatcher.utter_message(
            text=wording.confirm_cancel(format_long(booked.starts_at, _tz()), where),
            # plain Yes / No payloads: "Yes, cancel it" could read as asking to cancel again
            buttons=[
                {"title": "Yes, cancel it", "payload": "Yes"},
                {"title": "No, keep it", "payload": "No"},
            ],
        )
        return []


@reports_failures
class ActionCancelAppointment(_OnBooking):
    def name(self) -> str:
        return "action_cancel_appointment"

    async def on(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booked: Booked
    ) -> list[dict[str, Any]]:
        try:
            await diary().cancel(booked.appointment_id)
        except (ClinikoError, BookingError) as exc:
            logger.warning("booking: cancelling in Cliniko failed (%s)", _why(exc))
            dispatcher.utter_message(text=texts.change_unavailable())
            return []
        logger.info("booking: cancelled in Cliniko (appointment %s)", booked.appointment_id)
        dispatcher.utter_message(text=texts.cancelled(booked.starts_at, _tz()))
        try:
            await run_in_session(
                lambda session: repository.record_cliniko_cancellation(session, booked.reference_code)
            )
        except Exception:
            logger.exception("booking: the cancellation of %s was not recorded", booked.reference_code)
        return []


@reports_failures
class ActionMoveAppointment(_OnBooking):
    def name(self) -> str:
        return "action_move_appointment"

    async def on(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booked: Booked
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        today = clock().astimezone(_tz()).date()
        preference = parse_preferences(text, today=today)
        kind = kind_for_outcome(booked.outcome)
        site = booked.site or "either"
        try:
            offer = await offer_times(site, kind, preference if preference.understood else None)
        except (ClinikoError, BookingError) as exc:
            logger.warning("booking: no times to move to (%s)", _why(exc))
            dispatcher.utter_message(text=texts.change_unavailable())
            return []
        slots = [s for s in offer.slots if s.starts_at != booked.starts_at]
        if not slots:
            dispatcher.utter_message(text=wording.nothing_to_move_to())
            return []
        note = wording.which_new_time(format_long(booked.starts_at, _tz()))
        state = offer_slot(
            Offer(tuple(slots), offer.preference, offer.fits_preference),
            mode="move",
            site=site,
            kind=kind,
            appointment=booked.appointment_id,
            reference=booked.reference_code,
            preferences=text if preference.understood else None,
            note=note,
        )
        return [SlotSet(PICK, None), SlotSet(OFFER, state), FollowupAction(FORM)]

"""The booking actions with Cliniko on (actions/cliniko_booking.py, actions/booking.py), against
the Cliniko stand-in over real HTTP and a real SQLite clinic database: times offered after the
booking form, picked in words, booked with the re-check and the conflicts check, a clash, every
failure passed to reception, the handoff row reception sees, cancel and move from the chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import booking, cliniko_booking
from bot.booking.diary import Slot
from bot.db.models import Handoff, HandoffStatusChange
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web.reception import labels
from tests.standins.cliniko import ALEX, API_KEY, ClinikoStandIn

BRISBANE = ZoneInfo("Australia/Brisbane")
NOW = datetime(2026, 12, 13, 20, 0, tzinfo=timezone.utc)  # Monday 14 Dec, 6:00 am in Brisbane
BOOKING = {
    "booking_name": "Pat Jones",
    "booking_contact": "pat.jones@example.com",
    "booking_contact_kind": "email",
    "booking_site": "kenmore",
    "booking_times": "weekday mornings",
    "booking_consent": True,
    "handoff_reason": "booking",
    "triage_outcome": "book_running_assessment",
}


@pytest.fixture(scope="module")
def standin() -> Iterator[ClinikoStandIn]:
    with ClinikoStandIn() as server:
        yield server


@pytest.fixture
def cliniko(standin: ClinikoStandIn, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch) -> ClinikoStandIn:
    standin.reset()
    standin.set_now(NOW)
    monkeypatch.setenv("DATABASE_URL", sqlite_db_url)
    monkeypatch.setenv("CLINIKO_API_KEY", API_KEY)
    monkeypatch.setenv("CLINIKO_API_URL", standin.base_url)
    monkeypatch.setenv("CLINIKO_CONTACT_EMAIL", "it@clinic.example")
    monkeypatch.setenv("CLINIKO_TIMEOUT_S", "1")
    monkeypatch.setattr(cliniko_booking, "clock", lambda: NOW)
    return standin


def _run(call: Any) -> Any:
    async def go() -> Any:
        try:
            return await call
        finally:
            await cliniko_booking.close_diary()

    return asyncio.run(go())


def tracker(slots: dict[str, Any], text: str = "", sender: str = "person-1") -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=dict(slots),
        latest_message={"text": text, "intent": {"name": "inform", "confidence": 1.0}},
        events=[{"event": "user", "text": text, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class Conversation:
    """Slots carried between the actions the way Rasa would (SlotSet events applied in order)."""

    def __init__(self, slots: dict[str, Any], sender: str = "person-1") -> None:
        self.slots = dict(slots)
        self.sender = sender
        self.said: list[dict[str, Any]] = []
        self.followup: str | None = None

    def run(self, action: Any, text: str = "") -> str:
        dispatcher = CollectingDispatcher()
        events = _run(action.run(dispatcher, tracker(self.slots, text, self.sender), {}))
        self._apply(events)
        self.said = dispatcher.messages
        return self.text

    def pick(self, text: str) -> str:
        """The person answers the offered times (the form's validation, then the ask action)."""
        dispatcher = CollectingDispatcher()
        validator = cliniko_booking.ValidateBookingTimeForm()
        result = _run(
            validator.validate_booking_pick(text, dispatcher, tracker(self.slots, text, self.sender), {})
        )
        self.slots.update(result)
        self.said = dispatcher.messages
        return self.text

    def _apply(self, events: list[dict[str, Any]]) -> None:
        self.followup = None
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "followup":
                self.followup = event["name"]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.said)

    @property
    def buttons(self) -> list[str]:
        return [b["title"] for m in self.said for b in m.get("buttons") or []]

    def offered(self) -> list[Slot]:
        return cliniko_booking.offered(self.slots.get("booking_offer"))


def handoffs(sender: str = "person-1") -> list[Handoff]:
    with session_scope() as session:
        found = list(session.scalars(select(Handoff).where(Handoff.conversation_id == sender)))
        for h in found:
            h.history  # noqa: B018 - loaded inside the session
        session.expunge_all()
        return found


def history(handoff_id: int) -> list[HandoffStatusChange]:
    with session_scope() as session:
        changes = list(
            session.scalars(
                select(HandoffStatusChange)
                .where(HandoffStatusChange.handoff_id == handoff_id)
                .order_by(HandoffStatusChange.id)
            )
        )
        session.expunge_all()
        return changes


def offer(cliniko: ClinikoStandIn, **slots: Any) -> Conversation:
    chat = Conversation({**BOOKING, **slots})
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup == "booking_time_form", chat.text
    chat.run(cliniko_booking.ActionAskBookingPick())
    return chat


def book_first(cliniko: ClinikoStandIn) -> Conversation:
    chat = offer(cliniko)
    chat.pick("the first one")
    assert chat.slots["booking_pick"] == "chosen"
    chat.run(booking.ActionSubmitBooking())
    return chat


# --- without a key: exactly as before ----------------------------------------------------------


def test_without_a_key_the_booking_is_a_reception_call_back(
    sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_db_url)
    monkeypatch.delenv("CLINIKO_API_KEY", raising=False)
    chat = Conversation(BOOKING)
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup is None and "Reception has your request" in chat.text
    [handoff] = handoffs()
    assert handoff.status == "new" and handoff.cliniko_appointment_id is None


# --- offering times ----------------------------------------------------------------------------


def test_the_soonest_times_that_fit_are_offered_in_words_and_buttons(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    slots = chat.offered()
    assert 1 <= len(slots) <= 5
    for slot in slots:
        local = slot.starts_at.astimezone(BRISBANE)
        assert local.weekday() < 5 and local.hour < 12  # weekday mornings, Brisbane time
        assert slot.site == "kenmore" and slot.kind == "running"
    assert "Here are the soonest weekday-morning times at Kenmore" in chat.text
    assert "Mon 14 Dec" in chat.text and "with Alex" in chat.text
    assert len(chat.buttons) == len(slots) + 1 and chat.buttons[-1] == "None of these suit"
    assert not handoffs()  # nothing stored until the person chose


def test_a_time_is_picked_in_words_booked_and_confirmed(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    wanted = chat.offered()[1]
    local = wanted.starts_at.astimezone(BRISBANE)
    chat.pick(f"{local:%A} at {local.hour % 12 or 12}:{local.minute:02d}")
    assert chat.slots["booking_pick"] == "chosen"
    chat.run(booking.ActionSubmitBooking())

    text = chat.text
    assert "You're booked in for a Running Assessment on" in text
    assert f"{local:%A} {local.day} {local:%B}" in text
    assert "2063 Moggill Road, Kenmore QLD 4069" in text and "with Alex" in text
    assert "shoes you usually run in" in text  # what to bring
    assert "cancel my appointment" in text  # how to change or cancel
    [appointment] = [a for a in cliniko.appointments.values() if a.active]
    assert appointment.starts_at == wanted.starts_at and appointment.practitioner_id == ALEX
    assert cliniko.patients[appointment.patient_id]["email"] == "pat.jones@example.com"

    [handoff] = handoffs()
    assert handoff.reference_code in text
    assert handoff.status == "booked" and handoff.cliniko_appointment_id == appointment.id
    assert handoff.cliniko_practitioner == "Alex" and handoff.cliniko_starts_at == wanted.starts_at
    [change] = history(handoff.id)
    assert (change.changed_by, change.from_status, change.to_status) == ("assistant", "new", "booked")
    assert change.note == "booked by the assistant"
    assert labels.cliniko_booking(handoff.cliniko_starts_at, handoff.site).startswith("Booked in Cliniko: ")
    assert chat.slots["booking_offer"] is None and chat.slots["booking_pick"] is None


def test_the_time_is_rechecked_right_before_booking(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("the first one")
    first = chat.offered()[0]
    cliniko.take(first.practitioner_id, first.starts_at)  # someone else books it meanwhile
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup == "booking_time_form"  # the next free times are offered
    assert first.starts_at not in [s.starts_at for s in chat.offered()]
    assert [a.notes for a in cliniko.appointments.values()] == ["Booked by reception"]  # nothing of ours
    assert not handoffs()
    chat.run(cliniko_booking.ActionAskBookingPick())
    assert "someone else has just booked" in chat.text and "haven't booked it for you" in chat.text
    assert "Here are the soonest" in chat.text


def test_a_clash_at_the_same_moment_is_cancelled_and_said_plainly(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("the first one")
    cliniko.take_on_create()  # another booking lands just before ours
    chat.run(booking.ActionSubmitBooking())
    ours = [a for a in cliniko.appointments.values() if a.notes and "chat assistant" in a.notes.lower()]
    assert ours and all(not a.active for a in ours)  # ours was undone: no double booking
    assert chat.followup == "booking_time_form"
    chat.run(cliniko_booking.ActionAskBookingPick())
    assert "someone else has just booked" in chat.text and "haven't booked it for you" in chat.text


def test_none_of_these_suit_goes_to_reception_with_the_preferred_times(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("none of these suit")
    assert chat.slots["booking_pick"] == "none_suit"
    chat.run(booking.ActionSubmitBooking())
    assert "pass your request and the times that suit you to reception" in chat.text
    [handoff] = handoffs()
    assert handoff.status == "new" and handoff.preferred_times == "weekday mornings"
    assert handoff.reference_code in chat.text
    assert not [a for a in cliniko.appointments.values() if a.active]


def test_an_unclear_pick_is_asked_again_then_passed_to_reception(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("hmm maybe")
    assert chat.slots["booking_pick"] is None and "couldn't tell which time" in chat.text
    assert chat.buttons  # the times again
    chat.pick("purple")
    chat.pick("banana")
    assert chat.slots["booking_pick"] == "unclear"
    chat.run(booking.ActionSubmitBooking())
    [handoff] = handoffs()
    assert handoff.status == "new"


def test_other_times_asked_for_are_a_new_offer(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("have you got anything on a Tuesday afternoon?")
    assert chat.slots["booking_pick"] is None
    chat.run(cliniko_booking.ActionAskBookingPick())
    for slot in chat.offered():
        local = slot.starts_at.astimezone(BRISBANE)
        assert local.weekday() == 1 and 12 <= local.hour < 17
    assert "Tuesday" in chat.text


def test_nothing_free_goes_to_reception(cliniko: ClinikoStandIn) -> None:
    chat = Conversation({**BOOKING, "booking_times": "Sundays"})  # nobody works on Sundays...
    # ...and with nothing at all free, the soonest fallback is empty too
    for practitioner in list(cliniko.practitioners):
        cliniko.practitioners[practitioner]["types"] = ()
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup is None
    assert "couldn't find a free time in the clinic's diary" in chat.text
    [handoff] = handoffs()
    assert handoff.preferred_times == "Sundays" and handoff.status == "new"


@pytest.mark.parametrize(
    "fault",
    [
        lambda c: c.fail_next(count=10, status=500),
        lambda c: c.fail_next(count=10, status=401),
        lambda c: c.rate_limit_next(count=10, retry_after=30),
        lambda c: c.malformed_next(count=10),
    ],
    ids=["5xx", "401", "429", "malformed"],
)
def test_cliniko_failing_before_the_offer_passes_the_request_to_reception(
    cliniko: ClinikoStandIn, fault: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fault(cliniko)
    chat = Conversation(BOOKING)
    with caplog.at_level(logging.WARNING):
        chat.run(booking.ActionSubmitBooking())
    assert chat.followup is None
    assert "can't reach the clinic's diary" in chat.text and "haven't booked anything" in chat.text
    [handoff] = handoffs()
    assert handoff.status == "new" and handoff.reference_code in chat.text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("actions"))
    assert "passing to reception" in logged
    assert "Pat" not in logged and "pat.jones" not in logged  # no patient details in the log


def test_cliniko_slow_passes_the_request_to_reception(cliniko: ClinikoStandIn) -> None:
    cliniko.slow(3.0)  # beyond the 1 s timeout set above
    chat = Conversation(BOOKING)
    chat.run(booking.ActionSubmitBooking())
    assert "can't reach the clinic's diary" in chat.text
    assert handoffs()[0].status == "new"


def test_cliniko_failing_at_booking_keeps_the_time_wanted(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.pick("the first one")
    first = chat.offered()[0]
    cliniko.fail_next(count=10, status=503, method="GET", path="/v1/patients")
    chat.run(booking.ActionSubmitBooking())
    assert "can't reach the clinic's diary" in chat.text
    [handoff] = handoffs()
    assert handoff.status == "new"
    local = first.starts_at.astimezone(BRISBANE)
    assert f"asked for {local:%a} {local.day} {local:%b}" in handoff.preferred_times
    assert not [a for a in cliniko.appointments.values() if a.active]


def test_emergency_and_same_day_outcomes_never_offer_booking(cliniko: ClinikoStandIn) -> None:
    for outcome in ("emergency", "urgent_medical"):
        chat = Conversation({**BOOKING, "triage_outcome": outcome}, sender=f"p-{outcome}")
        chat.run(booking.ActionSubmitBooking())
        assert chat.followup is None and "Reception has your request" in chat.text
    assert not cliniko.requests()


def test_talk_to_a_person_is_not_a_booking(cliniko: ClinikoStandIn) -> None:
    chat = Conversation({**BOOKING, "handoff_reason": "talk_to_person"})
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup is None and not cliniko.requests()


def test_no_booking_without_consent(cliniko: ClinikoStandIn) -> None:
    chat = Conversation({**BOOKING, "booking_consent": False})
    chat.run(booking.ActionSubmitBooking())
    assert chat.followup is None and not cliniko.requests() and not handoffs()


def test_a_red_flag_while_choosing_withdraws_the_offer(cliniko: ClinikoStandIn) -> None:
    chat = offer(cliniko)
    chat.slots["triage_outcome"] = "urgent_medical"  # the safety net upgraded the outcome
    chat.pick("the first one")
    assert chat.slots["booking_pick"] == "withdrawn"
    chat.run(booking.ActionSubmitBooking())
    assert not [a for a in cliniko.appointments.values() if a.active]
    assert handoffs()[0].status == "new"


# --- change or cancel --------------------------------------------------------------------------


def test_cancel_from_the_chat_cancels_in_cliniko_and_shows_for_reception(cliniko: ClinikoStandIn) -> None:
    chat = book_first(cliniko)
    [appointment] = [a for a in cliniko.appointments.values() if a.active]
    chat.run(cliniko_booking.ActionAskCancelAppointment(), "cancel my appointment")
    assert "Do you want me to cancel your appointment on" in chat.text and "Kenmore" in chat.text
    chat.run(cliniko_booking.ActionCancelAppointment(), "yes")
    assert "I've cancelled your appointment" in chat.text
    assert not cliniko.appointments[appointment.id].active
    [handoff] = handoffs()
    assert handoff.cliniko_cancelled_at is not None and handoff.status == "declined"
    assert labels.cliniko_booking(
        handoff.cliniko_starts_at, handoff.site, handoff.cliniko_cancelled_at
    ).startswith("Cancelled in Cliniko: ")
    assert history(handoff.id)[-1].note == "cancelled by the person in the chat"
    chat.run(cliniko_booking.ActionAskCancelAppointment(), "cancel my appointment")
    assert "can't see an appointment" in chat.text  # nothing left to cancel


def test_cancel_without_an_appointment_says_so(cliniko: ClinikoStandIn) -> None:
    chat = Conversation({})
    chat.run(cliniko_booking.ActionAskCancelAppointment(), "cancel my appointment")
    assert "can't see an appointment booked in this chat" in chat.text


def test_cancel_with_cliniko_down_changes_nothing(cliniko: ClinikoStandIn) -> None:
    chat = book_first(cliniko)
    cliniko.fail_next(count=10, status=500)
    chat.run(cliniko_booking.ActionCancelAppointment(), "yes")
    assert "your appointment hasn't changed" in chat.text
    assert handoffs()[0].cliniko_cancelled_at is None


def test_move_to_friday_offers_fridays_and_moves_it(cliniko: ClinikoStandIn) -> None:
    chat = book_first(cliniko)
    [appointment] = [a for a in cliniko.appointments.values() if a.active]
    chat.run(cliniko_booking.ActionMoveAppointment(), "can I move it to Friday?")
    assert chat.followup == "booking_time_form"
    chat.run(cliniko_booking.ActionAskBookingPick())
    assert "Your appointment is on" in chat.text
    fridays = chat.offered()
    assert fridays and all(s.starts_at.astimezone(BRISBANE).weekday() == 4 for s in fridays)
    chat.pick("the first one")
    chat.run(booking.ActionSubmitBooking())
    assert "Done: your appointment is now on Friday" in chat.text
    moved = cliniko.appointments[appointment.id]
    assert moved.active and moved.starts_at == fridays[0].starts_at
    [handoff] = handoffs()
    assert handoff.cliniko_starts_at == fridays[0].starts_at and handoff.status == "booked"
    assert history(handoff.id)[-1].note.startswith("moved by the assistant to Friday")


def test_moving_then_none_suit_keeps_the_appointment(cliniko: ClinikoStandIn) -> None:
    chat = book_first(cliniko)
    before = handoffs()[0].cliniko_starts_at
    chat.run(cliniko_booking.ActionMoveAppointment(), "can I reschedule")
    chat.pick("none of these suit")
    chat.run(booking.ActionSubmitBooking())
    assert "stays as it is" in chat.text
    assert handoffs()[0].cliniko_starts_at == before


def test_the_reception_label_is_in_brisbane_time() -> None:
    starts = datetime(2026, 12, 9, 0, 30, tzinfo=timezone.utc)  # Wed 9 Dec 10:30 in Brisbane
    assert labels.cliniko_booking(starts, "kenmore") == "Booked in Cliniko: Wed 9 Dec 10:30, Kenmore"
    assert labels.cliniko_booking(None, "kenmore") == ""


# --- a one-word name: the last name is asked (a new Cliniko patient needs both) ------------------

FORM_SLOTS = ["booking_name", "booking_last_name", "booking_contact", "booking_site", "booking_times"]


def _required(slots: dict[str, Any]) -> list[str]:
    form = booking.ValidateBookingForm()
    return _run(form.required_slots(FORM_SLOTS, CollectingDispatcher(), tracker(slots), {}))


def test_a_one_word_name_is_asked_for_a_last_name_only_when_cliniko_books(
    cliniko: ClinikoStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_name = {**BOOKING, "booking_name": "Mia"}
    assert "booking_last_name" in _required(one_name)
    assert "booking_last_name" not in _required(BOOKING)  # "Pat Jones" has both
    assert "booking_last_name" not in _required({**one_name, "handoff_reason": "talk_to_person"})
    assert "booking_last_name" not in _required({**one_name, "triage_outcome": "urgent_medical"})
    monkeypatch.delenv("CLINIKO_API_KEY")
    get_settings.cache_clear()
    assert "booking_last_name" not in _required(one_name)  # reception calls back: a first name will do


def test_the_last_name_joins_the_first_and_two_unclear_answers_go_on_without_it(
    cliniko: ClinikoStandIn,
) -> None:
    form = booking.ValidateBookingForm()

    def validate(value: str, **slots: Any) -> dict[str, Any]:
        t = tracker({**BOOKING, "booking_name": "Mia", **slots}, text=value)
        return _run(form.validate_booking_last_name(value, CollectingDispatcher(), t, {}))

    assert validate("Kowalski") == {
        "booking_name": "Mia Kowalski",
        "booking_last_name": "Kowalski",
        "reask_count": 0,
    }
    assert validate("Mia Kowalski")["booking_name"] == "Mia Kowalski"
    assert validate("rather not say") == {"booking_last_name": None, "reask_count": 1}
    assert validate("rather not say", reask_count=1) == {
        "booking_last_name": booking.GAVE_UP,
        "reask_count": 0,
    }

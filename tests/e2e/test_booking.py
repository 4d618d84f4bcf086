"""Booking into Cliniko inside the conversation, end to end: the trained model over Rasa's REST
channel, the action server pointed at the Cliniko stand-in, on the SQLite stack and on the
PostgreSQL + Redis stack (the shared stacks; only their action server restarts with Cliniko on).

Each test checks what the person reads, what is really in the (stand-in) diary, and the handoff
row reception sees. Free times depend on today's date, so the tests read the offered times from
the buttons and the conversation's `booking_offer` slot rather than expecting fixed dates.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from bot.booking.diary import Slot
from bot.db.models import Handoff, HandoffStatusChange
from bot.db.session import make_engine, session_factory
from tests.e2e.conftest import cliniko_on
from tests.e2e.patients import ITBS_STORY
from tests.e2e.servers import Chat, Stack
from tests.standins.cliniko import ClinikoStandIn

BRISBANE = ZoneInfo("Australia/Brisbane")
RATE_LIMIT_PAUSE_S = 6.0
CODE_RE = re.compile(r"KNE-[A-Z0-9]{5}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def booking_stack(request: pytest.FixtureRequest, cliniko: ClinikoStandIn) -> Iterator[Stack]:
    shared = request.getfixturevalue("stack" if request.param == "sqlite" else "production_stack")
    yield from cliniko_on(shared, cliniko)


@pytest.fixture(autouse=True)
def fresh_diary(cliniko: ClinikoStandIn) -> None:
    cliniko.reset()


def rows(stack: Stack, model, **where) -> list:
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            query = select(model).filter_by(**where)
            found = list(session.scalars(query))
            session.expunge_all()
            return found
    finally:
        engine.dispose()


def offered(chat: Chat) -> list[Slot]:
    value = chat.slot("booking_offer") or {}
    return [Slot.from_dict(s) for s in value.get("slots") or []]


def ours(cliniko: ClinikoStandIn) -> list:
    """Appointments the assistant booked (active or undone) in the stand-in's diary."""
    return [a for a in cliniko.appointments.values() if a.notes and "chat assistant" in a.notes]


def up_to_the_offer(
    chat: Chat, *, times: str = "weekday mornings", site: str = "Kenmore", name: str = "Pat Jones"
) -> None:
    chat.answer_all("I'd like to book an appointment", name, "pat.jones@example.com", site, times)
    chat.say("Yes, I agree")


def test_from_yes_to_a_confirmed_appointment_in_the_diary(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    chat = Chat(booking_stack)
    chat.answer_all(*ITBS_STORY)
    assert chat.slot("triage_outcome") == "book_running_assessment"
    turns = ["Book an assessment", "Pat Jones", "0412 999 888", "Kenmore", "weekday mornings", "Yes, I agree"]
    chat.answer_all(*turns)

    # the soonest free weekday-morning times at Kenmore, as buttons and in words
    assert "Here are the soonest weekday-morning times at Kenmore" in chat.text, chat.text
    slots = offered(chat)
    assert 1 <= len(slots) <= 5 and chat.buttons[-1] == "None of these suit"
    for slot in slots:
        local = slot.starts_at.astimezone(BRISBANE)
        assert local.weekday() < 5 and local.hour < 12
        assert slot.kind == "running" and slot.practitioner_name == "Alex"  # Alex does running at Kenmore
    assert not rows(booking_stack, Handoff, conversation_id=chat.sender)  # nothing stored yet

    chat.say(chat.buttons[0])  # a tap: the button's title is the message
    text = chat.text
    wanted = slots[0]
    local = wanted.starts_at.astimezone(BRISBANE)
    assert "You're booked in for a Running Assessment" in text, text
    assert f"{local:%A} {local.day} {local:%B}" in text
    assert "2063 Moggill Road" in text and "with Alex" in text and "bring" in text
    assert "cancel my appointment" in text

    [appointment] = ours(cliniko)
    assert appointment.active and appointment.starts_at == wanted.starts_at
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.reference_code in text
    assert handoff.status == "booked" and handoff.cliniko_appointment_id == appointment.id
    assert handoff.cliniko_starts_at == wanted.starts_at and handoff.cliniko_practitioner == "Alex"
    [change] = rows(booking_stack, HandoffStatusChange, handoff_id=handoff.id)
    assert change.changed_by == "assistant" and change.note == "booked by the assistant"


def test_a_time_typed_in_words_is_booked(booking_stack: Stack, cliniko: ClinikoStandIn) -> None:
    chat = Chat(booking_stack)
    up_to_the_offer(chat, times="any time", site="Jindalee")
    slots = offered(chat)
    assert len(slots) >= 2, chat.text
    wanted = slots[1]
    local = wanted.starts_at.astimezone(BRISBANE)
    chat.say(f"the {local:%A} one at {local.hour % 12 or 12}:{local.minute:02d}")
    assert "You're booked in" in chat.text and "Jindalee" in chat.text, chat.text
    [appointment] = ours(cliniko)
    assert appointment.starts_at == wanted.starts_at


def test_a_time_taken_since_the_offer_is_never_double_booked(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    chat = Chat(booking_stack)
    up_to_the_offer(chat)
    first = offered(chat)[0]
    cliniko.take(first.practitioner_id, first.starts_at)  # reception books it meanwhile
    chat.say(chat.buttons[0])
    assert "someone else has just booked" in chat.text and "haven't booked it" in chat.text, chat.text
    assert not ours(cliniko)  # the re-check stopped it
    again = offered(chat)
    assert again and first.starts_at not in [s.starts_at for s in again]

    cliniko.take_on_create()  # this time someone lands a moment before our booking
    chat.say(chat.buttons[0])
    assert "someone else has just booked" in chat.text, chat.text
    assert ours(cliniko) and not any(a.active for a in ours(cliniko))  # ours was cancelled
    chat.say(chat.buttons[0])
    assert "You're booked in" in chat.text, chat.text
    active = [a for a in ours(cliniko) if a.active]
    assert len(active) == 1
    same_time = [
        a
        for a in cliniko.appointments.values()
        if a.active
        and a.practitioner_id == active[0].practitioner_id
        and a.overlaps(active[0].starts_at, active[0].ends_at)
    ]
    assert same_time == active  # nobody else in that time


def test_none_of_these_suit_goes_to_reception_with_the_preferred_times(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    chat = Chat(booking_stack)
    up_to_the_offer(chat, times="after 4")
    assert "after 4 pm" in chat.text, chat.text
    chat.say("None of these suit")
    assert "reception" in chat.text and CODE_RE.search(chat.text), chat.text
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.status == "new" and handoff.preferred_times == "after 4"
    assert handoff.cliniko_appointment_id is None and not ours(cliniko)


@pytest.mark.parametrize("fault", ["500", "401", "429", "slow"])
def test_cliniko_failing_loses_nothing(booking_stack: Stack, cliniko: ClinikoStandIn, fault: str) -> None:
    if fault == "slow":
        cliniko.slow(4.0)  # beyond the stack's 2 s timeout
    elif fault == "429":
        # longer than the client waits (5 s): it gives up at once and honours the pause after
        cliniko.rate_limit_next(count=50, retry_after=RATE_LIMIT_PAUSE_S)
    else:
        cliniko.fail_next(count=50, status=int(fault))
    chat = Chat(booking_stack)
    up_to_the_offer(chat, times="Saturday mornings")
    assert "can't reach the clinic's diary" in chat.text and "haven't booked anything" in chat.text, chat.text
    code = CODE_RE.search(chat.text)
    assert code, chat.text
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.reference_code == code.group(0)
    assert handoff.status == "new" and handoff.preferred_times == "Saturday mornings"
    cliniko.reset()
    if fault == "429":
        time.sleep(RATE_LIMIT_PAUSE_S)  # the action server's client keeps the pause Cliniko asked for


def test_cliniko_failing_after_the_pick_keeps_the_time_wanted(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    chat = Chat(booking_stack)
    up_to_the_offer(chat)
    first = offered(chat)[0]
    cliniko.fail_next(count=50, status=502)
    chat.say(chat.buttons[0])
    assert "can't reach the clinic's diary" in chat.text and CODE_RE.search(chat.text), chat.text
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    local = first.starts_at.astimezone(BRISBANE)
    assert f"asked for {local:%a} {local.day} {local:%b}" in handoff.preferred_times
    assert not ours(cliniko)


def test_cancel_and_move_from_the_same_chat(booking_stack: Stack, cliniko: ClinikoStandIn) -> None:
    chat = Chat(booking_stack)
    up_to_the_offer(chat, times="any time")
    chat.say(chat.buttons[0])
    assert "You're booked in" in chat.text, chat.text
    [appointment] = ours(cliniko)

    chat.say("can I move it to Friday?")
    assert "Your appointment is on" in chat.text, chat.text
    fridays = offered(chat)
    assert fridays and all(s.starts_at.astimezone(BRISBANE).weekday() == 4 for s in fridays)
    chat.say(chat.buttons[0])
    assert "Done: your appointment is now on Friday" in chat.text, chat.text
    assert cliniko.appointments[appointment.id].starts_at == fridays[0].starts_at
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.cliniko_starts_at == fridays[0].starts_at

    chat.say("cancel my appointment")
    assert "Do you want me to cancel your appointment on Friday" in chat.text, chat.text
    chat.say("Yes")
    assert "I've cancelled your appointment" in chat.text, chat.text
    assert not cliniko.appointments[appointment.id].active
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.cliniko_cancelled_at is not None and handoff.status == "declined"


def test_a_same_day_outcome_is_never_offered_times(booking_stack: Stack, cliniko: ClinikoStandIn) -> None:
    chat = Chat(booking_stack)
    chat.answer_all("hi", "my knee hurts when I run", "the outside of my right knee")
    chat.say("I fell and it swelled up fast after I heard a pop")
    assert chat.slot("triage_outcome") == "urgent_medical"
    up_to_the_offer(chat)
    assert CODE_RE.search(chat.text) and "Here are the soonest" not in chat.text, chat.text
    assert not [r for r in cliniko.requests() if "available_times" in r.path] and not ours(cliniko)


def test_a_one_word_name_is_asked_for_a_last_name_and_booked_with_both(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    chat = Chat(booking_stack)
    chat.answer_all(*ITBS_STORY)
    chat.say("Book an assessment")
    assert "free times in the clinic's diary" in chat.text, chat.text  # not "reception will call"
    chat.say("Mia")
    assert "last name" in chat.text, chat.text
    chat.answer_all("Kowalski", "mia.k@example.com", "Kenmore", "any time", "Yes, I agree")
    assert offered(chat), chat.text
    chat.say(chat.buttons[0])
    assert "You're booked in" in chat.text, chat.text
    [appointment] = ours(cliniko)
    patient = cliniko.patients[str(appointment.patient_id)]
    assert (patient["first_name"], patient["last_name"]) == ("Mia", "Kowalski")
    [handoff] = rows(booking_stack, Handoff, conversation_id=chat.sender)
    assert handoff.name == "Mia Kowalski"


# The shared web app runs with the SQLite stack, so this one runs there only.
@pytest.mark.parametrize("booking_stack", ["sqlite"], indirect=True)
def test_reception_sees_the_booking_without_doing_anything(
    booking_stack: Stack, cliniko: ClinikoStandIn
) -> None:
    from tests.e2e.test_reception import PASSWORD, create_staff_account

    chat = Chat(booking_stack)
    up_to_the_offer(chat, times="any time")
    slot = offered(chat)[0]
    chat.say(chat.buttons[0])
    code = CODE_RE.search(chat.text).group(0)

    create_staff_account(booking_stack, "cliniko-desk")
    web = requests.Session()
    login = web.get(f"{booking_stack.web_url}/reception/login", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    web.post(
        f"{booking_stack.web_url}/reception/login",
        data={"csrf_token": csrf, "username": "cliniko-desk", "password": PASSWORD, "next": "/reception"},
        timeout=10,
    )
    local = slot.starts_at.astimezone(BRISBANE)
    shown = f"Booked in Cliniko: {local:%a} {local.day} {local:%b} {local:%H:%M}, Kenmore"
    queue = web.get(f"{booking_stack.web_url}/reception", timeout=10)
    assert queue.status_code == 200 and shown in queue.text
    page = web.get(f"{booking_stack.web_url}/reception/handoffs/{code}", timeout=10).text
    assert shown in page and "with Alex" in page and "booked by the assistant" in page
    assert "assistant" in page and "Booked" in page
    export = web.get(f"{booking_stack.web_url}/reception/export.csv", timeout=10)
    assert export.status_code == 200, export.text[:200]
    header, *lines = list(csv.reader(io.StringIO(export.text)))
    mine = next(line for line in lines if line[0] == code)
    assert mine[header.index("Cliniko booking")] == shown and mine[header.index("Practitioner")] == "Alex"

    chat.say("cancel my appointment")
    chat.say("Yes")
    page = web.get(f"{booking_stack.web_url}/reception/handoffs/{code}", timeout=10).text
    assert "Cancelled in Cliniko: " in page and "cancelled by the person in the chat" in page

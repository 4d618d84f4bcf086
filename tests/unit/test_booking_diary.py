"""The booking service (bot/booking/diary.py) against the Cliniko stand-in over real HTTP: which
diary, free times in two 7-day windows, preferences, booking with the re-check and the conflict
check, clashes, lost answers, cancel and move; and the wording the person reads about it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.booking import texts
from bot.booking.cliniko import CancellationReason, ClinikoClient, ClinikoUnavailable
from bot.booking.diary import (
    CANCEL_NOTE,
    CLASH_NOTE,
    Booking,
    BookingUnconfirmed,
    Diary,
    DiaryConfigError,
    NeedLastName,
    Offer,
    Person,
    Slot,
    SlotTaken,
    booking_offered,
    kind_for_outcome,
)
from bot.booking.times import parse_preferences
from tests.standins.cliniko import (
    ALEX,
    API_KEY,
    INITIAL,
    JINDALEE,
    KENMORE,
    PRIYA,
    SAM,
    ClinikoStandIn,
)

T = TypeVar("T")
BRISBANE = ZoneInfo("Australia/Brisbane")
NOW = datetime(2026, 12, 13, 20, 0, tzinfo=timezone.utc)  # Monday 14 Dec, 6:00 am in Brisbane
MONDAY = date(2026, 12, 14)
NEW_PERSON = Person("Pat", "Jones", email="pat.jones@example.com")


@pytest.fixture(scope="module")
def standin() -> Iterator[ClinikoStandIn]:
    with ClinikoStandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(standin: ClinikoStandIn) -> None:
    standin.reset()
    standin.set_now(NOW)


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def make(standin: ClinikoStandIn, **options: Any) -> Diary:
    client = ClinikoClient(
        API_KEY,
        contact_email="it@clinic.example",
        base_url=standin.base_url,
        sleep=_no_wait,
        timeout_s=options.pop("timeout_s", 5.0),
    )
    return Diary(client=client, tz=BRISBANE, **options)


def run(diary: Diary, scenario: Callable[[Diary], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await scenario(diary)
        finally:
            await diary.close()

    return asyncio.run(go())


def local(moment: datetime) -> datetime:
    return moment.astimezone(BRISBANE)


def first_free(standin: ClinikoStandIn, practitioner: str = ALEX, business: str = KENMORE) -> datetime:
    return standin.free_starts(business, practitioner, INITIAL, MONDAY)[0]


def slot_at(
    starts_at: datetime, practitioner: str = ALEX, business: str = KENMORE, name: str = "Alex"
) -> Slot:
    site = "kenmore" if business == KENMORE else "jindalee"
    return Slot(starts_at, site, business, practitioner, name, INITIAL, "general", 45)


# --- which diary -------------------------------------------------------------------------------


def test_sites_match_businesses_by_name_with_cliniko_s_address(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> list[Any]:
        return [await diary.site("kenmore"), await diary.site("Jindalee")]

    kenmore, jindalee = run(make(standin), scenario)
    assert (kenmore.business.id, jindalee.business.id) == (KENMORE, JINDALEE)
    assert kenmore.address == "2063 Moggill Road, Kenmore QLD 4069"  # no address setting: Cliniko's
    assert jindalee.address == "Shop 7, 11 Goggs Road, Jindalee QLD 4074"


def test_settings_override_the_business_and_the_address(
    monkeypatch: pytest.MonkeyPatch, standin: ClinikoStandIn
) -> None:
    monkeypatch.setenv("CLINIKO_API_KEY", API_KEY)
    monkeypatch.setenv("CLINIKO_API_URL", standin.base_url)
    monkeypatch.setenv("CLINIKO_CONTACT_EMAIL", "it@clinic.example")
    monkeypatch.setenv("CLINIKO_BUSINESS_ID_KENMORE", JINDALEE)  # e.g. a renamed business
    monkeypatch.setenv("CLINIC_ADDRESS_KENMORE", "Level 1, 2063 Moggill Rd, Kenmore")
    monkeypatch.setenv("CLINIKO_TYPE_GENERAL", "initial consultation")
    diary = Diary.from_settings()

    async def scenario(diary: Diary) -> Any:
        return await diary.site("kenmore"), await diary.appointment_type("general")

    place, kind = run(diary, scenario)
    assert place.business.id == JINDALEE
    assert place.address == "Level 1, 2063 Moggill Rd, Kenmore"
    assert kind.id == INITIAL  # names match whatever their case
    assert not [r for r in standin.requests() if r.path == "/v1/businesses"]  # the id is fetched directly


def test_a_diary_that_matches_nothing_says_so(standin: ClinikoStandIn) -> None:
    with pytest.raises(DiaryConfigError, match="no Cliniko appointment type"):
        run(make(standin, type_names={"running": "Gait Lab", "general": "Initial Consultation"}),
            lambda d: d.appointment_type("running"))  # fmt: skip
    with pytest.raises(DiaryConfigError, match="kenmore id"):
        run(make(standin, business_ids={"kenmore": "424242"}), lambda d: d.site("kenmore"))
    standin.businesses["1004"] = {
        **standin.businesses[KENMORE],
        "id": "1004",
        "business_name": "Kenmore Pilates",
    }
    with pytest.raises(DiaryConfigError, match="CLINIKO_BUSINESS_ID_KENMORE"):
        run(make(standin), lambda d: d.site("kenmore"))


def test_practitioners_are_those_at_the_business_offering_the_type(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> dict[str, list[str]]:
        return {
            f"{site} {kind}": [p.first_name for p in await diary.practitioners(site, kind)]
            for site in ("kenmore", "jindalee")
            for kind in ("running", "general")
        }

    assert run(make(standin), scenario) == {
        "kenmore running": ["Alex"],
        "kenmore general": ["Alex", "Priya"],  # not Jordan: he only does follow-ups
        "jindalee running": ["Sam"],
        "jindalee general": ["Priya", "Sam"],
    }


def test_the_type_follows_the_triage_outcome() -> None:
    assert kind_for_outcome("book_running_assessment") == "running"
    assert kind_for_outcome("general_assessment") == kind_for_outcome(None) == "general"
    assert not booking_offered("emergency") and not booking_offered("urgent_medical")
    assert booking_offered("book_running_assessment") and booking_offered("general_assessment")


def test_the_diary_lists_are_cached_but_free_times_are_not(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> None:
        await diary.free_times("kenmore", "general", None, NOW)
        await diary.free_times("kenmore", "general", None, NOW)

    run(make(standin), scenario)
    paths = [r.path for r in standin.requests()]
    assert paths.count("/v1/businesses") == paths.count("/v1/appointment_types") == 1
    first_day = [r for r in standin.requests(path="/available_times") if ("from", "2026-12-14") in r.query]
    assert len({(r.path, tuple(r.query)) for r in first_day}) < len(first_day)  # asked again each time


# --- free times --------------------------------------------------------------------------------


def test_free_times_are_the_soonest_merged_across_practitioners(standin: ClinikoStandIn) -> None:
    slots = run(make(standin), lambda d: d.free_times("jindalee", "general", None, NOW, per_day=None))
    everything = sorted(
        (s, name)
        for practitioner, name in ((PRIYA, "Priya"), (SAM, "Sam"))
        for n in range(7)
        for s in standin.free_starts(JINDALEE, practitioner, INITIAL, MONDAY + timedelta(n))
    )
    assert [(s.starts_at, s.practitioner_name) for s in slots] == everything[:5]
    assert {s.practitioner_name for s in slots} == {"Priya", "Sam"} or len(slots) == 5
    assert all(s.site == "jindalee" and s.duration_minutes == 45 for s in slots)


def test_at_most_two_a_day_so_the_choice_spans_days(standin: ClinikoStandIn) -> None:
    slots = run(make(standin), lambda d: d.free_times("kenmore", "general", None, NOW))
    days = [local(s.starts_at).date() for s in slots]
    assert len(slots) == 5 and all(days.count(day) <= 2 for day in days)
    assert [s.starts_at for s in slots] == sorted(s.starts_at for s in slots)


def test_two_seven_day_windows_when_the_first_week_is_not_enough(standin: ClinikoStandIn) -> None:
    slots = run(make(standin), lambda d: d.free_times("kenmore", "general", "Saturday", NOW))
    assert slots and all(local(s.starts_at).weekday() == 5 for s in slots)
    assert {local(s.starts_at).date() for s in slots} == {date(2026, 12, 19), date(2026, 12, 26)}
    windows = set()
    for request in standin.requests(path="/available_times"):
        query = dict(request.query)
        first, last = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
        assert (last - first).days <= 6  # never more than Cliniko's 7 days
        windows.add((first, last))
    assert {(MONDAY, date(2026, 12, 20)), (date(2026, 12, 21), date(2026, 12, 27))} <= windows


def test_one_window_is_enough_when_it_fills_the_offer(standin: ClinikoStandIn) -> None:
    run(make(standin), lambda d: d.free_times("kenmore", "general", None, NOW))
    froms = {dict(r.query)["from"] for r in standin.requests(path="/available_times")}
    assert froms == {"2026-12-14"}


def test_preferences_filter_the_times(standin: ClinikoStandIn) -> None:
    mornings = run(make(standin), lambda d: d.free_times("kenmore", "general", "weekday mornings", NOW))
    assert mornings and all(
        local(s.starts_at).weekday() < 5 and local(s.starts_at).hour < 12 for s in mornings
    )
    late = run(make(standin), lambda d: d.free_times("jindalee", "general", "after 4", NOW))
    assert late and all(local(s.starts_at).hour >= 16 for s in late)
    next_week = run(make(standin), lambda d: d.free_times("kenmore", "running", "next week", NOW))
    assert next_week and all(local(s.starts_at).date() >= date(2026, 12, 21) for s in next_week)


def test_later_times_start_after_the_last_offered(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> tuple[list[Slot], list[Slot]]:
        first = await diary.free_times("kenmore", "running", None, NOW)
        later = await diary.free_times("kenmore", "running", None, NOW, start=first[-1].starts_at)
        return first, later

    first, later = run(make(standin), scenario)
    assert later and later[0].starts_at > first[-1].starts_at


def test_either_site_offers_both(standin: ClinikoStandIn) -> None:
    slots = run(make(standin), lambda d: d.free_times("either", "running", None, NOW, limit=5, per_day=None))
    assert {s.site for s in slots} == {"kenmore", "jindalee"}
    assert {s.practitioner_name for s in slots} == {"Alex", "Sam"}


def test_nothing_fits_then_the_soonest_instead(standin: ClinikoStandIn) -> None:
    offer = run(make(standin), lambda d: d.offer("kenmore", "general", "Sundays", NOW))
    assert not offer.fits_preference and len(offer.slots) == 5
    message = texts.offer_message(offer, BRISBANE)
    assert message.startswith(
        "I couldn't find any Sunday times in the next two weeks, so here are the soonest"
    )


def test_an_outage_while_looking_is_a_cliniko_error(standin: ClinikoStandIn) -> None:
    standin.fail_next(50, 503, path="/available_times")
    with pytest.raises(ClinikoUnavailable):
        run(make(standin), lambda d: d.free_times("kenmore", "general", None, NOW))


# --- booking -----------------------------------------------------------------------------------


def test_booking_a_new_person_rechecks_then_books_then_checks_conflicts(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> Any:
        [slot] = await diary.free_times("kenmore", "general", None, NOW, limit=1)
        standin.log.clear()
        return slot, await diary.book(slot, NEW_PERSON)

    slot, booking = run(make(standin), scenario)
    [mine] = standin.appointments_at(slot.practitioner_id, slot.starts_at)
    assert (mine.id, mine.patient_id, mine.starts_at) == (
        booking.appointment_id,
        booking.patient_id,
        slot.starts_at,
    )
    patient = standin.patients[booking.patient_id]
    assert (patient["first_name"], patient["last_name"], patient["email"]) == (
        "Pat",
        "Jones",
        "pat.jones@example.com",
    )
    assert booking.new_patient and booking.appointment_type_name == "Initial Consultation"
    assert booking.address == "2063 Moggill Road, Kenmore QLD 4069"
    steps = [(r.method, r.path.rsplit("/", 1)[-1]) for r in standin.requests()]
    create = steps.index(("POST", "individual_appointments"))
    assert ("GET", "available_times") in steps[:create]  # checked free right before booking
    assert steps[create + 1] == ("GET", "conflicts")  # and checked for a clash right after


def test_an_existing_patient_is_found_by_email(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    booking = run(
        make(standin), lambda d: d.book(slot, Person("Sam", "Taylor", email="sam.taylor@example.com"))
    )
    assert booking.patient_id == "5001" and not booking.new_patient
    assert not standin.requests(method="POST", path="/patients")


def test_an_existing_patient_is_found_by_phone_among_namesakes(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    booking = run(
        make(standin), lambda d: d.book(slot, Person.from_booking("Jo Citizen", "phone", "+61412345678"))
    )
    assert booking.patient_id == "5002"  # "61 412 345 678" in Cliniko; the other Jo has another number
    filters = [q for r in standin.requests(path="/patients") for q in r.query if q[0] == "q[]"]
    assert filters == [("q[]", "last_name:~Citizen")]  # Cliniko can't search by phone: by name, then matched


def test_a_new_patient_needs_a_last_name(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    with pytest.raises(NeedLastName):
        run(make(standin), lambda d: d.book(slot, Person.from_booking("José", "phone", "+61412999000")))
    assert not standin.requests(method="POST")


def test_a_time_taken_between_offer_and_booking_is_not_double_booked(standin: ClinikoStandIn) -> None:
    async def scenario(diary: Diary) -> Slot:
        [slot] = await diary.free_times("kenmore", "general", None, NOW, limit=1)
        standin.take(slot.practitioner_id, slot.starts_at)  # reception books it meanwhile
        with pytest.raises(SlotTaken) as taken:
            await diary.book(slot, NEW_PERSON)
        assert taken.value.slot == slot
        return slot

    slot = run(make(standin), scenario)
    assert not standin.requests(method="POST", path="/individual_appointments")
    [only] = standin.appointments_at(slot.practitioner_id, slot.starts_at)
    assert only.patient_id == "5999"  # theirs, not ours


def test_a_clash_at_the_moment_of_booking_is_undone(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    standin.take_on_create()  # someone books the same time between our check and our create
    with pytest.raises(SlotTaken):
        run(make(standin), lambda d: d.book(slot, NEW_PERSON))
    [theirs] = standin.appointments_at(ALEX, slot.starts_at)
    [ours] = [a for a in standin.appointments_at(ALEX, slot.starts_at, active=False) if not a.active]
    assert theirs.patient_id == "5999"
    assert (ours.cancellation_reason, ours.cancellation_note) == (int(CancellationReason.OTHER), CLASH_NOTE)


def test_a_lost_answer_to_the_booking_is_found_not_booked_again(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    standin.slow_response_next(1.0, method="POST", path="/individual_appointments")
    booking = run(make(standin, timeout_s=0.3), lambda d: d.book(slot, NEW_PERSON))
    [mine] = standin.appointments_at(ALEX, slot.starts_at)
    assert mine.id == booking.appointment_id
    assert len(standin.requests(method="POST", path="/individual_appointments")) == 1


def test_a_failed_booking_books_nothing(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    standin.fail_next(1, 500, method="POST", path="/individual_appointments")
    with pytest.raises(ClinikoUnavailable):
        run(make(standin), lambda d: d.book(slot, NEW_PERSON))
    assert standin.appointments_at(ALEX, slot.starts_at) == []
    assert len(standin.requests(method="POST", path="/individual_appointments")) == 1


def test_an_unchecked_booking_is_unconfirmed_for_reception(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))
    standin.fail_next(3, 503, path="/conflicts")
    with pytest.raises(BookingUnconfirmed) as unconfirmed:
        run(make(standin), lambda d: d.book(slot, NEW_PERSON))
    [mine] = standin.appointments_at(ALEX, slot.starts_at)
    assert unconfirmed.value.appointment_id == mine.id


# --- cancel and move ---------------------------------------------------------------------------


def test_cancel_with_a_reason(standin: ClinikoStandIn) -> None:
    slot = slot_at(first_free(standin))

    async def scenario(diary: Diary) -> Any:
        booking = await diary.book(slot, NEW_PERSON)
        before = await diary.cancel(booking.appointment_id)
        await diary.cancel(booking.appointment_id)  # again: nothing more to do
        return booking, before

    booking, before = run(make(standin), scenario)
    stored = standin.appointments[booking.appointment_id]
    assert before.starts_at == slot.starts_at and not stored.active
    assert (stored.cancellation_reason, stored.cancellation_note) == (50, CANCEL_NOTE)
    assert len(standin.requests(method="PATCH", path="/cancel")) == 1
    assert standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[0] == slot.starts_at  # free again


def test_move_to_a_free_time(standin: ClinikoStandIn) -> None:
    first, second = standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[:2]

    async def scenario(diary: Diary) -> Any:
        booking = await diary.book(slot_at(first), NEW_PERSON)
        return booking, await diary.move(booking.appointment_id, slot_at(second + timedelta(days=2)))

    booking, moved = run(make(standin), scenario)
    stored = standin.appointments[booking.appointment_id]
    assert (stored.starts_at, stored.ends_at) == (
        second + timedelta(days=2),
        second + timedelta(days=2, minutes=45),
    )
    assert moved.appointment_id == booking.appointment_id and moved.slot.starts_at == stored.starts_at
    assert standin.requests(method="GET", path=f"/individual_appointments/{booking.appointment_id}/conflicts")


def test_move_to_a_taken_time_changes_nothing(standin: ClinikoStandIn) -> None:
    first, second = standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[:2]

    async def scenario(diary: Diary) -> str:
        booking = await diary.book(slot_at(first), NEW_PERSON)
        standin.take(ALEX, second)
        with pytest.raises(SlotTaken):
            await diary.move(booking.appointment_id, slot_at(second))
        return booking.appointment_id

    appointment_id = run(make(standin), scenario)
    assert standin.appointments[appointment_id].starts_at == first
    assert not standin.requests(method="PATCH")


def test_a_clash_when_moving_puts_it_back(standin: ClinikoStandIn) -> None:
    first, second = standin.free_starts(KENMORE, ALEX, INITIAL, MONDAY)[:2]

    async def scenario(diary: Diary) -> str:
        booking = await diary.book(slot_at(first), NEW_PERSON)
        standin.take_on_move()
        with pytest.raises(SlotTaken):
            await diary.move(booking.appointment_id, slot_at(second))
        return booking.appointment_id

    appointment_id = run(make(standin), scenario)
    stored = standin.appointments[appointment_id]
    assert (stored.starts_at, stored.ends_at, stored.active) == (first, first + timedelta(minutes=45), True)
    [theirs] = standin.appointments_at(ALEX, second)
    assert theirs.patient_id == "5999"


# --- values and wording ------------------------------------------------------------------------


def test_a_slot_survives_a_rasa_slot_round_trip() -> None:
    slot = slot_at(datetime(2026, 12, 14, 0, 30, tzinfo=timezone.utc))
    assert Slot.from_dict(slot.to_dict()) == slot
    assert slot.ends_at - slot.starts_at == timedelta(minutes=45)


def test_a_person_from_the_booking_form() -> None:
    assert Person.from_booking("Dr Anne O'Neil", "email", "anne@example.com") == Person(
        "Anne", "O'Neil", email="anne@example.com"
    )
    assert Person.from_booking("Mary Jane Smith", "phone", "+61412345678") == Person(
        "Mary", "Jane Smith", phone="+61412345678"
    )


def test_the_confirmation_says_everything_the_person_needs() -> None:
    slot = Slot(
        datetime(2025, 12, 9, 0, 30, tzinfo=timezone.utc),
        "kenmore",
        KENMORE,
        ALEX,
        "Alex",
        "3002",
        "running",
        60,
    )
    booking = Booking("9001", slot, "5001", "2063 Moggill Road, Kenmore QLD 4069", "Running Assessment")
    text = texts.confirmation(booking, BRISBANE, clinic_phone="(07) 3000 0000")
    for part in (
        "You're booked in for a Running Assessment on Tuesday 9 December at 10:30 am",
        "our Kenmore clinic (2063 Moggill Road, Kenmore QLD 4069)",
        "with Alex",
        "shoes you usually run in",
        "cancel my appointment",
        "(07) 3000 0000",
    ):
        assert part in text


def test_the_offer_says_what_was_filtered() -> None:
    slots = (slot_at(datetime(2026, 12, 14, 22, 0, tzinfo=timezone.utc)),)
    message = texts.offer_message(Offer(slots, parse_preferences("weekday mornings")), BRISBANE)
    assert message.startswith(
        "Here are the soonest weekday-morning times at Kenmore:\n• Tue 15 Dec, 8:00 am with Alex"
    )
    assert texts.slot_button(slots[0], BRISBANE) == "Tue 15 Dec 8:00am"
    assert texts.slot_taken(slots[0], BRISBANE).startswith(
        "Sorry, someone else has just booked Tue 15 Dec at 8:00 am"
    )

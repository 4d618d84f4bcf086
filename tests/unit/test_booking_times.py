"""Times in words (bot/booking/times.py): preferences people type, slots shown in Brisbane time,
and which offered time a reply picks. Pure functions: no server, no clock."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.booking.times import (
    ANY_TIME,
    format_button,
    format_long,
    format_slot,
    format_time,
    next_week_start,
    parse_preferences,
    pick_slot,
)

BRISBANE = ZoneInfo("Australia/Brisbane")
TODAY = date(2026, 12, 7)  # a Monday


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRISBANE)


# --- formatting --------------------------------------------------------------------------------


def test_a_slot_in_words_is_brisbane_time_from_utc() -> None:
    start = datetime(2025, 12, 9, 0, 30, tzinfo=timezone.utc)  # 10:30 am in Brisbane (UTC+10)
    assert format_slot(start, BRISBANE) == "Tue 9 Dec, 10:30 am"
    assert format_button(start, BRISBANE) == "Tue 9 Dec 10:30am"
    assert format_long(start, BRISBANE) == "Tuesday 9 December at 10:30 am"
    assert format_time(start, "Australia/Brisbane") == "10:30 am"


def test_brisbane_has_no_daylight_saving() -> None:
    # Sydney moves its clocks in summer; Brisbane stays at UTC+10 all year.
    summer = datetime(2026, 1, 15, 4, 0, tzinfo=timezone.utc)
    winter = datetime(2026, 7, 15, 4, 0, tzinfo=timezone.utc)
    assert format_time(summer, BRISBANE) == format_time(winter, BRISBANE) == "2:00 pm"


def test_midday_and_on_the_hour() -> None:
    assert format_slot(local(2026, 12, 12, 12, 0), BRISBANE) == "Sat 12 Dec, 12:00 pm"
    assert format_button(local(2026, 12, 8, 9, 0), BRISBANE) == "Tue 8 Dec 9:00am"


# --- preferences -------------------------------------------------------------------------------

HEADINGS = [
    ("weekday mornings", "Here are the soonest weekday-morning times"),
    ("mornings before 9", "Here are the soonest times before 9 am"),
    ("after 4", "Here are the soonest times after 4 pm"),
    ("after 4pm", "Here are the soonest times after 4 pm"),
    ("evenings", "Here are the soonest evening times"),
    ("Saturday", "Here are the soonest Saturday times"),
    ("weekends", "Here are the soonest weekend times"),
    ("any time", "Here are the soonest times"),
    ("Tuesday or Thursday afternoon", "Here are the soonest Tuesday or Thursday afternoon times"),
    ("lunchtime", "Here are the soonest times around lunchtime"),
    ("weekday mornings or Saturday", "Here are the soonest weekday-morning or Saturday times"),
    ("between 10 and 2", "Here are the soonest times between 10 am and 2 pm"),
    ("not Mondays", "Here are the soonest times except on Mondays"),
    ("after 9 and before 3", "Here are the soonest times between 9 am and 3 pm"),
    ("Tue/Thu arvos", "Here are the soonest Tuesday or Thursday afternoon times"),
    ("weekdays, after 4:30", "Here are the soonest weekday times after 4:30 pm"),
    ("Monday to Wednesday mornings", "Here are the soonest Monday to Wednesday morning times"),
]


@pytest.mark.parametrize(("text", "heading"), HEADINGS)
def test_preferences_are_described_in_plain_words(text: str, heading: str) -> None:
    preference = parse_preferences(text)
    assert preference.understood
    assert preference.heading == heading


def test_weekday_mornings_filter() -> None:
    preference = parse_preferences("weekday mornings")
    assert preference.matches(local(2026, 12, 8, 10, 30), BRISBANE)  # Tuesday morning
    assert not preference.matches(local(2026, 12, 8, 12, 0), BRISBANE)  # Tuesday midday
    assert not preference.matches(local(2026, 12, 12, 8, 0), BRISBANE)  # Saturday morning


def test_bare_hours_read_the_way_people_book() -> None:
    after_four = parse_preferences("after 4")
    assert after_four.matches(local(2026, 12, 8, 16, 0), BRISBANE)
    assert not after_four.matches(local(2026, 12, 8, 15, 30), BRISBANE)
    before_nine = parse_preferences("mornings before 9")
    assert before_nine.matches(local(2026, 12, 8, 8, 15), BRISBANE)
    assert not before_nine.matches(local(2026, 12, 8, 9, 0), BRISBANE)
    evenings_after_seven = parse_preferences("evenings after 7")
    assert evenings_after_seven.matches(local(2026, 12, 8, 19, 0), BRISBANE)
    assert not evenings_after_seven.matches(local(2026, 12, 8, 17, 30), BRISBANE)


def test_one_time_shared_by_two_days() -> None:
    preference = parse_preferences("Tuesday or Thursday afternoon")
    assert preference.matches(local(2026, 12, 8, 14, 0), BRISBANE)  # Tuesday
    assert preference.matches(local(2026, 12, 10, 15, 0), BRISBANE)  # Thursday
    assert not preference.matches(local(2026, 12, 8, 9, 0), BRISBANE)  # Tuesday morning
    assert not preference.matches(local(2026, 12, 9, 14, 0), BRISBANE)  # Wednesday


def test_saturday_weekends_lunchtime_and_refusals() -> None:
    saturday, weekends = parse_preferences("Saturday"), parse_preferences("weekends")
    assert saturday.matches(local(2026, 12, 12, 8, 0), BRISBANE)
    assert not saturday.matches(local(2026, 12, 13, 8, 0), BRISBANE)
    assert weekends.matches(local(2026, 12, 13, 8, 0), BRISBANE)
    lunch = parse_preferences("lunchtime")
    assert lunch.matches(local(2026, 12, 8, 12, 30), BRISBANE)
    assert not lunch.matches(local(2026, 12, 8, 14, 0), BRISBANE)
    not_mondays = parse_preferences("any day but not Monday or Friday")
    assert not not_mondays.matches(local(2026, 12, 7, 9, 0), BRISBANE)
    assert not not_mondays.matches(local(2026, 12, 11, 9, 0), BRISBANE)
    assert not_mondays.matches(local(2026, 12, 8, 9, 0), BRISBANE)


@pytest.mark.parametrize("text", ["any time", "whenever", "I don't mind", "asap"])
def test_any_time_is_understood_and_filters_nothing(text: str) -> None:
    preference = parse_preferences(text)
    assert preference.understood and preference.is_any
    assert preference.matches(local(2026, 12, 13, 23, 0), BRISBANE)


@pytest.mark.parametrize("text", ["", "purple", "when the moon is full"])
def test_words_that_name_no_time_are_not_understood(text: str) -> None:
    preference = parse_preferences(text)
    assert not preference.understood
    assert preference.is_any  # shows the soonest times; the assistant says it wasn't sure
    assert preference.heading == "Here are the soonest times"


def test_dates_need_today() -> None:
    tomorrow = parse_preferences("tomorrow morning", today=TODAY)
    assert tomorrow.heading == "Here are the soonest morning times tomorrow"
    assert tomorrow.matches(local(2026, 12, 8, 9, 0), BRISBANE)
    assert not tomorrow.matches(local(2026, 12, 9, 9, 0), BRISBANE)
    next_week = parse_preferences("next week", today=TODAY)
    assert next_week.earliest_date == date(2026, 12, 14)
    assert next_week.matches(local(2026, 12, 20, 9, 0), BRISBANE)
    assert not next_week.matches(local(2026, 12, 11, 9, 0), BRISBANE)


def test_any_time_default() -> None:
    assert ANY_TIME.is_any and ANY_TIME.description == "times"


def test_next_week_starts_on_monday_midnight_brisbane() -> None:
    now = datetime(2026, 12, 9, 3, 0, tzinfo=timezone.utc)  # Wednesday in Brisbane
    assert next_week_start(now, BRISBANE) == datetime(2026, 12, 13, 14, 0, tzinfo=timezone.utc)


# --- picking one of the offered times ----------------------------------------------------------

OFFERED = [
    local(2026, 12, 8, 10, 30),  # 0: Tue 8 Dec 10:30 am
    local(2026, 12, 8, 14, 30),  # 1: Tue 8 Dec 2:30 pm
    local(2026, 12, 9, 9, 0),  # 2: Wed 9 Dec 9:00 am
    local(2026, 12, 10, 16, 0),  # 3: Thu 10 Dec 4:00 pm
    local(2026, 12, 12, 8, 0),  # 4: Sat 12 Dec 8:00 am
]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the Thursday one", 3),
        ("2:30", 1),
        ("10:30 on Tuesday", 0),
        ("the first one", 0),
        ("the earliest", 0),
        ("option 3", 2),
        ("3", 2),
        ("the 9th", 2),
        ("the last one", 4),
        ("Saturday please", 4),
        ("Tuesday afternoon", 1),
        ("the second Tuesday one", 1),
        ("4pm Thursday", 3),
        ("the 9am", 2),
        ("Tue 8 Dec, 10:30 am", 0),
        ("12/12", 4),
        ("Sat 12 Dec", 4),
        ("first thing Wednesday", 2),
    ],
)
def test_free_text_picks_an_offered_time(text: str, index: int) -> None:
    choice = pick_slot(text, OFFERED, BRISBANE, today=TODAY)
    assert (choice.kind, choice.index) == ("slot", index)


def test_several_fit_then_ask_which() -> None:
    choice = pick_slot("Tuesday", OFFERED, BRISBANE)
    assert choice.kind == "ambiguous" and choice.candidates == (0, 1)
    assert pick_slot("the morning one", OFFERED, BRISBANE).candidates == (0, 2, 4)


def test_refusing_one_day_leaves_the_others() -> None:
    choice = pick_slot("Tuesday doesn't work for me", OFFERED, BRISBANE)
    assert choice.kind == "ambiguous" and choice.candidates == (2, 3, 4)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("none of these suit", "none_suit"),
        ("None of those work, sorry", "none_suit"),
        ("neither", "none_suit"),
        ("no", "none_suit"),
        ("something later", "later"),
        ("anything later in the week?", "later"),
        ("next week", "next_week"),
        ("do you have anything the week after?", "next_week"),
        ("hmm", "unclear"),
        ("7", "unclear"),
        ("the 20th", "unclear"),
    ],
)
def test_replies_that_are_not_one_time(text: str, kind: str) -> None:
    assert pick_slot(text, OFFERED, BRISBANE, today=TODAY).kind == kind


def test_asking_for_other_times_carries_the_preference() -> None:
    choice = pick_slot("have you got anything on Friday afternoon?", OFFERED, BRISBANE, today=TODAY)
    assert choice.kind == "other_times" and choice.preference is not None
    assert choice.preference.heading == "Here are the soonest Friday afternoon times"
    later_day = pick_slot("Tuesday next week?", OFFERED, BRISBANE, today=TODAY)
    assert later_day.kind == "other_times" and later_day.preference is not None
    assert later_day.preference.earliest_date == date(2026, 12, 14)


def test_yes_to_a_single_offered_time() -> None:
    assert pick_slot("yes please", OFFERED[:1], BRISBANE).index == 0
    assert pick_slot("yes please", OFFERED, BRISBANE).kind == "unclear"


def test_nothing_offered_or_said() -> None:
    assert pick_slot("the first one", [], BRISBANE).kind == "unclear"
    assert pick_slot("", OFFERED, BRISBANE).kind == "unclear"

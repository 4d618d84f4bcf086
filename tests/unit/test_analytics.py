"""Clinic analytics (issue 20): what is kept of Rasa's events, the counts for recorded event
streams, idempotent storage, the abandonment rule, and the report's JSON and CSV."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select, text

from actions.questions import BOOKING_QUESTIONS
from actions.questions import TRIAGE_QUESTIONS as ACTION_QUESTIONS
from bot.analytics import funnel
from bot.analytics.events import REDACTED, event_id, from_wire, reduce_event, sender_key
from bot.analytics.report import JSON_KEYS, build_report
from bot.analytics.store import ingest
from bot.db import repository
from bot.db.models import AnalyticsConversation, AnalyticsEvent, Handoff
from bot.db.session import session_scope
from tests.unit.analytics_support import KEY, all_events, copy_of, events, last_timestamp, streams

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Australia/Brisbane")
PERSONAL = ("Sam Taylor", "0412 345 678", "+61412345678", "Alex Smith", "alex@example.com", "Jo Citizen")


# --- what leaves the Rasa server -----------------------------------------------------------------


def _user(text: str, **extra) -> dict:
    return {
        "sender_id": "telegram-987654321",
        "event": "user",
        "timestamp": 1796600000.25,
        "text": text,
        "parse_data": {
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "name", "value": text}],
            "text": text,
        },
        "input_channel": "telegram",
        "message_id": "abc",
        "metadata": {"phone": "0412 345 678"},
        **extra,
    }


def test_a_message_keeps_its_intent_and_channel_and_never_its_words() -> None:
    reduced = reduce_event(_user("I'm Sam Taylor, call me on 0412 345 678"), KEY)
    assert reduced is not None
    assert reduced["intent"] == "inform" and reduced["input_channel"] == "telegram"
    assert reduced["sender_key"] == sender_key("telegram-987654321", KEY) and len(reduced["sender_key"]) == 32
    dumped = json.dumps(reduced)
    for secret in ("Sam", "0412", "987654321", "telegram-", "abc", "phone"):
        assert secret not in dumped
    assert set(reduced) == {"v", "id", "sender_key", "event", "timestamp", "intent", "input_channel"}


def test_slot_values_are_kept_only_where_the_assistant_chose_them() -> None:
    def slot(name, value):
        event = {"sender_id": "s", "event": "slot", "timestamp": 1796600000.5, "name": name, "value": value}
        return reduce_event(event, KEY)["value"]

    assert slot("booking_name", "Sam Taylor") == REDACTED
    assert slot("booking_contact", "+61412345678") == REDACTED
    assert slot("pain_location", "the outside of my right knee") == REDACTED
    assert slot("pain_location", None) is None
    assert slot("reference_code", "KNE-7K3Q9") == REDACTED
    assert slot("requested_slot", "onset") == "onset"
    assert slot("requested_slot", "my name is Sam") is None  # not a slot name: dropped
    assert slot("triage_outcome", "emergency") == "emergency"
    assert slot("triage_outcome", "I feel fine") is None
    assert slot("red_flags", ["locked_knee", "Sam Taylor lives at 1 Main St"]) == ["locked_knee"]
    assert slot("erase_conversation", True) is True
    assert slot("handoff_reason", "talk_to_person") == "talk_to_person"


def test_replies_and_other_kinds_of_event_are_not_kept() -> None:
    for kind in ("bot", "user_featurization", "action_execution_rejected", "followup"):
        assert reduce_event({"sender_id": "s", "event": kind, "timestamp": 1.5, "text": "hi"}, KEY) is None
    assert reduce_event({"event": "user", "timestamp": 1.5}, KEY) is None  # no sender
    assert reduce_event({"sender_id": "s", "event": "user", "timestamp": "now"}, KEY) is None


def test_an_event_is_known_by_its_sender_kind_time_and_name() -> None:
    a = reduce_event(
        {"sender_id": "s", "event": "action", "timestamp": 1796600000.125, "name": "utter_greet"}, KEY
    )
    again = reduce_event(
        {
            "sender_id": "s",
            "event": "action",
            "timestamp": 1796600000.125,
            "name": "utter_greet",
            "policy": "x",
        },
        KEY,
    )
    other = reduce_event(
        {"sender_id": "t", "event": "action", "timestamp": 1796600000.125, "name": "utter_greet"}, KEY
    )
    later = reduce_event(
        {"sender_id": "s", "event": "action", "timestamp": 1796600000.126, "name": "utter_greet"}, KEY
    )
    assert a["id"] == again["id"] == event_id(a["sender_key"], "action", 1796600000.125, "utter_greet")
    assert len({a["id"], other["id"], later["id"]}) == 3


def test_the_consumer_reads_reduced_events_again_and_reduces_rasas_own() -> None:
    reduced = reduce_event(_user("Sam Taylor"), KEY)
    tampered = {**reduced, "text": "Sam Taylor", "value": "x"}
    assert from_wire(tampered, KEY) == reduced
    assert from_wire(_user("Sam Taylor"), KEY) == reduced  # a stock Rasa broker's row
    assert from_wire({**reduced, "sender_key": "not-a-hash"}, KEY) is None
    assert from_wire("[]", KEY) is None


def test_the_recorded_streams_hold_no_words_ids_or_contact_details() -> None:
    for name, stream in streams().items():
        dumped = json.dumps(stream["events"])
        assert stream["sender"] not in dumped, name
        for message in stream["messages"]:
            if len(message) > 3:
                assert message not in dumped, (name, message)
        for secret in PERSONAL:
            assert secret not in dumped, (name, secret)


def test_the_question_tables_are_the_assistants() -> None:
    assert tuple(ACTION_QUESTIONS) == funnel.TRIAGE_QUESTIONS
    assert tuple(BOOKING_QUESTIONS) == funnel.BOOKING_QUESTIONS
    triage = yaml.safe_load((ROOT / "domain" / "triage.yml").read_text())["forms"]["triage_form"]
    assert tuple(triage["required_slots"]) == (*funnel.TRIAGE_QUESTIONS, funnel.CONFIRM_QUESTION)
    intents = yaml.safe_load((ROOT / "domain" / "core.yml").read_text())["intents"]
    assert set(funnel.FAQ_TOPICS) <= set(intents)
    actions = set()
    for path in (ROOT / "domain").glob("*.yml"):
        actions |= set(yaml.safe_load(path.read_text()).get("actions") or [])
        actions |= set(yaml.safe_load(path.read_text()).get("responses") or {})
    for marker in ("utter_offer_booking", "utter_confirm_delete", funnel.ANSWER_ACTION, funnel.WHY_ACTION):
        assert marker in actions, marker


# --- one conversation's steps, from recorded streams ---------------------------------------------

EXPECTED = {
    # name: (channel, messages, outcome, stop point, booking offered, handoff, talk to a person,
    #        delete asked, deleted, red flags, FAQ topics)
    "itbs_booked": (
        "rest",
        18,
        "book_running_assessment",
        "booking_consent",
        True,
        True,
        False,
        False,
        False,
        [],
        {},
    ),
    "itbs_declined": ("rest", 13, "book_running_assessment", "age", True, False, False, False, False, [], {}),
    "red_flag": (
        "rest",
        6,
        "emergency",
        "red_flag_screen",
        False,
        False,
        False,
        False,
        False,
        ["calf_pain_with_breathlessness"],
        {"exercises": 1},
    ),
    "quit_at_onset": ("rest", 4, None, "onset", False, False, False, False, False, [], {"recovery_time": 1}),
    "notice_only": ("rest", 1, None, "notice", False, False, False, False, False, [], {}),
    "faq_only": (
        "rest",
        3,
        None,
        "before_questions",
        False,
        False,
        False,
        False,
        False,
        [],
        {"foam_rolling": 1, "clinic_info": 1},
    ),
    "human_then_delete": ("rest", 9, None, "booking_consent", False, True, True, True, True, [], {}),
    "delete_cancelled": ("rest", 4, None, "pain_location", False, False, False, True, False, [], {}),
    "booking_abandoned": ("rest", 3, None, "booking_contact", False, False, False, False, False, [], {}),
    "front_of_knee": ("rest", 12, "general_assessment", "age", True, False, False, False, False, [], {}),
    "start_over": ("rest", 5, None, "onset", False, False, False, False, False, [], {}),
    "telegram_start": ("telegram", 2, None, "onset", False, False, False, False, False, [], {}),
}
TEN_TRIAGE_QUESTIONS = [
    "pain_location",
    "onset",
    "red_flag_screen",
    "predictable_onset",
    "downhill_worse",
    "stairs_descent_pain",
    "weekly_change_pct",
    "training_changes",
    "other_symptoms",
    "age",
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_recorded_conversation_is_read_exactly(name: str) -> None:
    [conversation] = funnel.summarise(events(name))
    channel, messages, outcome, stop, offered, handoff, person, asked, deleted, flags, topics = EXPECTED[name]
    assert conversation.channel == channel
    assert conversation.messages == messages
    assert conversation.past_notice == (messages >= 2)
    assert conversation.outcome == outcome and conversation.finished == (outcome is not None)
    assert conversation.stop_point == stop
    assert conversation.booking_offered is offered
    assert (conversation.handoff_at is not None) is handoff
    assert conversation.talk_to_person is person
    assert conversation.delete_requested is asked
    assert (conversation.deleted_at is not None) is deleted
    assert conversation.red_flags == flags
    assert conversation.faq_topics == topics
    assert conversation.unfinished == (outcome is None and not handoff and not deleted)
    assert (conversation.minutes_to_finish is not None) == (outcome is not None)


def test_questions_reached_and_answered_follow_the_form() -> None:
    def read(name):
        [conversation] = funnel.summarise(events(name))
        return conversation.questions_reached, conversation.questions_answered

    # the last-name question is asked only when Cliniko books a one-word name
    booking = [q for q in BOOKING_QUESTIONS if q != "booking_last_name"]
    assert read("itbs_booked") == (TEN_TRIAGE_QUESTIONS + booking, TEN_TRIAGE_QUESTIONS + booking)
    assert read("itbs_declined") == (TEN_TRIAGE_QUESTIONS, TEN_TRIAGE_QUESTIONS)
    # the red flag at the safety check ends the questions; it is the answer to that question
    assert read("red_flag") == (["pain_location", "onset", "red_flag_screen"],) * 2
    # a question of the person's own is not an answer
    assert read("quit_at_onset") == (["pain_location", "onset"], ["pain_location"])
    assert read("delete_cancelled") == (["pain_location"], [])
    assert read("booking_abandoned") == (["booking_name", "booking_contact"], ["booking_name"])
    assert read("faq_only") == ([], [])


def test_sessions_split_at_rasas_session_start() -> None:
    first = events("notice_only")
    second = copy_of("quit_at_onset", "rec-notice_only", shift_s=4000)
    conversations = funnel.summarise(first + second)
    assert [c.messages for c in conversations] == [1, 4]
    assert conversations[1].session_start > conversations[0].last_event_at
    # a conversation already under way when the analytics started has no session start: still read
    partial = [e for e in events("quit_at_onset") if e["event"] != "session_started"][2:]
    [conversation] = funnel.summarise(partial)
    assert conversation.messages == 4 and conversation.stop_point == "onset"


def test_the_widget_is_counted_as_widget() -> None:
    [conversation] = funnel.summarise(copy_of("faq_only", "abcdef0123456789abcdef0123456789", channel="web"))
    assert conversation.channel == "widget"
    [conversation] = funnel.summarise(copy_of("faq_only", "cli-user", channel="cmdline"))
    assert conversation.channel == "other"


# --- storage: idempotent, order-insensitive, nothing personal ------------------------------------


def _snapshot(session) -> list[tuple]:
    rows = session.scalars(select(AnalyticsConversation).order_by(AnalyticsConversation.session_start))
    return [
        (
            r.session_start,
            r.channel,
            r.messages,
            tuple(r.questions_reached),
            tuple(r.questions_answered),
            r.last_question,
            r.outcome,
            tuple(r.red_flags),
            r.booking_offered,
            r.handoff_at,
            r.talk_to_person,
            r.delete_requested,
            r.data_deleted,
            json.dumps(r.faq_topics, sort_keys=True),
            r.day,
        )
        for r in rows
    ]


def _ingest(batches) -> None:
    for batch in batches:
        with session_scope() as session:
            ingest(session, batch, ZONE)


@pytest.fixture
def analytics_db(db_url: str, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ANALYTICS_HASH_KEY", KEY)
    monkeypatch.setenv("CLINIC_TIMEZONE", "Australia/Brisbane")
    from bot.settings import get_settings

    get_settings.cache_clear()
    return db_url


def test_replays_duplicates_and_any_order_give_the_same_rows(analytics_db: str) -> None:
    everything = all_events()
    _ingest([everything])
    with session_scope() as session:
        once = _snapshot(session)
        stored = session.scalar(select(text("count(*)")).select_from(AnalyticsEvent))
    assert len(once) == len(EXPECTED)
    assert stored == len(everything)

    # the same events again, in small batches, shuffled, with duplicates inside a batch
    rng = random.Random(20)
    replay = everything + rng.sample(everything, 200)
    rng.shuffle(replay)
    _ingest([replay[i : i + 37] for i in range(0, len(replay), 37)])
    with session_scope() as session:
        assert _snapshot(session) == once
        assert session.scalar(select(text("count(*)")).select_from(AnalyticsEvent)) == len(everything)


def test_a_conversation_arriving_backwards_is_read_the_same(analytics_db: str) -> None:
    stream = events("itbs_booked")
    _ingest([stream[i : i + 5] for i in reversed(range(0, len(stream), 5))])
    with session_scope() as session:
        backwards = _snapshot(session)
        session.execute(AnalyticsConversation.__table__.delete())
        session.execute(AnalyticsEvent.__table__.delete())
    _ingest([stream])
    with session_scope() as session:
        assert _snapshot(session) == backwards


def test_delete_my_data_unlinks_the_counts_from_the_conversation_id(analytics_db: str) -> None:
    _ingest([all_events()])
    original = sender_key("rec-human_then_delete", KEY)
    with session_scope() as session:
        rows = list(session.scalars(select(AnalyticsConversation).where(AnalyticsConversation.data_deleted)))
        assert len(rows) == 1 and rows[0].sender_key != original and rows[0].handoff_at is not None
        assert (
            session.scalars(select(AnalyticsEvent).where(AnalyticsEvent.sender_key == original)).first()
            is None
        )
    # a replay of the deleted conversation's events is still recognised, and stays unlinked
    _ingest([events("human_then_delete")])
    with session_scope() as session:
        assert (
            session.scalars(select(AnalyticsEvent).where(AnalyticsEvent.sender_key == original)).first()
            is None
        )
        assert len(_snapshot(session)) == len(EXPECTED)


def test_the_analytics_tables_hold_nothing_that_identifies_a_person(analytics_db: str) -> None:
    _ingest([all_events()])
    with session_scope() as session:
        dump = []
        for table in (AnalyticsEvent.__table__, AnalyticsConversation.__table__):
            dump += [repr(tuple(row)) for row in session.execute(table.select())]
    everything = "\n".join(dump)
    for stream in streams().values():
        assert stream["sender"] not in everything
        for message in stream["messages"]:
            if len(message) > 3:
                assert message not in everything, message
    for secret in PERSONAL:
        assert secret not in everything


# --- the report: exact numbers, abandonment, ranges, channels, booked -----------------------------


def _everything_ingested() -> tuple[date, datetime]:
    batch = all_events()
    _ingest([batch])
    last = datetime.fromtimestamp(last_timestamp(batch), tz=timezone.utc)
    return last.astimezone(ZONE).date(), last


def _report(day: date, now: datetime, abandon_after_min: int = 0, **kwargs):
    with session_scope() as session:
        return build_report(
            session, day, day, now=now, abandon_after_min=abandon_after_min, key=KEY, zone=ZONE, **kwargs
        )


def _book(conversation_id: str) -> None:
    with session_scope() as session:
        handoff = session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id)).one()
        repository.set_handoff_status(session, handoff.reference_code, "booked", changed_by="alice")


def _handoff_for(conversation_id: str) -> None:
    with session_scope() as session:
        repository.create_handoff(
            session,
            conversation_id=conversation_id,
            channel="rest",
            reason="booking",
            name="Sam Taylor",
            contact_kind="phone",
            contact_value="+61412345678",
            site="jindalee",
            preferred_times="weekday mornings",
            consent=True,
        )


def test_the_numbers_for_the_recorded_conversations_are_exact(analytics_db: str) -> None:
    day, last = _everything_ingested()
    _handoff_for("rec-itbs_booked")
    before = _report(day, last)
    assert before.booked == 0  # status "new"
    _book("rec-itbs_booked")
    report = _report(day, last)
    assert report.as_json() == {
        "started": 12,
        "finished": 4,
        "outcomes": {
            **dict.fromkeys(report.outcomes, 0),
            "book_running_assessment": 2,
            "emergency": 1,
            "general_assessment": 1,
        },
        "red_flags": {**dict.fromkeys(report.red_flags, 0), "calf_pain_with_breathlessness": 1},
        "booking_offered": 3,
        "handoffs": 2,
        "booked": 1,
        "abandoned_at": {
            "notice": 1,
            "before_questions": 1,
            "pain_location": 1,
            "onset": 3,
            "booking_contact": 1,
        },
        "channels": {
            "telegram": {"started": 1, "finished": 0},
            "widget": {"started": 0, "finished": 0},
            "rest": {"started": 11, "finished": 4},
        },
        "median_minutes_to_finish": 0.0,
    }
    assert list(report.as_json()) == list(JSON_KEYS)
    assert set(report.outcomes) == {
        "emergency",
        "urgent_medical",
        "medical_review",
        "book_running_assessment",
        "general_assessment",
    }
    assert report.past_notice == 11
    assert report.talk_to_person == 1 and report.delete_requested == 2 and report.data_deleted == 1
    assert report.handoffs_without_triage == 1
    assert report.abandoned == 7 and report.in_progress == 0
    assert report.faq_topics == {"foam_rolling": 1, "exercises": 1, "recovery_time": 1, "clinic_info": 1}
    reached = {q: (r, a) for q, r, a in report.questions}
    assert reached["pain_location"] == (8, 7)  # every triage started but faq/notice/human/booking ones
    assert reached["onset"] == (7, 4)
    assert reached["booking_name"] == (3, 3) and reached["booking_contact"] == (3, 2)
    [week] = [w for w in report.weeks if w.started]
    assert (week.started, week.finished, week.handoffs, week.booked) == (12, 4, 2, 1)


def test_abandoned_only_after_the_quiet_time(analytics_db: str) -> None:
    day, last = _everything_ingested()
    soon = _report(day, last + timedelta(minutes=29), abandon_after_min=30)
    assert soon.abandoned_at == {} and soon.abandoned == 0 and soon.in_progress == 7
    later = _report(day, last + timedelta(minutes=30, seconds=1), abandon_after_min=30)
    assert later.abandoned == 7 and later.in_progress == 0
    assert sum(later.abandoned_at.values()) == 7
    at_once = _report(day, last, abandon_after_min=0)
    assert at_once.abandoned_at == later.abandoned_at


def test_median_minutes_ranges_weeks_and_channels(analytics_db: str) -> None:
    base = events("itbs_declined")[0]["timestamp"]
    week = 7 * 24 * 3600
    batch = (
        copy_of("itbs_declined", "slow-1", stretch=300)  # ~3.3 min to finish
        + copy_of("itbs_declined", "slow-2", stretch=600)  # ~6.7 min
        + copy_of("red_flag", "slow-3", stretch=2000)  # ~9 min
        + copy_of("faq_only", "widget-1", channel="web")
        + copy_of("itbs_declined", "last-week", shift_s=-week, channel="web")
    )
    _ingest([batch])
    now = datetime.fromtimestamp(last_timestamp(batch), tz=timezone.utc) + timedelta(hours=1)
    day = datetime.fromtimestamp(base, tz=ZONE).date()
    minutes = sorted(
        funnel.summarise(copy_of(name, "x", stretch=s))[0].minutes_to_finish
        for name, s in (("itbs_declined", 300), ("itbs_declined", 600), ("red_flag", 2000))
    )
    report = _report(day, now)
    assert report.started == 4 and report.finished == 3
    assert report.median_minutes_to_finish == round(minutes[1], 1) and minutes[1] > 3
    assert report.channels["widget"] == {"started": 1, "finished": 0}

    with session_scope() as session:
        two_weeks = build_report(
            session, day - timedelta(days=7), day, now=now, abandon_after_min=0, key=KEY, zone=ZONE
        )
        widget_only = build_report(
            session,
            day - timedelta(days=7),
            day,
            channel="widget",
            now=now,
            abandon_after_min=0,
            key=KEY,
            zone=ZONE,
        )
    assert two_weeks.started == 5 and two_weeks.finished == 4
    assert [(w.started, w.finished) for w in two_weeks.weeks if w.started] == [(1, 1), (4, 3)]
    assert widget_only.started == 2 and list(widget_only.channels) == ["widget"]
    assert widget_only.as_json()["channels"] == {"widget": {"started": 2, "finished": 1}}


def test_a_conversation_belongs_to_the_clinics_day(analytics_db: str) -> None:
    # 14:30 UTC on 3 December is 00:30 on 4 December in Brisbane: the clinic's day counts
    start = datetime(2026, 12, 3, 14, 30, tzinfo=timezone.utc).timestamp()
    batch = copy_of("notice_only", "late-night", shift_s=start - events("notice_only")[0]["timestamp"])
    _ingest([batch])
    now = datetime(2026, 12, 4, 0, 0, tzinfo=timezone.utc)
    assert _report(date(2026, 12, 3), now).started == 0
    assert _report(date(2026, 12, 4), now).started == 1

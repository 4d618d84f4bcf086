"""The numbers the dashboard, its JSON and its CSV show, from `analytics_conversations` (and the
handoffs' reception status for "booked").

A conversation belongs to the day it started, in the clinic's time zone (`CLINIC_TIMEZONE`).
"Abandoned" depends on when one looks: a conversation without a finished triage, without a
handoff and not deleted counts as abandoned once `ANALYTICS_ABANDON_AFTER_MIN` minutes passed
since its last event (0: at once); until then it is "in progress". "Booked" is a handoff of the
conversation whose reception status is `booked` (set by a receptionist, or by a Cliniko booking),
matched to the conversation through the same keyed hash of the conversation id.

`Report.as_json()` has exactly the keys of issue 20; the CSV has those numbers and the rest of
the page's (with the same names), one figure per row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.events import sender_key
from bot.analytics.funnel import QUESTIONS, STOP_POINTS, TOPICS
from bot.db.models import ANALYTICS_CHANNELS, OUTCOMES, AnalyticsConversation, Handoff
from bot.triage.engine import RED_FLAG_ROUTES

JSON_KEYS: tuple[str, ...] = (
    "started",
    "finished",
    "outcomes",
    "red_flags",
    "booking_offered",
    "handoffs",
    "booked",
    "abandoned_at",
    "channels",
    "median_minutes_to_finish",
)
# The channels every report names (others appear when they have conversations).
MAIN_CHANNELS: tuple[str, ...] = ("telegram", "widget", "rest")
MAX_DAYS = 3 * 366  # the longest range one request may ask for
BOOKED_GRACE = timedelta(minutes=5)  # clock differences between Rasa and the database


@dataclass(frozen=True)
class Week:
    start: date  # Monday
    started: int
    finished: int
    handoffs: int
    booked: int


@dataclass
class Report:
    start: date
    end: date
    channel: str | None
    started: int = 0
    past_notice: int = 0
    finished: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    red_flags: dict[str, int] = field(default_factory=dict)
    booking_offered: int = 0
    handoffs: int = 0
    handoffs_without_triage: int = 0
    booked: int = 0
    talk_to_person: int = 0
    delete_requested: int = 0
    data_deleted: int = 0
    abandoned: int = 0
    in_progress: int = 0
    abandoned_at: dict[str, int] = field(default_factory=dict)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    median_minutes_to_finish: float | None = None
    questions: list[tuple[str, int, int]] = field(default_factory=list)  # (question, reached, answered)
    faq_topics: dict[str, int] = field(default_factory=dict)
    weeks: list[Week] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "finished": self.finished,
            "outcomes": dict(self.outcomes),
            "red_flags": dict(self.red_flags),
            "booking_offered": self.booking_offered,
            "handoffs": self.handoffs,
            "booked": self.booked,
            "abandoned_at": dict(self.abandoned_at),
            "channels": {name: dict(counts) for name, counts in self.channels.items()},
            "median_minutes_to_finish": self.median_minutes_to_finish,
        }

    def csv_rows(self) -> list[tuple[str, str, Any]]:
        """(figure, detail, value): every number of the JSON under its key, then the page's others."""
        rows: list[tuple[str, str, Any]] = [
            ("from", "", self.start.isoformat()),
            ("to", "", self.end.isoformat()),
            ("channel filter", "", self.channel or "all"),
            ("started", "", self.started),
            ("finished", "", self.finished),
        ]
        rows += [("outcomes", name, n) for name, n in self.outcomes.items()]
        rows += [("red_flags", name, n) for name, n in self.red_flags.items()]
        rows += [
            ("booking_offered", "", self.booking_offered),
            ("handoffs", "", self.handoffs),
            ("booked", "", self.booked),
        ]
        rows += [("abandoned_at", name, n) for name, n in self.abandoned_at.items()]
        for name, counts in self.channels.items():
            rows += [(f"channels.{key}", name, n) for key, n in counts.items()]
        minutes = self.median_minutes_to_finish
        rows.append(("median_minutes_to_finish", "", "" if minutes is None else minutes))
        rows += [
            ("past_notice", "", self.past_notice),
            ("abandoned", "", self.abandoned),
            ("in_progress", "", self.in_progress),
            ("handoffs_without_triage", "", self.handoffs_without_triage),
            ("talk_to_person", "", self.talk_to_person),
            ("delete_requested", "", self.delete_requested),
            ("data_deleted", "", self.data_deleted),
        ]
        for question, reached, answered in self.questions:
            rows += [("question_reached", question, reached), ("question_answered", question, answered)]
        rows += [("faq_topics", name, n) for name, n in self.faq_topics.items()]
        for week in self.weeks:
            day = week.start.isoformat()
            rows += [
                ("week.started", day, week.started),
                ("week.finished", day, week.finished),
                ("week.handoffs", day, week.handoffs),
                ("week.booked", day, week.booked),
            ]
        return rows


def day_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants (UTC) the clinic's days `start`..`end` (inclusive) begin and end."""
    first = datetime.combine(start, time.min, tzinfo=zone)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return first.astimezone(timezone.utc), after.astimezone(timezone.utc)


def _booked_conversations(
    session: Session, rows: list[AnalyticsConversation], key: str, since: datetime
) -> set[int]:
    """Ids of the conversations (among `rows`) with a handoff reception marked booked."""
    by_sender: dict[str, list[AnalyticsConversation]] = {}
    for row in rows:
        if row.handoff_at is not None:
            by_sender.setdefault(row.sender_key, []).append(row)
    if not by_sender:
        return set()
    booked: set[int] = set()
    handoffs = session.execute(
        select(Handoff.conversation_id, Handoff.created_at).where(
            Handoff.status == "booked", Handoff.created_at >= since - BOOKED_GRACE
        )
    )
    for conversation_id, created_at in handoffs:
        candidates = [
            row
            for row in by_sender.get(sender_key(conversation_id, key), [])
            if row.handoff_at is not None and row.started_at <= created_at + BOOKED_GRACE
        ]
        if candidates:
            booked.add(max(candidates, key=lambda row: row.started_at).id)
    return booked


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def build_report(
    session: Session,
    start: date,
    end: date,
    *,
    channel: str | None = None,
    now: datetime,
    abandon_after_min: int,
    key: str,
    zone: ZoneInfo,
) -> Report:
    query = select(AnalyticsConversation).where(
        AnalyticsConversation.day >= start, AnalyticsConversation.day <= end
    )
    if channel is not None:
        query = query.where(AnalyticsConversation.channel == channel)
    rows = list(session.scalars(query.order_by(AnalyticsConversation.started_at)))
    since, _ = day_bounds(start, end, zone)
    booked = _booked_conversations(session, rows, key, since)
    quiet_before = now - timedelta(minutes=max(0, abandon_after_min))

    report = Report(start=start, end=end, channel=channel)
    report.outcomes = dict.fromkeys(OUTCOMES, 0)
    report.red_flags = dict.fromkeys(RED_FLAG_ROUTES, 0)
    names = [c for c in ANALYTICS_CHANNELS if c in MAIN_CHANNELS or any(r.channel == c for r in rows)]
    if channel is not None:
        names = [channel]
    report.channels = {name: {"started": 0, "finished": 0} for name in names}
    stops: Counter[str] = Counter()
    reached: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    weeks: dict[date, list[int]] = {}
    minutes: list[float] = []

    for row in rows:
        is_booked = row.id in booked
        report.started += 1
        report.past_notice += row.messages >= 2
        report.channels[row.channel]["started"] += 1
        week = weeks.setdefault(_monday(row.day), [0, 0, 0, 0])
        week[0] += 1
        if row.outcome is not None:
            report.finished += 1
            report.outcomes[row.outcome] = report.outcomes.get(row.outcome, 0) + 1
            report.channels[row.channel]["finished"] += 1
            week[1] += 1
            if row.finished_at is not None:
                minutes.append(max(0.0, (row.finished_at - row.started_at).total_seconds()) / 60)
        for flag in row.red_flags:
            report.red_flags[flag] = report.red_flags.get(flag, 0) + 1
        report.booking_offered += row.booking_offered
        if row.handoff_at is not None:
            report.handoffs += 1
            report.handoffs_without_triage += row.outcome is None
            week[2] += 1
        if is_booked:
            report.booked += 1
            week[3] += 1
        report.talk_to_person += row.talk_to_person
        report.delete_requested += row.delete_requested
        report.data_deleted += row.data_deleted
        if row.outcome is None and row.handoff_at is None and not row.data_deleted:
            if row.last_event_at <= quiet_before:
                report.abandoned += 1
                stops[row.last_question or ("notice" if row.messages <= 1 else "before_questions")] += 1
            else:
                report.in_progress += 1
        reached.update(row.questions_reached)
        answered.update(row.questions_answered)
        topics.update({topic: int(n) for topic, n in (row.faq_topics or {}).items()})

    report.abandoned_at = {stop: stops[stop] for stop in STOP_POINTS if stops[stop]}
    report.questions = [(q, reached[q], answered[q]) for q in QUESTIONS if reached[q] or answered[q]]
    report.faq_topics = {topic: topics[topic] for topic in TOPICS if topics[topic]}
    if minutes:
        report.median_minutes_to_finish = round(median(minutes), 1)
    first, last = _monday(start), _monday(end)
    day = first
    while day <= last:
        counts = weeks.get(day, [0, 0, 0, 0])
        report.weeks.append(Week(day, *counts))
        day += timedelta(days=7)
    return report

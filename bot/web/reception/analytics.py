"""The clinic analytics page (`/reception/analytics`), its JSON (`/reception/analytics.json`) and
its CSV (`/reception/analytics.csv`), behind the reception login like every reception route.

All three show one `bot.analytics.report.Report` for a date range (`from`, `to`: YYYY-MM-DD, the
clinic's days, both included; default the last 30 days) and optionally one channel (`channel`:
telegram, widget, rest, other). The numbers come from the analytics tables that
`python -m bot.analytics` fills from Rasa's event stream; nothing on the page identifies anyone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.analytics.report import MAX_DAYS, Report, build_report
from bot.db.models import ANALYTICS_CHANNELS
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web.reception import auth, labels
from bot.web.reception.charts import Bar, Series, bar_chart, line_chart
from bot.web.reception.views import neutralise, templates

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30

CHANNEL_NAMES: dict[str, str] = {
    "telegram": "Telegram",
    "widget": "Website chat",
    "rest": "REST API",
    "other": "Other",
}
STOP_LABELS: dict[str, str] = {
    "notice": "Never wrote after the opening notice",
    "before_questions": "Wrote, but never reached a question",
    "pain_location": "Where it hurts",
    "onset": "How it started",
    "injury_recent": "Injured in the last 7 days?",
    "can_walk_four_steps": "Can walk four steps?",
    "can_bend_90": "Can bend the knee to 90°?",
    "red_flag_screen": "Safety check (warning signs)",
    "predictable_onset": "Pain at a predictable point in a run?",
    "downhill_worse": "Worse running downhill?",
    "stairs_descent_pain": "Pain going down stairs?",
    "weekly_change_pct": "Change in weekly distance",
    "training_changes": "Recent training changes",
    "other_symptoms": "Other symptoms",
    "age": "Age",
    "red_flag_confirm": "Yes/no check of a possible warning sign",
    "booking_name": "Booking: name",
    "booking_contact": "Booking: phone or email",
    "booking_site": "Booking: which clinic",
    "booking_times": "Booking: preferred times",
    "booking_consent": "Booking: consent to store details",
}
TOPIC_LABELS: dict[str, str] = {
    "foam_rolling": "Foam rolling",
    "stop_running": "Whether to stop running",
    "exercises": "Exercises",
    "recovery_time": "Recovery time",
    "evidence": "The evidence",
    "tell_me_more": "Tell me more",
    "what_is_itbs": "What ITB syndrome is",
    "clinic_info": "Clinic sites and hours",
    "why_ask": "Why the assistant asks",
    "about_the_assistant": "About the assistant",
    "other_injury": "Pain somewhere else",
    "out_of_scope": "Something else",
}


class BadRequest(ValueError):
    pass


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().clinic_timezone)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"'{name}' must be a date written YYYY-MM-DD") from error


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    channel: str | None

    @property
    def params(self) -> str:
        text = f"from={self.start.isoformat()}&to={self.end.isoformat()}"
        return text + (f"&channel={self.channel}" if self.channel else "")


def read_query(request: Request, today: date) -> Query:
    """The range and channel asked for (BadRequest if malformed)."""
    params = request.query_params
    end = _date(params.get("to"), "to") or today
    start = _date(params.get("from"), "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest("'from' is after 'to'")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"the range is longer than {MAX_DAYS} days")
    channel = params.get("channel") or None
    if channel is not None and channel not in ANALYTICS_CHANNELS:
        raise BadRequest(f"'channel' must be one of {', '.join(ANALYTICS_CHANNELS)}")
    return Query(start, end, channel)


def today_in_clinic(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(clinic_zone()).date()


def load_report(query: Query, now: datetime | None = None) -> Report:
    settings = get_settings()
    with session_scope() as session:
        return build_report(
            session,
            query.start,
            query.end,
            channel=query.channel,
            now=now or datetime.now(timezone.utc),
            abandon_after_min=settings.analytics_abandon_after_min,
            key=settings.analytics_hash_key,
            zone=clinic_zone(),
        )


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


@dataclass(frozen=True)
class Step:
    label: str
    value: int
    drop: int | None  # how many fewer than the step before (None: the first step, or not fewer)
    note: str  # the drop in words, for the chart and the table


def funnel_steps(report: Report) -> list[Step]:
    values = [
        ("Started", report.started),
        ("Finished the questions", report.finished),
        ("Offered a booking", report.booking_offered),
        ("Handoff to reception", report.handoffs),
        ("Booked", report.booked),
    ]
    steps = []
    previous: int | None = None
    for label, value in values:
        if previous is None:
            steps.append(Step(label, value, None, ""))
        elif value <= previous:
            kept = _percent(value, previous)
            steps.append(Step(label, value, previous - value, f"−{previous - value} ({kept} kept)"))
        else:
            # handoffs also come from "talk to a person" before the questions were finished
            extra = report.handoffs_without_triage
            steps.append(Step(label, value, None, f"incl. {extra} who had not finished"))
        previous = value
    return steps


def charts(report: Report) -> dict[str, Markup]:
    steps = funnel_steps(report)
    stops = sorted(report.abandoned_at.items(), key=lambda item: -item[1])
    weeks = report.weeks
    channel_bars = []
    for name, counts in report.channels.items():
        label = CHANNEL_NAMES.get(name, name)
        channel_bars += [
            Bar(f"{label}: started", counts["started"]),
            Bar(f"{label}: finished", counts["finished"], tone="second"),
        ]
    flags = [(name, n) for name, n in report.red_flags.items() if n]
    return {
        "funnel": bar_chart(
            "chart-funnel",
            "Funnel: " + ", ".join(f"{s.label.lower()} {s.value}" for s in steps) + ".",
            [Bar(s.label, s.value, s.note) for s in steps],
        ),
        "stops": bar_chart(
            "chart-stops",
            "Where people stopped: "
            + (", ".join(f"{STOP_LABELS.get(k, k)} {n}" for k, n in stops) if stops else "nobody")
            + ".",
            [Bar(STOP_LABELS.get(k, k), n, tone="alarm") for k, n in stops],
            empty="Nobody stopped part-way in this period.",
        ),
        "outcomes": bar_chart(
            "chart-outcomes",
            "Outcomes: "
            + ", ".join(f"{labels.outcome_label(k)} {n}" for k, n in report.outcomes.items())
            + ".",
            [
                Bar(
                    labels.outcome_label(k),
                    n,
                    tone="alarm" if k in ("emergency", "urgent_medical") else "main",
                )
                for k, n in report.outcomes.items()
            ],
        ),
        "red_flags": bar_chart(
            "chart-red-flags",
            "Warning signs: "
            + (", ".join(f"{labels.red_flag_label(k)} {n}" for k, n in flags) if flags else "none")
            + ".",
            [Bar(labels.red_flag_label(k), n, tone="alarm") for k, n in flags],
            empty="No warning signs in this period.",
        ),
        "channels": bar_chart(
            "chart-channels",
            "Channels: "
            + ", ".join(
                f"{CHANNEL_NAMES.get(k, k)} {c['started']} started, {c['finished']} finished"
                for k, c in report.channels.items()
            )
            + ".",
            channel_bars,
        ),
        "weeks": line_chart(
            "chart-weeks",
            "Conversations started and finished per week, from the week of "
            + (weeks[0].start.strftime("%-d %b %Y") if weeks else "–")
            + ": "
            + "; ".join(
                f"{w.start.strftime('%-d %b')}: {w.started} started, {w.finished} finished" for w in weeks
            )
            + ".",
            [w.start.strftime("%-d %b") for w in weeks],
            [
                Series("Started", [w.started for w in weeks], "main"),
                Series("Finished", [w.finished for w in weeks], "second"),
            ],
        ),
    }


def _bad_request_json(error: BadRequest) -> Response:
    return JSONResponse({"error": str(error)}, status_code=400)


async def analytics_page(request: Request) -> Response:
    today = today_in_clinic()
    error = None
    try:
        query = read_query(request, today)
    except BadRequest as problem:
        error = f"{problem}: showing the last {DEFAULT_DAYS} days instead."
        query = Query(today - timedelta(days=DEFAULT_DAYS - 1), today, None)
    report = await asyncio.to_thread(load_report, query)
    context: dict[str, Any] = {
        "staff": auth.current_staff(request),
        "query": query,
        "report": report,
        "error": error,
        "steps": funnel_steps(report),
        "charts": charts(report),
        "channels": ANALYTICS_CHANNELS,
        "CHANNEL_NAMES": CHANNEL_NAMES,
        "STOP_LABELS": STOP_LABELS,
        "TOPIC_LABELS": TOPIC_LABELS,
        "abandon_after_min": get_settings().analytics_abandon_after_min,
        "percent": _percent,
    }
    return templates.TemplateResponse(request, "analytics.html", context, status_code=400 if error else 200)


async def analytics_json(request: Request) -> Response:
    try:
        query = read_query(request, today_in_clinic())
    except BadRequest as problem:
        return _bad_request_json(problem)
    report = await asyncio.to_thread(load_report, query)
    return JSONResponse(report.as_json())


async def analytics_csv(request: Request) -> Response:
    try:
        query = read_query(request, today_in_clinic())
    except BadRequest as problem:
        return _bad_request_json(problem)
    report = await asyncio.to_thread(load_report, query)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("figure", "detail", "value"))
    writer.writerows([neutralise(cell) for cell in row] for row in report.csv_rows())
    logger.info("reception: %s exported analytics %s", auth.current_staff(request).username, query.params)
    name = f"analytics-{query.start.isoformat()}-{query.end.isoformat()}{'-' + query.channel if query.channel else ''}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

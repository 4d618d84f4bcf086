"""The analytics page, its JSON and its CSV behind the reception login, on SQLite and PostgreSQL:
the same numbers in all three, exactly the JSON keys of issue 20, charts with their tables."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.analytics.report import JSON_KEYS
from bot.analytics.store import ingest
from bot.db.session import session_scope
from bot.web.reception.analytics import Query, load_report
from tests.unit.analytics_support import KEY, all_events, copy_of, last_timestamp
from tests.unit.reception_support import client, configure, log_in, make_user

ZONE = ZoneInfo("Australia/Brisbane")


@pytest.fixture
def app_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    configure(monkeypatch, db_url, ANALYTICS_HASH_KEY=KEY, ANALYTICS_ABANDON_AFTER_MIN="0")
    make_user()
    return db_url


def _recorded_day() -> str:
    """Stores every recorded conversation plus one on the widget; returns their clinic day."""
    batch = all_events() + copy_of("faq_only", "a" * 32, channel="web")
    with session_scope() as session:
        ingest(session, batch, ZONE)
    return datetime.fromtimestamp(last_timestamp(batch), tz=ZONE).date().isoformat()


def test_every_analytics_route_needs_a_login(app_db) -> None:
    with client() as c:
        page = c.get("/reception/analytics")
        assert page.status_code == 303 and page.headers["location"].startswith("/reception/login?next=")
        for path in ("/reception/analytics.json", "/reception/analytics.csv"):
            refused = c.get(path)
            assert refused.status_code == 401, path
            assert "started" not in refused.text
        log_in(c)
        assert c.get("/reception/analytics").status_code == 200
        c.post(
            "/reception/logout",
            data={
                "csrf_token": re.search(
                    r'name="csrf_token" value="([^"]+)"', c.get("/reception/analytics").text
                ).group(1)
            },
        )
        assert c.get("/reception/analytics.json").status_code == 401


def test_json_has_exactly_the_issues_keys_and_the_reports_numbers(app_db) -> None:
    day = _recorded_day()
    with client() as c:
        log_in(c)
        answer = c.get("/reception/analytics.json", params={"from": day, "to": day})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert list(body) == list(JSON_KEYS)
    assert body["started"] == 13 and body["finished"] == 4 and body["handoffs"] == 2
    assert body["channels"]["widget"] == {"started": 1, "finished": 0}
    assert body["abandoned_at"] == {
        "notice": 1,
        "before_questions": 2,
        "pain_location": 1,
        "onset": 3,
        "booking_contact": 1,
    }
    assert all(isinstance(n, int) for n in body["outcomes"].values())
    assert body["median_minutes_to_finish"] == 0.0
    when = datetime.fromisoformat(day)
    report = load_report(Query(when.date(), when.date(), None))
    assert body == report.as_json()


def test_the_date_range_and_channel_filter(app_db) -> None:
    day = _recorded_day()
    the_day = datetime.fromisoformat(day).date()
    with client() as c:
        log_in(c)
        before = c.get(
            "/reception/analytics.json",
            params={
                "from": (the_day - timedelta(days=100)).isoformat(),
                "to": (the_day - timedelta(days=1)).isoformat(),
            },
        )
        telegram = c.get("/reception/analytics.json", params={"from": day, "to": day, "channel": "telegram"})
        default = c.get("/reception/analytics.json")  # the last 30 days up to today
        bad = [
            c.get("/reception/analytics.json", params=params)
            for params in (
                {"from": "yesterday"},
                {"from": "2026-02-30"},
                {"from": day, "to": "2020-01-01"},
                {"channel": "fax"},
                {"from": "2000-01-01", "to": "2026-12-01"},
            )
        ]
    assert before.json()["started"] == 0
    assert telegram.json()["started"] == 1 and list(telegram.json()["channels"]) == ["telegram"]
    today = datetime.now(timezone.utc).astimezone(ZONE).date()
    expected = 13 if (today - the_day).days < 30 else 0
    assert default.json()["started"] == expected
    assert [r.status_code for r in bad] == [400] * 5
    assert all("error" in r.json() for r in bad)


def test_csv_has_the_same_numbers_as_the_json(app_db) -> None:
    day = _recorded_day()
    with client() as c:
        log_in(c)
        body = c.get("/reception/analytics.json", params={"from": day, "to": day}).json()
        export = c.get("/reception/analytics.csv", params={"from": day, "to": day})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert f"analytics-{day}-{day}.csv" in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["figure", "detail", "value"]
    table = {(figure, detail): value for figure, detail, value in rows[1:]}
    for key in ("started", "finished", "booking_offered", "handoffs", "booked"):
        assert table[(key, "")] == str(body[key]), key
    for key in ("outcomes", "red_flags", "abandoned_at"):
        for name, n in body[key].items():
            assert table[(key, name)] == str(n), (key, name)
        assert {d for f, d in table if f == key} == set(body[key])
    for name, counts in body["channels"].items():
        assert table[("channels.started", name)] == str(counts["started"])
        assert table[("channels.finished", name)] == str(counts["finished"])
    assert table[("median_minutes_to_finish", "")] == str(body["median_minutes_to_finish"])
    assert table[("from", "")] == day and table[("channel filter", "")] == "all"
    assert table[("past_notice", "")] == "12" and table[("data_deleted", "")] == "1"
    assert table[("faq_topics", "foam_rolling")] == "2"


def test_the_page_shows_each_chart_with_its_table_and_no_inline_style(app_db) -> None:
    day = _recorded_day()
    with client() as c:
        log_in(c)
        page = c.get("/reception/analytics", params={"from": day, "to": day})
        bad = c.get("/reception/analytics", params={"from": "nonsense"})
    html = page.text
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 6
    for title_id in charts:
        assert f'<title id="{title_id}">' in html
    assert html.count("<table") >= 8 and html.count("<caption id=") == html.count("<table")
    assert " style=" not in html and "<script>" not in html
    # the numbers are there in words for a screen reader too
    assert "Funnel: started 13, finished the questions 4" in html
    assert "Where people stopped: How it started 3" in html
    assert "Emergency 1" in html and "Calf pain" in html
    assert "/reception/analytics.csv?from=" in html and 'href="/reception/analytics"' in html
    for key in (KEY, "rec-"):
        assert key not in html
    assert bad.status_code == 400 and "must be a date" in bad.text and "<svg" in bad.text


def test_the_page_works_with_no_conversations_at_all(app_db) -> None:
    with client() as c:
        log_in(c)
        page = c.get("/reception/analytics")
        body = c.get("/reception/analytics.json").json()
    assert page.status_code == 200 and "Nobody stopped part-way" in page.text
    assert body["started"] == 0 and body["median_minutes_to_finish"] is None and body["abandoned_at"] == {}

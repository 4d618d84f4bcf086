"""Clinic analytics through the running assistant: scripted conversations over REST and the
Telegram relay, Rasa's event broker (the SQL table of the embedded default), the consumer
(`python -m bot.analytics`), and the dashboard, its JSON and CSV behind the reception login, in
headless Chromium with axe-core at 1280 and 360 px; then the same assistant with RabbitMQ
switched on by ANALYTICS_BROKER_URL alone (its own servers; skipped with the reason only when
RabbitMQ cannot be reached, failing instead with TEST_RABBITMQ_REQUIRED=1).

The shared servers have served other suites' conversations before this one; the consumer,
started here, first catches up on their events from the table. The numbers checked are what
these conversations add, exactly. The test stack counts an unfinished conversation as abandoned
at once (`ANALYTICS_ABANDON_AFTER_MIN=0`, tests/e2e/servers.py).
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, expect

from bot.db.migrate import upgrade
from tests.e2e.servers import ROOT, Chat, Stack, make_stack
from tests.e2e.test_reception import PASSWORD, _logged_in, book_after_triage, create_staff_account
from tests.services import unavailable

AXE = ROOT / "bot" / "web" / "widget" / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "reports"
CATCH_UP_S = 120


def _waiting_events(stack: Stack) -> int:
    path = Path(stack.env["ANALYTICS_EVENTS_DB"].removeprefix("sqlite:///"))
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM events").fetchone()[0]
        except sqlite3.OperationalError:  # the broker has not created its table yet
            return 0


def _settled(stack: Stack, timeout: float = CATCH_UP_S) -> None:
    """Waits until the consumer has taken every event the broker wrote (and committed them)."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if _waiting_events(stack) == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 2.5:  # the broker writes within ~20 ms of a save
                return
        else:
            quiet_since = None
        time.sleep(0.2)
    raise AssertionError(
        f"{_waiting_events(stack)} events still waiting after {timeout:.0f} s:\n{stack.logs()}"
    )


@pytest.fixture(scope="module")
def analytics(stack: Stack) -> Stack:
    if not any(Path(handle.name).stem == "analytics" for _, handle in stack.processes):
        stack.start_analytics()
    _settled(stack)
    return stack


def _today() -> str:
    return datetime.now(timezone.utc).astimezone(ZoneInfo("Australia/Brisbane")).date().isoformat()


def _figures(staff: requests.Session, stack: Stack) -> dict:
    day = _today()
    answer = staff.get(
        f"{stack.web_url}/reception/analytics.json", params={"from": day, "to": day}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _delta(after: dict, before: dict) -> dict:
    """What changed between two JSON answers (nested counts subtracted, zero changes dropped)."""
    changed = {}
    for key, value in after.items():
        if isinstance(value, dict):
            inner = _delta(value, before.get(key, {}))
            if inner:
                changed[key] = inner
        elif isinstance(value, int) and value - (before.get(key) or 0):
            changed[key] = value - (before.get(key) or 0)
    return changed


def _telegram(stack: Stack, sender: str, text: str) -> None:
    response = requests.post(
        f"{stack.rasa_url}/webhooks/telegram_relay/webhook",
        json={"sender": sender, "message": text},
        headers={"X-Relay-Secret": stack.env["TELEGRAM_RELAY_SECRET"]},
        timeout=120,
    )
    response.raise_for_status()


def _mark_booked(staff: requests.Session, stack: Stack, code: str) -> None:
    page = staff.get(f"{stack.web_url}/reception/handoffs/{code}", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = staff.post(
        f"{stack.web_url}/reception/handoffs/{code}",
        data={"status": "booked", "note": "Booked Tue 7am Jindalee", "csrf_token": token},
        timeout=30,
    )
    assert saved.ok


def _axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_scripted_conversations_are_counted_exactly_and_shown(analytics: Stack, browser: Browser) -> None:
    stack = analytics
    create_staff_account(stack, "dana")
    staff = _logged_in(stack, "dana")
    before = _figures(staff, stack)
    run = uuid.uuid4().hex[:6]

    # 1. an ITBS story, booked: finished, offered, handoff, then reception marks it booked
    booked = Chat(stack, sender=f"analytics-{run}-booked")
    code = book_after_triage(booked)
    # 2. a red flag in the middle of the questions: the emergency route
    red = Chat(stack, sender=f"analytics-{run}-red")
    red.answer_all("hi", "my knee hurts when I run", "Outside of the knee", "Gradually, with running")
    red.say("my calf is swollen and I'm short of breath")
    assert red.slot("triage_outcome") == "emergency"
    # 3. gives up at the second question
    quits = Chat(stack, sender=f"analytics-{run}-quits")
    quits.answer_all("hi", "my knee hurts when I run", "Outside of the knee")
    # 4. reads the notice and leaves
    Chat(stack, sender=f"analytics-{run}-notice").say("hi")
    # 5. on Telegram (the relay channel), gives up at the second question too
    chat_id = f"telegram-{int(run, 16)}"
    for text in ("my knee hurts when I run", "Outside of the knee"):
        _telegram(stack, chat_id, text)

    _mark_booked(staff, stack, code)
    _settled(stack)
    after = _figures(staff, stack)
    change = _delta(after, before)
    assert change.pop("red_flags", {}).get("calf_pain_with_breathlessness") == 1
    assert change == {
        "started": 5,
        "finished": 2,
        "outcomes": {"book_running_assessment": 1, "emergency": 1},
        "booking_offered": 1,
        "handoffs": 1,
        "booked": 1,
        "abandoned_at": {"onset": 2, "notice": 1},
        "channels": {"rest": {"started": 4, "finished": 2}, "telegram": {"started": 1}},
    }
    assert list(after) == [
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
    ]
    assert isinstance(after["median_minutes_to_finish"], float)

    # the CSV has the same numbers
    day = _today()
    export = staff.get(
        f"{stack.web_url}/reception/analytics.csv", params={"from": day, "to": day}, timeout=30
    )
    table = {(f, d): v for f, d, v in list(csv.reader(io.StringIO(export.text)))[1:]}
    for key in ("started", "finished", "booking_offered", "handoffs", "booked"):
        assert table[(key, "")] == str(after[key])
    for name, n in after["abandoned_at"].items():
        assert table[("abandoned_at", name)] == str(n)
    assert table[("channels.started", "telegram")] == str(after["channels"]["telegram"]["started"])

    # the dashboard in a real browser, behind the login, readable and axe-clean at 1280 and 360 px
    REPORTS.mkdir(exist_ok=True)
    for width in (1280, 360):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        try:
            page = context.new_page()
            page.goto(f"{stack.web_url}/reception/analytics")
            expect(page).to_have_url(re.compile(r"/reception/login"))
            page.get_by_label("Username").fill("dana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(re.compile(r"/reception/analytics$"))
            expect(page.get_by_role("heading", name="From first message to booked")).to_be_visible()
            # each chart is an image named by what it shows, followed by its table
            expect(
                page.get_by_role("img", name=re.compile(rf"^Funnel: started {after['started']},"))
            ).to_have_count(1)
            started_cell = (
                page.get_by_role("table", name="Funnel, with the drop at each step").get_by_role("row").nth(1)
            )
            expect(started_cell).to_contain_text(str(after["started"]))
            expect(page.get_by_role("table", name="Conversations by channel")).to_contain_text("Telegram")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert _axe_violations(page) == [], width
            page.screenshot(
                path=str(REPORTS / f"analytics-{'360px' if width == 360 else 'desktop'}.png"), full_page=True
            )
        finally:
            context.close()


RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")


@pytest.fixture
def rabbit_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The assistant with RabbitMQ switched on, as a clinic would: ANALYTICS_BROKER_URL alone
    (and a queue of this test's own), the consumer reading it."""
    import pika

    parameters = pika.URLParameters(RABBITMQ_URL)
    parameters.socket_timeout = 3
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except Exception as exc:  # noqa: BLE001 - unreachable is the only reason to skip
        unavailable(
            "rabbitmq", f"RabbitMQ not reachable at {RABBITMQ_URL.split('@')[-1]}: {type(exc).__name__}"
        )
    queue = f"e2e-analytics-{uuid.uuid4().hex[:8]}"
    stack = make_stack(
        tmp_path_factory.mktemp("rabbitmq"), ANALYTICS_BROKER_URL=RABBITMQ_URL, ANALYTICS_QUEUE=queue
    )
    try:
        upgrade(stack.database_url)
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop()
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
        connection.channel().queue_delete(queue)
        connection.close()


def _queued(queue: str) -> int:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    try:
        return connection.channel().queue_declare(queue, durable=True).method.message_count
    finally:
        connection.close()


def _report_of(stack: Stack) -> dict:
    from bot.analytics.report import build_report
    from bot.db.session import make_engine, session_factory
    from bot.settings import get_settings

    zone = ZoneInfo("Australia/Brisbane")
    today = datetime.now(timezone.utc).astimezone(zone).date()
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return build_report(
                session,
                today,
                today,
                now=datetime.now(timezone.utc),
                abandon_after_min=0,
                key=get_settings().analytics_hash_key,
                zone=zone,
            ).as_json()
    finally:
        engine.dispose()


def test_with_rabbitmq_switched_on_the_events_wait_for_the_consumer_and_count_once(
    rabbit_stack: Stack,
) -> None:
    stack = rabbit_stack
    queue = stack.env["ANALYTICS_QUEUE"]
    # the consumer is not running yet: the events wait in RabbitMQ
    first = Chat(stack)
    first.answer_all("hi", "my knee hurts when I run", "Outside of the knee")
    red = Chat(stack)
    red.answer_all("hi", "my knee hurts when I run", "Outside of the knee", "Gradually, with running")
    red.say("my calf is swollen and I'm short of breath")
    deadline = time.monotonic() + 30
    while _queued(queue) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    waiting = _queued(queue)
    assert waiting > 20

    stack.start_analytics()
    deadline = time.monotonic() + CATCH_UP_S
    while (_queued(queue) or _report_of(stack)["started"] < 2) and time.monotonic() < deadline:
        time.sleep(0.3)
    # restarted mid-stream: nothing lost, nothing counted twice
    stack.stop_process("analytics")
    Chat(stack).say("hi")
    stack.start_analytics()
    deadline = time.monotonic() + CATCH_UP_S
    while (_queued(queue) or _report_of(stack)["started"] < 3) and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(2.0)
    figures = _report_of(stack)
    assert figures["started"] == 3 and figures["finished"] == 1
    assert figures["outcomes"]["emergency"] == 1
    assert figures["red_flags"]["calf_pain_with_breathlessness"] == 1
    assert figures["abandoned_at"] == {"onset": 1, "notice": 1}
    assert figures["channels"]["rest"] == {"started": 3, "finished": 1}
    assert _waiting_events(stack) == 0  # nothing had to wait in the spool table

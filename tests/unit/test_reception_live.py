"""Live parts of the reception screen, on SQLite and PostgreSQL: the poller started with the web
app pushes new handoffs to open queue pages (server-sent events) and announces each one to staff
on Telegram exactly once, even with two web processes. Telegram's Bot API is a tiny local
stand-in here; the web processes are real (`python -m bot.web`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from bot.db.models import Handoff, utcnow
from bot.db.session import session_scope
from bot.web.reception import events
from tests.e2e.servers import free_port, wait_until_up
from tests.unit.reception_support import (
    EMERGENCY_RESULT,
    ITBS_RESULT,
    PASSWORD,
    SECRET_KEY,
    configure,
    csrf_of,
    make_handoff,
    make_user,
    stand_in,
)

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "123456:TEST-token-not-real"
STAFF_CHATS = ("1001", "-2002")
PUBLIC_URL = "https://clinic.example"
WAIT_S = 90  # generous: only a broken poller ever waits this long


def telegram_ok(method: str, path: str, body: object) -> tuple[int, object]:
    return 200, {"ok": True, "result": {"message_id": 1}}


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


def _web_env(db_url: str, telegram_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=db_url,
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        WEB_PUBLIC_URL=PUBLIC_URL,
        WEB_SECRET_KEY=SECRET_KEY,
        RASA_URL="http://127.0.0.1:9",
        RASA_AUTH_TOKEN="unused",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram_url}/bot",
        TELEGRAM_STAFF_CHAT_IDS=",".join(STAFF_CHATS),
    )
    return env


def _sent(server) -> list[tuple[str, str]]:
    """(chat id, text) of every sendMessage the stand-in received."""
    return [
        (str(r.body["chat_id"]), r.body["text"])
        for r in list(server.requests)
        if r.path == f"/bot{BOT_TOKEN}/sendMessage"
    ]


def test_two_web_processes_notify_each_new_handoff_once_and_push_it_to_open_queues(
    db_url, monkeypatch, tmp_path
):
    configure(monkeypatch, db_url)
    make_user()
    backlog = make_handoff("c-backlog", name="Old Backlog")
    with session_scope() as session:  # from before notifications were turned on: not announced
        session.execute(
            update(Handoff)
            .where(Handoff.reference_code == backlog)
            .values(created_at=utcnow() - timedelta(days=3))
        )
    with stand_in(telegram_ok) as telegram:
        processes, logs = [], []
        ports = [free_port(), free_port()]
        try:
            for n, port in enumerate(ports):
                log = tmp_path / f"web{n}.log"
                handle = log.open("w")
                logs.append(log)
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.web"],
                    cwd=ROOT,
                    env=_web_env(db_url, telegram.url, port),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
                processes.append((process, handle))
                wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)

            # A receptionist has the queue open on the first process.
            base = f"http://127.0.0.1:{ports[0]}"
            with httpx.Client(base_url=base, timeout=WAIT_S) as browser:
                page = browser.get("/reception/login")
                login = browser.post(
                    "/reception/login",
                    data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
                )
                assert login.status_code == 303
                received: list[str] = []
                opened = threading.Event()

                def listen() -> None:
                    with browser.stream("GET", "/reception/events") as stream:
                        assert stream.status_code == 200
                        assert stream.headers["content-type"].startswith("text/event-stream")
                        for line in stream.iter_lines():
                            opened.set()
                            if line.startswith("data: "):
                                received.append(line)
                                if len(received) == 4:
                                    return

                listener = threading.Thread(target=listen, daemon=True)
                listener.start()
                _wait_for(opened.is_set, "the event stream to open")

                codes = [
                    make_handoff("c-1", result=EMERGENCY_RESULT, name="Emma Private", site="kenmore"),
                    make_handoff("c-2", result=ITBS_RESULT, name="Nina Private"),
                    make_handoff("c-3", reason="talk_to_person", name="Tom Private", site=None),
                ]
                _wait_for(lambda: len(_sent(telegram)) >= len(codes) * len(STAFF_CHATS), "the staff messages")
                # one more, so that both pollers have certainly looked again after the first three
                codes.append(make_handoff("c-4", result=ITBS_RESULT, name="Last Private"))
                _wait_for(
                    lambda: len(_sent(telegram)) >= len(codes) * len(STAFF_CHATS), "the last staff message"
                )
                listener.join(timeout=WAIT_S)

            sent = _sent(telegram)
            per_handoff = Counter((chat, code) for chat, text in sent for code in codes if code in text)
            assert per_handoff == Counter({(chat, code): 1 for chat in STAFF_CHATS for code in codes})
            assert len(sent) == len(codes) * len(STAFF_CHATS)  # and nothing else (not the backlog)
            assert all(backlog not in text for _, text in sent)

            by_code = {code: text for _, text in sent for code in codes if code in text}
            emergency = by_code[codes[0]]
            assert "Kenmore" in emergency and "Emergency" in emergency
            assert f"{PUBLIC_URL}/reception/handoffs/{codes[0]}" in emergency
            assert "Not triaged" in by_code[codes[2]] and "no preference" in by_code[codes[2]]
            for text in by_code.values():  # no health details, no personal details
                for private in ("Private", "+61412345678", "Calf", "breath", "ITB", "weekday"):
                    assert private not in text

            # the open queue page heard of every new handoff, in order, without a reload
            assert [next(c for c in codes if c in line) for line in received] == codes

            with session_scope() as session:
                notified = dict(
                    session.execute(select(Handoff.reference_code, Handoff.staff_notified_at)).all()
                )
            assert all(notified[code] is not None for code in codes) and notified[backlog] is None
        finally:
            for process, handle in processes:
                process.terminate()
                process.wait(timeout=20)
                handle.close()
        for log in logs:  # the bot token never reaches a log
            assert BOT_TOKEN not in log.read_text()


def test_concurrent_claims_send_each_handoff_exactly_once(db_url, monkeypatch):
    """Four pollers at once on one database: every handoff goes out once per staff chat."""
    with stand_in(telegram_ok) as telegram:
        configure(
            monkeypatch,
            db_url,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=f"{telegram.url}/bot",
            TELEGRAM_STAFF_CHAT_IDS=",".join(STAFF_CHATS),
        )
        codes = [make_handoff(f"c-{n}", result=ITBS_RESULT) for n in range(8)]
        start = threading.Barrier(4)
        totals: list[int] = []

        def poller() -> None:
            async def once() -> int:
                async with httpx.AsyncClient() as client:
                    return await events.notify_new_handoffs(client)

            start.wait()
            totals.append(asyncio.run(once()))

        threads = [threading.Thread(target=poller) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(totals) == len(codes)
        per_handoff = Counter(code for _, text in _sent(telegram) for code in codes if code in text)
        assert per_handoff == Counter({code: len(STAFF_CHATS) for code in codes})


def test_a_failed_notification_is_retried_later(db_url, monkeypatch):
    answers = iter([(502, {"ok": False})] * len(STAFF_CHATS))

    def flaky(method: str, path: str, body: object) -> tuple[int, object]:
        return next(answers, (200, {"ok": True}))

    with stand_in(flaky) as telegram:
        configure(
            monkeypatch,
            db_url,
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=f"{telegram.url}/bot",
            TELEGRAM_STAFF_CHAT_IDS=",".join(STAFF_CHATS),
        )
        code = make_handoff("c-1", result=ITBS_RESULT)

        async def once() -> int:
            async with httpx.AsyncClient() as client:
                return await events.notify_new_handoffs(client)

        assert asyncio.run(once()) == 0  # Telegram refused: the claim is given back
        with session_scope() as session:
            assert session.scalar(select(Handoff.staff_notified_at)) is None
        assert asyncio.run(once()) == 1
        assert asyncio.run(once()) == 0  # and never again
        assert len([text for _, text in _sent(telegram) if code in text]) == 2 * len(STAFF_CHATS)

"""Hardening of the web app (issue 21, points 2, 6 and 7), on SQLite and PostgreSQL, tried the way
an attacker would: forged X-Forwarded-For against the login limit, many guesses at once from two
real web processes, a REST conversation read through the widget's history API, a history flood,
an idle reception session, HSTS, and a staff notification across a crash."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from bot.db import repository, staff
from bot.db.models import Handoff, StaffSession, utcnow
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web import client as web_client
from bot.web.reception import auth, events
from bot.web.widget import history
from tests.e2e.servers import free_port, wait_until_up
from tests.unit.reception_support import (
    ITBS_RESULT,
    PASSWORD,
    SECRET_KEY,
    client,
    configure,
    csrf_of,
    log_in,
    make_handoff,
    make_user,
    stand_in,
)

ROOT = Path(__file__).resolve().parents[2]
WIDGET_ID = "0123456789abcdef0123456789abcdef"
REST_ID = "fedcba9876543210fedcba9876543210"
UNKNOWN_ID = "00000000000000000000000000000000"


@pytest.fixture
def app_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    configure(monkeypatch, db_url)
    make_user()
    return db_url


def _failures(key: str) -> int:
    with session_scope() as session:
        return staff.login_failures(session, key)


# --- point 2: the client address comes from one trusted hop only ---------------------------------


def _address_seen(monkeypatch, peer: str, trusted: str, forwarded: list[str]) -> str:
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", trusted)
    get_settings.cache_clear()
    from starlette.requests import Request

    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    scope = {"type": "http", "client": (peer, 4000), "headers": headers, "path": "/", "method": "GET"}
    return web_client.client_address(Request(scope))


def test_forwarded_headers_are_believed_only_from_a_trusted_proxy(monkeypatch):
    # no trusted proxy configured: never read, even from loopback
    assert _address_seen(monkeypatch, "127.0.0.1", "", ["203.0.113.9"]) == "127.0.0.1"
    # a client that is not the proxy cannot name its own address
    assert _address_seen(monkeypatch, "198.51.100.7", "127.0.0.1", ["203.0.113.9"]) == "198.51.100.7"
    # nginx (replacing the header) names the client
    assert _address_seen(monkeypatch, "127.0.0.1", "127.0.0.1", ["203.0.113.9"]) == "203.0.113.9"
    # a chain anyway (a client's own value in front): the hop the trusted proxy added wins
    assert _address_seen(monkeypatch, "127.0.0.1", "127.0.0.1", ["6.6.6.6, 203.0.113.9"]) == "203.0.113.9"
    assert _address_seen(monkeypatch, "127.0.0.1", "127.0.0.1", ["6.6.6.6", "203.0.113.9"]) == "203.0.113.9"
    # networks work, and a proxy in front of the proxy is skipped
    assert _address_seen(monkeypatch, "10.0.0.5", "10.0.0.0/8", ["203.0.113.9, 10.0.0.4"]) == "203.0.113.9"
    # rubbish from the proxy: fall back to the proxy itself, never to a value the client chose
    assert _address_seen(monkeypatch, "127.0.0.1", "127.0.0.1", ["not-an-address"]) == "127.0.0.1"
    get_settings.cache_clear()


def test_a_forged_x_forwarded_for_does_not_reset_the_address_limit(app_db):
    """The attack of the issue: twenty failures, then a new made-up X-Forwarded-For each time."""
    make_user("bob")
    with client("198.51.100.7") as attacker:
        for n in range(auth.MAX_FAILURES_PER_ADDRESS):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            page = attacker.get("/reception/login", headers=forged)
            answer = attacker.post(
                "/reception/login",
                data={"username": f"guess{n}", "password": "wrong", "csrf_token": csrf_of(page.text)},
                headers=forged,
            )
            assert answer.status_code == 401
        for forged in ("203.0.113.250", "127.0.0.1", "10.0.0.1, 127.0.0.1"):
            page = attacker.get("/reception/login")
            answer = attacker.post(
                "/reception/login",
                data={"username": "bob", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
                headers={"X-Forwarded-For": forged, "Forwarded": f"for={forged}", "X-Real-IP": forged},
            )
            assert answer.status_code == 429, forged
    with client("198.51.100.8") as colleague:  # the limit is the attacker's address, not the account
        assert log_in(colleague, "bob").status_code == 303


def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(app_db, monkeypatch):
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", "10.0.0.1")
    get_settings.cache_clear()
    make_user("bob")
    with client("10.0.0.1") as proxy:
        for n in range(auth.MAX_FAILURES_PER_ADDRESS):
            page = proxy.get("/reception/login")
            proxy.post(
                "/reception/login",
                data={"username": f"guess{n}", "password": "wrong", "csrf_token": csrf_of(page.text)},
                headers={"X-Forwarded-For": "203.0.113.66"},
            )
        _, address_key = auth.login_keys("x", "203.0.113.66")
        assert _failures(address_key) == auth.MAX_FAILURES_PER_ADDRESS
        page = proxy.get("/reception/login")
        blocked = proxy.post(
            "/reception/login",
            data={"username": "bob", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            headers={"X-Forwarded-For": "203.0.113.66"},
        )
        assert blocked.status_code == 429
        page = proxy.get("/reception/login")
        other = proxy.post(
            "/reception/login",
            data={"username": "bob", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
        assert other.status_code == 303


def test_many_guesses_at_once_never_pass_the_limit(app_db):
    """40 threads guess alice's password at the same moment: exactly the limit is checked."""
    start = threading.Barrier(40)
    results: list[auth.LoginResult] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait()
        result = auth.check_login("alice", f"wrong {n}", f"192.0.2.{n % 4}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally = Counter("limited" if r.limited else ("ok" if r.ok else "wrong") for r in results)
    assert tally == {"wrong": auth.MAX_FAILURES_PER_ACCOUNT, "limited": 40 - auth.MAX_FAILURES_PER_ACCOUNT}
    account_key, _ = auth.login_keys("alice", "")
    assert _failures(account_key) == auth.MAX_FAILURES_PER_ACCOUNT
    # the refused attempts gave their address counts back: each address holds only its real tries
    assert sum(_failures(auth.login_keys("", f"192.0.2.{n}")[1]) for n in range(4)) == 5
    assert auth.check_login("alice", PASSWORD, "192.0.2.200").limited  # the lock holds


def test_the_limit_window_starts_again_and_a_success_clears_the_account(app_db):
    account_key, address_key = auth.login_keys("alice", "192.0.2.1")
    for _ in range(auth.MAX_FAILURES_PER_ACCOUNT - 1):
        assert not auth.check_login("alice", "wrong", "192.0.2.1").ok
    assert auth.check_login("alice", PASSWORD, "192.0.2.1").ok
    assert _failures(account_key) == 0
    assert _failures(address_key) == auth.MAX_FAILURES_PER_ACCOUNT - 1  # only the failures count
    for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
        auth.check_login("alice", "wrong", "192.0.2.2")
    assert auth.check_login("alice", PASSWORD, "192.0.2.2").limited
    with session_scope() as session:  # the window has passed
        session.execute(
            update(staff.LoginCounter).values(
                window_started_at=utcnow() - auth.LOGIN_WINDOW - timedelta(seconds=1)
            )
        )
    assert auth.check_login("alice", PASSWORD, "192.0.2.2").ok


def _web_env(db_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=db_url,
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(port),
        WEB_SECRET_KEY=SECRET_KEY,
        RASA_URL="http://127.0.0.1:9",
        RASA_AUTH_TOKEN="unused",
        TELEGRAM_BOT_TOKEN="",
        WEB_TRUSTED_PROXIES="",
    )
    return env


def test_two_web_processes_hammering_one_account_count_exactly(app_db, tmp_path):
    """Two real web processes on one database, 30 browsers guessing at once over HTTP."""
    processes = []
    ports = [free_port(), free_port()]
    try:
        for n, port in enumerate(ports):
            log = tmp_path / f"web{n}.log"
            handle = log.open("w")
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.web"],
                cwd=ROOT,
                env=_web_env(app_db, port),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            processes.append((process, handle))
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)

        attempts = 30
        start = threading.Barrier(attempts)
        statuses: list[int] = []
        lock = threading.Lock()

        def guess(n: int) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{ports[n % 2]}", timeout=60) as browser:
                page = browser.get("/reception/login")
                form = {"username": "alice", "password": f"wrong {n}", "csrf_token": csrf_of(page.text)}
                start.wait()
                answer = browser.post("/reception/login", data=form)
                with lock:
                    statuses.append(answer.status_code)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(statuses) == {
            401: auth.MAX_FAILURES_PER_ACCOUNT,
            429: attempts - auth.MAX_FAILURES_PER_ACCOUNT,
        }
        account_key, address_key = auth.login_keys("alice", "127.0.0.1")
        assert _failures(account_key) == auth.MAX_FAILURES_PER_ACCOUNT
        assert _failures(address_key) == auth.MAX_FAILURES_PER_ACCOUNT
        with httpx.Client(base_url=f"http://127.0.0.1:{ports[1]}", timeout=60) as owner:
            page = owner.get("/reception/login")
            right = owner.post(
                "/reception/login",
                data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            )
            assert right.status_code == 429  # the lock holds, whichever process answers
    finally:
        for process, handle in processes:
            process.terminate()
            process.wait(timeout=20)
            handle.close()


# --- point 6: the widget's history API -------------------------------------------------------------


def _tracker(channel: str | None, sender: str) -> dict:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.0},
    ]
    if channel is not None:
        events += [
            {"event": "user", "text": "my knee hurts", "timestamp": 2.0, "input_channel": channel},
            {"event": "bot", "text": "Sorry to hear that.", "timestamp": 3.0},
        ]
    return {"sender_id": sender, "events": events, "slots": {"name": "Private Person"}}


def _rasa(method: str, path: str, body: object) -> tuple[int, object]:
    sender = path.split("/")[2]
    channel = {WIDGET_ID: "web", REST_ID: "rest"}.get(sender)
    return 200, _tracker(channel, sender)


@pytest.fixture
def widget_client(monkeypatch):
    monkeypatch.setattr(history, "limiter", history.MinuteLimiter())
    with stand_in(_rasa) as rasa:
        monkeypatch.setenv("RASA_URL", rasa.url)
        monkeypatch.setenv("WEB_TRUSTED_PROXIES", "")
        get_settings.cache_clear()
        yield rasa
    get_settings.cache_clear()


def _ask(test_client, session_id: str, **kwargs):
    return test_client.post("/widget/api/history", json={"session_id": session_id}, **kwargs)


def test_history_serves_widget_conversations_only(widget_client, app_db, monkeypatch):
    monkeypatch.setenv("RASA_URL", widget_client.url)
    get_settings.cache_clear()
    with client("198.51.100.1") as c:
        widget = _ask(c, WIDGET_ID)
        assert widget.status_code == 200
        assert [m["text"] for m in widget.json()["messages"]] == ["my knee hurts", "Sorry to hear that."]
        unknown, rest = _ask(c, UNKNOWN_ID), _ask(c, REST_ID)
        assert unknown.status_code == rest.status_code == 200
        assert unknown.content == rest.content == b'{"messages":[]}'
        assert {k: v for k, v in unknown.headers.items() if k != "date"} == {
            k: v for k, v in rest.headers.items() if k != "date"
        }
    # a conversation the widget started but another channel spoke in is not served either
    assert not history.is_widget_conversation(
        [{"event": "user", "input_channel": "web"}, {"event": "user", "input_channel": "rest"}]
    )
    assert not history.is_widget_conversation([{"event": "user"}])
    assert history.is_widget_conversation([{"event": "user", "input_channel": "web"}, {"event": "bot"}])


def test_history_is_rate_limited_per_address_and_overall(widget_client, app_db, monkeypatch):
    monkeypatch.setenv("RASA_URL", widget_client.url)
    monkeypatch.setenv("WIDGET_HISTORY_PER_MINUTE", "5")
    monkeypatch.setenv("WIDGET_HISTORY_GLOBAL_PER_MINUTE", "8")
    get_settings.cache_clear()
    with client("198.51.100.1") as flood:
        answers = [_ask(flood, UNKNOWN_ID, headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(7)]
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
        assert int(answers[-1].headers["retry-after"]) in range(1, 61)
        assert "messages" not in answers[-1].json()
        assert flood.post("/widget/api/history", json={}).status_code == 429  # rubbish counts too
    with client("198.51.100.2") as other:
        assert [_ask(other, WIDGET_ID).status_code for _ in range(4)] == [200, 200, 200, 429]  # 8 overall
    requests_to_rasa = len(widget_client.requests)
    assert requests_to_rasa == 8  # a refused request never reaches Rasa


def test_the_limiter_starts_again_each_minute():
    now = [120.0]
    limiter = history.MinuteLimiter(clock=lambda: now[0])
    assert all(limiter.allow("a", 2, 10) for _ in range(2)) and not limiter.allow("a", 2, 10)
    assert limiter.allow("b", 2, 10)
    now[0] = 180.5
    assert limiter.allow("a", 2, 10) and limiter.retry_after() == 60


# --- point 7: reception sessions, HSTS, staff notifications -------------------------------------------


def _age_session(seconds: float) -> None:
    with session_scope() as session:
        session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(seconds=seconds)))


def _last_seen() -> object:
    with session_scope() as session:
        return session.scalar(select(StaffSession.last_seen_at))


def test_an_idle_session_is_refused_and_use_keeps_it_alive(app_db, monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_S", "300")
    get_settings.cache_clear()
    with client() as c:
        assert log_in(c).status_code == 303
        _age_session(30)
        before = _last_seen()
        assert c.get("/reception").status_code == 200
        assert _last_seen() == before  # used within the last minute: nothing written
        _age_session(200)
        assert c.get("/reception?rows=1").status_code == 200  # the page's own refresh...
        assert utcnow() - _last_seen() > timedelta(seconds=150)  # ...does not count as use
        assert c.get("/reception").status_code == 200  # the person does
        assert utcnow() - _last_seen() < timedelta(seconds=10)
        _age_session(301)
        refused = c.get("/reception")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/reception/login")
        assert c.get("/reception/export.csv").status_code == 401
        assert c.get("/reception/login").status_code == 200  # the login page, not a redirect in
        assert log_in(c).status_code == 303  # log in again
        assert c.get("/reception").status_code == 200


def test_the_event_stream_is_background_too():
    from starlette.requests import Request

    def request(path: str, query: str = "") -> Request:
        return Request({"type": "http", "path": path, "query_string": query.encode(), "headers": []})

    assert auth.is_background(request("/reception/events"))
    assert auth.is_background(request("/reception", "rows=1&status=new"))
    assert not auth.is_background(request("/reception", "status=new"))
    assert not auth.is_background(request("/reception/handoffs/ABC123"))


def test_the_eight_hour_cap_still_holds_for_a_session_in_use(app_db):
    with client() as c:
        log_in(c)
        with session_scope() as session:
            session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert c.get("/reception").status_code == 303


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_only_when_cookies_are_secure(app_db, monkeypatch, secure):
    monkeypatch.setenv("WEB_COOKIE_SECURE", "true" if secure else "false")
    get_settings.cache_clear()
    with client() as c:
        for path in ("/healthz", "/reception/login", "/reception", "/no-such-page", "/widget/widget.css"):
            value = c.get(path).headers.get("strict-transport-security")
            assert value == ("max-age=31536000; includeSubDomains" if secure else None), path


BOT_TOKEN = "123456:TEST-token-not-real"


def _notify_env(monkeypatch, db_url: str, telegram_url: str) -> None:
    configure(
        monkeypatch,
        db_url,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=f"{telegram_url}/bot",
        TELEGRAM_STAFF_CHAT_IDS="1001",
    )


def _poll() -> int:
    async def once() -> int:
        async with httpx.AsyncClient() as http:
            return await events.notify_new_handoffs(http)

    return asyncio.run(once())


def _texts(telegram) -> list[str]:
    return [r.body["text"] for r in telegram.requests if r.path.endswith("/sendMessage")]


def _expire_leases() -> None:
    with session_scope() as session:
        session.execute(update(Handoff).values(staff_notify_claimed_until=utcnow() - timedelta(seconds=1)))


def test_a_notification_claimed_by_a_process_that_crashed_is_sent_later(db_url, monkeypatch):
    with stand_in(lambda *_: (200, {"ok": True})) as telegram:
        _notify_env(monkeypatch, db_url, telegram.url)
        code = make_handoff("c-crash", result=ITBS_RESULT)
        with session_scope() as session:  # the outbox entry is the handoff row itself
            handoff = session.scalar(select(Handoff).where(Handoff.reference_code == code))
            assert handoff.staff_notified_at is None
            # a process claims it, then dies before sending
            assert staff.claim_staff_notification(
                session, handoff.id, "dead-process", lease=events.CLAIM_LEASE
            )
        assert _poll() == 0 and _texts(telegram) == []  # its lease still runs: nobody doubles it
        _expire_leases()
        assert _poll() == 1
        assert [code in text for text in _texts(telegram)] == [True]
        assert _poll() == 0  # marked sent: never again
        with session_scope() as session:
            row = session.scalar(select(Handoff).where(Handoff.reference_code == code))
            assert row.staff_notified_at is not None and row.staff_notify_claim is None


def test_a_crash_after_sending_repeats_the_same_text_and_key(db_url, monkeypatch, caplog):
    with stand_in(lambda *_: (200, {"ok": True})) as telegram:
        _notify_env(monkeypatch, db_url, telegram.url)
        code = make_handoff("c-after", result=ITBS_RESULT)
        real_mark = events._mark_sent

        def crash(*_args):
            raise RuntimeError("the process died here")

        monkeypatch.setattr(events, "_mark_sent", crash)
        with pytest.raises(RuntimeError):
            _poll()
        monkeypatch.setattr(events, "_mark_sent", real_mark)
        assert _poll() == 0  # the lease of the dead sender still runs
        _expire_leases()
        with caplog.at_level(logging.INFO, logger=events.__name__):
            assert _poll() == 1
        first, second = _texts(telegram)
        assert first == second and code in first  # at least once; the repeat is the same message
        with session_scope() as session:
            row = session.scalar(select(Handoff).where(Handoff.reference_code == code))
        key = events.idempotency_key(row.id, first)
        assert any(key in record.getMessage() for record in caplog.records)
        assert "Sam" not in caplog.text and BOT_TOKEN not in caplog.text


def test_a_route_raised_while_sending_is_sent_again(db_url, monkeypatch):
    later = {"outcome": "urgent_medical", "red_flags": ["calf_dvt_signs"], "reasons": ["A swollen calf."]}

    with stand_in(lambda *_: (200, {"ok": True})) as telegram:
        _notify_env(monkeypatch, db_url, telegram.url)
        code = make_handoff("c-raise", result=ITBS_RESULT)
        real_send = events.notify.send_to_staff

        async def send_then_raise(http, text, settings):
            sent = await real_send(http, text, settings)
            with session_scope() as session:  # a red flag lands while the message is in flight
                row = session.scalar(select(Handoff).where(Handoff.reference_code == code))
                repository.upgrade_triage(
                    session, triage_id=row.triage_id, conversation_id="c-raise", result=later
                )
            return sent

        monkeypatch.setattr(events.notify, "send_to_staff", send_then_raise)
        assert _poll() == 1
        monkeypatch.setattr(events.notify, "send_to_staff", real_send)
        assert _poll() == 1
        first, second = _texts(telegram)
        assert first.startswith("New handoff") and second.startswith(f"More urgent now: {code}")
        assert _poll() == 0

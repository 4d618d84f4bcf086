"""What an outsider can try against the web app (issue 21, points 2, 6 and 7), as they would: real
HTTP against the shared stack's web app, and against a second web process on the same database
started here with TLS settings (WEB_COOKIE_SECURE=true, so HSTS), a trusted proxy, a short idle
timeout and a small overall history limit.

Each attack on the shared web app comes from its own loopback address (127.0.0.x), so the rate
limits it trips never touch the other suites, which talk to the web app from 127.0.0.1. The
second process signs with its own key, so its counters (keyed hashes) are its own too.
"""

from __future__ import annotations

import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from bot.db import staff
from bot.db.session import make_engine, session_scope
from bot.web.reception.auth import MAX_FAILURES_PER_ADDRESS, hash_password
from tests.e2e.servers import VENV_APP, Chat, Stack, free_port, wait_until_up

PASSWORD = "a long reception password"
IDLE_S = 4
HSTS = "max-age=31536000; includeSubDomains"
PROXY = "127.0.0.7"  # the second web process's trusted proxy (nginx's address in production)
GLOBAL_HISTORY_LIMIT = 6


@dataclass
class Browser:
    """An HTTP client from one source address that keeps cookies by hand: the second web process
    sets them `Secure`, which a cookie jar rightly never sends over plain HTTP."""

    base_url: str
    source: str
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url,
            transport=httpx.HTTPTransport(local_address=self.source),
            follow_redirects=False,
            timeout=60,
        )

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers=headers, **kwargs)
        for line in response.headers.get_list("set-cookie"):
            name, _, value = line.split(";", 1)[0].partition("=")
            if value.strip('"') and "max-age=0" not in line.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def log_in(self, username: str, password: str, headers: dict | None = None) -> httpx.Response:
        page = self.request("GET", "/reception/login", headers=headers)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.request(
            "POST",
            "/reception/login",
            data={"username": username, "password": password, "csrf_token": token},
            headers=headers,
        )

    def history(self, session_id: str, headers: dict | None = None) -> httpx.Response:
        return self.request("POST", "/widget/api/history", json={"session_id": session_id}, headers=headers)

    def close(self) -> None:
        self.http.close()


def _user(stack: Stack, username: str) -> str:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            staff.set_user_password(session, username, hash_password(PASSWORD))
    finally:
        engine.dispose()
    return username


@pytest.fixture(scope="module")
def secure_web(stack: Stack) -> Iterator[str]:
    """A second web app on the stack's database and Rasa, as production behind TLS and nginx."""
    port = free_port()
    env = dict(stack.env)
    env.update(
        WEB_PORT=str(port),
        WEB_PUBLIC_URL=f"http://127.0.0.1:{port}",
        WEB_SECRET_KEY=secrets.token_hex(32),
        WEB_COOKIE_SECURE="true",
        WEB_TRUSTED_PROXIES=PROXY,
        SESSION_IDLE_S=str(IDLE_S),
        WIDGET_HISTORY_GLOBAL_PER_MINUTE=str(GLOBAL_HISTORY_LIMIT),
    )
    log = stack.workdir / "web-secure.log"
    with log.open("a") as handle:
        process = subprocess.Popen(
            [str(VENV_APP / "bin" / "python"), "-m", "bot.web"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# --- point 2 -----------------------------------------------------------------------------------------


def test_a_forged_x_forwarded_for_does_not_reset_the_login_limit(stack: Stack) -> None:
    """Twenty failures from one address, each with a new made-up X-Forwarded-For: still one
    counter, and the twenty-first attempt (even with the right password) waits."""
    user = _user(stack, f"rx{uuid.uuid4().hex[:8]}")
    attacker = Browser(stack.web_url, "127.0.0.2")
    try:
        for n in range(MAX_FAILURES_PER_ADDRESS):
            forged = {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"203.0.113.{n}"}
            assert attacker.log_in(f"guess{n}", "wrong password", headers=forged).status_code == 401
        for forged in ("198.51.100.99", "127.0.0.1", "203.0.113.1, 127.0.0.1"):
            refused = attacker.log_in(user, PASSWORD, headers={"X-Forwarded-For": forged})
            assert refused.status_code == 429, forged
    finally:
        attacker.close()
    colleague = Browser(stack.web_url, "127.0.0.3")
    try:  # another address: the account itself was never locked
        assert colleague.log_in(user, PASSWORD).status_code == 303
    finally:
        colleague.close()


def test_a_forged_x_forwarded_for_from_loopback_is_not_believed(stack: Stack, secure_web: str) -> None:
    """The same from 127.0.0.1, which uvicorn by default takes X-Forwarded-For from as the truth
    (its FORWARDED_ALLOW_IPS): only the configured proxy is believed."""
    user = _user(stack, f"rl{uuid.uuid4().hex[:8]}")
    attacker = Browser(secure_web, "127.0.0.1")
    try:
        for n in range(MAX_FAILURES_PER_ADDRESS):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            assert attacker.log_in(f"guess{n}", "wrong password", headers=forged).status_code == 401
        attacker.cookies.clear()
        assert attacker.log_in(user, PASSWORD, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    finally:
        attacker.close()


def test_behind_the_trusted_proxy_the_forwarded_address_counts(stack: Stack, secure_web: str) -> None:
    """WEB_TRUSTED_PROXIES names the proxy (127.0.0.1, nginx, in the scaled setup): its
    X-Forwarded-For names the client; the same header from anywhere else is ignored."""
    user = _user(stack, f"rp{uuid.uuid4().hex[:8]}")
    proxy = Browser(secure_web, PROXY)
    outsider = Browser(secure_web, "127.0.0.8")
    try:
        for n in range(MAX_FAILURES_PER_ADDRESS):
            answer = proxy.log_in(f"guess{n}", "wrong", headers={"X-Forwarded-For": "203.0.113.200"})
            assert answer.status_code == 401
        assert proxy.log_in(user, PASSWORD, headers={"X-Forwarded-For": "203.0.113.200"}).status_code == 429
        proxy.cookies.clear()
        # another client behind the same proxy is not held up by the first one's failures
        assert proxy.log_in(user, PASSWORD, headers={"X-Forwarded-For": "203.0.113.201"}).status_code == 303
        # the blocked client's address, claimed by someone who is not the proxy, means nothing
        assert (
            outsider.log_in(user, PASSWORD, headers={"X-Forwarded-For": "203.0.113.201"}).status_code == 303
        )
    finally:
        proxy.close()
        outsider.close()


# --- point 6 -----------------------------------------------------------------------------------------


def test_history_of_a_rest_conversation_answers_like_an_unknown_id(stack: Stack) -> None:
    sender = uuid.uuid4().hex  # looks exactly like a widget's session id
    chat = Chat(stack, sender=sender)
    chat.say("hi")
    assert "automated assistant" in chat.text
    assert any(e.get("event") == "user" for e in chat.tracker()["events"])  # Rasa has the conversation
    visitor = Browser(stack.web_url, "127.0.0.4")
    try:
        rest = visitor.history(sender)
        unknown = visitor.history(uuid.uuid4().hex)
    finally:
        visitor.close()
    assert rest.status_code == unknown.status_code == 200
    assert rest.content == unknown.content == b'{"messages":[]}'
    assert "hi" not in rest.text and "automated" not in rest.text


def test_history_floods_are_refused_per_address(stack: Stack) -> None:
    flooder = Browser(stack.web_url, "127.0.0.5")
    session_id = uuid.uuid4().hex
    try:
        statuses, limited = [], None
        for n in range(61):  # 30 a minute; 61 in under a minute must trip it whatever the clock
            answer = flooder.history(session_id, headers={"X-Forwarded-For": f"203.0.113.{n}"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                limited = answer
                break
    finally:
        flooder.close()
    assert limited is not None, statuses
    assert set(statuses[:-1]) == {200}
    assert 1 <= int(limited.headers["retry-after"]) <= 60 and "messages" not in limited.json()
    neighbour = Browser(stack.web_url, "127.0.0.6")
    try:
        assert neighbour.history(session_id).status_code == 200  # other visitors carry on
    finally:
        neighbour.close()


def test_history_has_an_overall_limit_too(secure_web: str) -> None:
    """Many addresses, each under its own limit: the overall limit still holds."""
    statuses = []
    for n in range(GLOBAL_HISTORY_LIMIT + 2):
        visitor = Browser(secure_web, f"127.0.1.{n + 1}")
        try:
            statuses.append(visitor.history(uuid.uuid4().hex).status_code)
        finally:
            visitor.close()
    # A minute boundary may start the count again once; never more than the limit per minute.
    assert 429 in statuses and statuses.count(200) <= GLOBAL_HISTORY_LIMIT + 1, statuses


# --- point 7 -----------------------------------------------------------------------------------------


def test_an_idle_reception_session_is_refused(stack: Stack, secure_web: str) -> None:
    user = _user(stack, f"ri{uuid.uuid4().hex[:8]}")
    receptionist = Browser(secure_web, "127.0.0.9")
    try:
        login = receptionist.log_in(user, PASSWORD)
        assert login.status_code == 303
        assert "secure" in " ".join(login.headers.get_list("set-cookie")).lower()
        for _ in range(3):  # in use: kept alive past the idle timeout
            time.sleep(IDLE_S / 2)
            assert receptionist.request("GET", "/reception").status_code == 200
        time.sleep(IDLE_S + 1.5)
        refused = receptionist.request("GET", "/reception")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/reception/login")
        assert receptionist.request("GET", "/reception/export.csv").status_code == 401
        assert receptionist.log_in(user, PASSWORD).status_code == 303  # logging in again works
        assert receptionist.request("GET", "/reception").status_code == 200
    finally:
        receptionist.close()


def test_hsts_only_when_cookies_are_secure(stack: Stack, secure_web: str) -> None:
    for path in ("/healthz", "/", "/reception/login", "/reception", "/widget/widget.css", "/nothing-here"):
        secure = httpx.get(secure_web + path, timeout=30)
        plain = httpx.get(stack.web_url + path, timeout=30)
        assert secure.headers.get("strict-transport-security") == HSTS, path
        assert "strict-transport-security" not in plain.headers, path

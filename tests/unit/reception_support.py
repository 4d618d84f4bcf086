"""Shared helpers of the reception tests (tests/unit/test_reception*.py): the web app on a
migrated database of each backend, staff accounts, handoffs, logging in, and a tiny local HTTP
stand-in for the services the web app calls (Rasa's tracker API, Telegram's Bot API)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from starlette.testclient import TestClient

from bot.db import repository, staff
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web.app import create_app
from bot.web.reception.auth import hash_password

PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-" + "k" * 52

ITBS_RESULT = {
    "outcome": "book_running_assessment",
    "itbs_likelihood": "high",
    "points": 6,
    "red_flags": [],
    "reasons": ["The pain is on the outside of the knee, where the ITB crosses it."],
    "pointers": [],
}
EMERGENCY_RESULT = {
    "outcome": "emergency",
    "itbs_likelihood": "low",
    "points": 0,
    "red_flags": ["calf_pain_with_breathlessness"],
    "reasons": ["Calf pain with breathlessness can be a blood clot in the lung."],
    "pointers": [],
}


def configure(monkeypatch: Any, db_url: str, **extra: str) -> None:
    """Point the settings at `db_url`, with a fixed signing key and nothing else configured."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("WEB_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens: transcript unavailable
    monkeypatch.setenv("RASA_AUTH_TOKEN", "rasa-test-token")
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_STAFF_CHAT_IDS", "WEB_COOKIE_SECURE", "SESSION_MAX_AGE_S"):
        monkeypatch.delenv(name, raising=False)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@contextmanager
def client(address: str = "testclient") -> Iterator[TestClient]:
    with TestClient(create_app(), follow_redirects=False, client=(address, 50000)) as test_client:
        yield test_client


def make_user(username: str = "alice", password: str = PASSWORD) -> None:
    with session_scope() as session:
        staff.set_user_password(session, username, hash_password(password))


def make_handoff(
    conversation_id: str = "conv-1",
    *,
    result: dict | None = None,
    answers: dict | None = None,
    **fields: Any,
) -> str:
    """A handoff (with a triage when `result` is given); returns its reference code."""
    args: dict[str, Any] = {
        "conversation_id": conversation_id,
        "channel": "rest",
        "reason": "booking",
        "name": "Sam Taylor",
        "contact_kind": "phone",
        "contact_value": "+61412345678",
        "site": "jindalee",
        "preferred_times": "weekday mornings",
        "consent": True,
    }
    args.update(fields)
    with session_scope() as session:
        if result is not None:
            triage = repository.save_triage(
                session,
                conversation_id=conversation_id,
                channel=args["channel"],
                answers=answers or {"pain_location": "lateral", "age": 34},
                result=result,
            )
            args["triage_id"] = triage.id
        return repository.create_handoff(session, **args).reference_code


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(
    test_client: TestClient, username: str = "alice", password: str = PASSWORD, next_: str = "/reception"
):
    page = test_client.get("/reception/login")
    return test_client.post(
        "/reception/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": next_},
    )


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    body: Any


@dataclass
class StandIn:
    """A local HTTP server that answers with `respond(method, path, body) -> (status, json)` and
    records every request."""

    respond: Callable[[str, str, Any], tuple[int, Any]]
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""


@contextmanager
def stand_in(respond: Callable[[str, str, Any], tuple[int, Any]]) -> Iterator[StandIn]:
    state = StandIn(respond)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            path, _, query = self.path.partition("?")
            with lock:
                state.requests.append(Recorded(self.command, path, query, body))
            status, payload = state.respond(self.command, path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

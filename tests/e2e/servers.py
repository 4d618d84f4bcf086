"""Starts the real assistant for end-to-end tests: the trained model in a Rasa server and the
action server, each a separate process on free ports with throw-away databases."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from deploy.cluster import action_server_command, rasa_server_command

ROOT = Path(__file__).resolve().parents[2]
VENV_RASA = Path(os.environ.get("VENV_RASA", ROOT / ".venv-rasa"))
VENV_APP = Path(os.environ.get("VENV_APP", ROOT / ".venv-app"))
MODEL = ROOT / "models" / "clinic.tar.gz"
START_TIMEOUT_S = 240
T = TypeVar("T")
# The clinic's own website in the widget tests (test_widget.py puts the tag on a page there): an
# origin allowed to open the chat (WIDGET_ALLOWED_ORIGINS) beside the web app's own.
CLINIC_SITE_ORIGIN = "http://localhost:9"


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` in a thread of its own: a browser test's Playwright (sync API) leaves an event
    loop marked as running on the main thread, and asyncio.run refuses to start inside it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{_tail(log)}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s:\n{_tail(log)}")


@dataclass
class Stack:
    """A running Rasa server (and usually an action server) with its settings."""

    workdir: Path
    env: dict[str, str]
    rasa_port: int
    action_port: int
    web_port: int
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    processes: list[tuple[subprocess.Popen, Any]] = field(default_factory=list)
    endpoints: str = "endpoints.yml"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def auth_headers(self) -> dict[str, str]:
        """Rasa's HTTP API token, sent as the clients send it (never in the URL)."""
        return {"Authorization": f"Bearer {self.token}"}

    def _spawn(self, name: str, command: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        handle = log.open("a")  # a restarted process appends to its log
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        self.processes.append((process, handle))
        return process, log

    def start_actions(self) -> None:
        process, log = self._spawn("actions", action_server_command(self.action_port))
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", process, log)

    def start_rasa(self, endpoints: str | None = None) -> None:
        endpoints = endpoints or self.endpoints
        self.endpoints = endpoints
        # deploy/rasa_server.py, as the Procfile: the token from RASA_AUTH_TOKEN in self.env
        process, log = self._spawn("rasa", rasa_server_command(self.rasa_port, endpoints, MODEL))
        wait_until_up(f"{self.rasa_url}/", process, log)

    def start_analytics(self) -> None:
        """The analytics consumer, python -m bot.analytics (no health URL: it is up once started)."""
        self._spawn("analytics", [str(VENV_APP / "bin" / "python"), "-m", "bot.analytics"])

    def start_web(self) -> None:
        """The web app (widget, demo page, reception screen), python -m bot.web."""
        process, log = self._spawn("web", [str(VENV_APP / "bin" / "python"), "-m", "bot.web"])
        wait_until_up(f"{self.web_url}/healthz", process, log)

    def stop_process(self, name: str) -> None:
        """Stops one process ("rasa", "actions", "web", "analytics") as a crash or restart would;
        start it again with start_rasa() / start_actions() / start_web() / start_analytics()."""
        for entry in list(self.processes):
            process, handle = entry
            if Path(handle.name).stem == name:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                handle.close()
                self.processes.remove(entry)

    def stop(self) -> None:
        for process, handle in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            handle.close()
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{_tail(log)}" for log in sorted(self.workdir.glob("*.log")))


def make_stack(workdir: Path, **overrides: str) -> Stack:
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        ACTION_PORT=str(action_port),
        ACTION_HOST="127.0.0.1",
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}",
        DATABASE_URL=f"sqlite:///{workdir / 'clinic.db'}",
        TRACKER_DB=str(workdir / "tracker.db"),
        ANALYTICS_EVENTS_DB=f"sqlite:///{workdir / 'events.db'}",  # the SQL event broker's table
        ANALYTICS_BROKER_URL="",
        ANALYTICS_ABANDON_AFTER_MIN="0",  # an unfinished conversation counts as abandoned at once
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        CLINIC_PHONE="(07) 3555 0100",
        RASA_PORT=str(rasa_port),
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
        RASA_PUBLIC_URL=f"http://127.0.0.1:{rasa_port}",
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(web_port),
        WEB_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        WIDGET_ALLOWED_ORIGINS=f"http://127.0.0.1:{web_port},http://localhost:{web_port},{CLINIC_SITE_ORIGIN}",
        WEB_SECRET_KEY=secrets.token_hex(32),
        TELEGRAM_RELAY_SECRET=secrets.token_hex(32),
        ACTION_SERVER_SECRET=secrets.token_hex(32),  # Rasa sends it on every action call
    )
    env.update(overrides)
    stack = Stack(workdir=workdir, env=env, rasa_port=rasa_port, action_port=action_port, web_port=web_port)
    stack.env["RASA_AUTH_TOKEN"] = stack.token
    return stack


class Chat:
    """One person talking to the assistant over Rasa's REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None) -> None:
        self.stack = stack
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"
        self.replies: list[dict[str, Any]] = []

    def say(self, text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=120,
        )
        response.raise_for_status()
        self.replies = response.json()
        return self.replies

    @property
    def text(self) -> str:
        """Everything the assistant said in reply to the last message, as one string."""
        return "\n".join(reply.get("text") or "" for reply in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [b["title"] for reply in self.replies for b in reply.get("buttons") or []]

    def tracker(self) -> dict[str, Any]:
        response = requests.get(
            f"{self.stack.rasa_url}/conversations/{self.sender}/tracker",
            headers=self.stack.auth_headers,
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def slot(self, name: str) -> Any:
        return self.tracker()["slots"].get(name)

    def answer_all(self, *answers: str) -> None:
        for answer in answers:
            self.say(answer)

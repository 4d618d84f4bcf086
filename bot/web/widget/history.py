"""`POST /widget/api/history`: the conversation so far, for a widget reloaded or opened on another
page. The browser sends only its random session id; this reads the tracker from Rasa's HTTP API
with the server-side token and returns the texts the person saw and typed, nothing else (no
slots, intents or entities).

Only widget conversations are served: every message the person sent came through the widget's
Socket.IO channel (input channel "web"). Any other conversation whose id happens to look like a
widget's (a REST sender of 32 hex characters, say) gets exactly the answer an unknown id gets:
200 with no messages. Requests are limited per client address and for all addresses together
(WIDGET_HISTORY_PER_MINUTE, WIDGET_HISTORY_GLOBAL_PER_MINUTE; per web process, in memory)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.settings import get_settings
from bot.web.client import client_address

logger = logging.getLogger(__name__)

# The ids Rasa's Socket.IO channel hands out (components/channels.py: uuid4().hex).
SESSION_ID_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_MESSAGES = 300
RASA_TIMEOUT_S = 10.0

# The widget may sit on the clinic's main site, another origin; no cookies are involved.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}
NO_STORE = {"Cache-Control": "no-store", **CORS_HEADERS}
# The input channel of GuardedSocketIOInput (components/channels.py): the website widget.
WIDGET_CHANNEL = "web"


class MinuteLimiter:
    """At most `per_key` requests per key and `overall` in total in each minute (fixed windows:
    the counts start again every minute, so memory stays bounded by one minute's addresses)."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.window = -1
        self.counts: dict[str, int] = {}
        self.total = 0

    def allow(self, key: str, per_key: int, overall: int) -> bool:
        window = int(self.clock() // 60)
        if window != self.window:
            self.window, self.counts, self.total = window, {}, 0
        if self.counts.get(key, 0) >= per_key or self.total >= overall:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        self.total += 1
        return True

    def retry_after(self) -> int:
        return max(1, 60 - int(self.clock() % 60))


limiter = MinuteLimiter()


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and SESSION_ID_RE.fullmatch(value) is not None


def is_widget_conversation(events: list[Any]) -> bool:
    """True when the person spoke, and every message came through the widget."""
    channels = [e.get("input_channel") for e in events if isinstance(e, dict) and e.get("event") == "user"]
    return bool(channels) and all(channel == WIDGET_CHANNEL for channel in channels)


def _buttons(event: dict[str, Any]) -> list[dict[str, str]]:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    buttons = []
    for button in data.get("buttons") or []:
        if isinstance(button, dict) and isinstance(button.get("title"), str):
            payload = button.get("payload")
            buttons.append(
                {
                    "title": button["title"],
                    "payload": payload if isinstance(payload, str) else button["title"],
                }
            )
    return buttons


def transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """User and bot texts in order, as the widget showed them: a bot text is split into bubbles
    at blank lines (as Rasa's Socket.IO channel sends it) with its buttons on the last one, and a
    tapped button shows its title rather than its payload."""
    messages: list[dict[str, Any]] = []
    offered: list[dict[str, str]] = []
    for event in events:
        if not isinstance(event, dict):
            continue
        kind, text, timestamp = event.get("event"), event.get("text"), event.get("timestamp")
        if kind == "user" and isinstance(text, str) and text:
            label = next((b["title"] for b in offered if b["payload"] == text), text)
            messages.append({"sender": "user", "text": label, "timestamp": timestamp})
            offered = []
        elif kind == "bot":
            buttons = _buttons(event)
            parts = [part for part in (text or "").strip().split("\n\n") if part] or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                if not part and not (last and buttons):
                    continue
                message: dict[str, Any] = {"sender": "bot", "text": part, "timestamp": timestamp}
                if last and buttons:
                    message["buttons"] = buttons
                messages.append(message)
            if buttons:
                offered = buttons
    return messages[-MAX_MESSAGES:]


async def read_tracker(session_id: str) -> dict[str, Any]:
    settings = get_settings()
    async with httpx.AsyncClient(timeout=RASA_TIMEOUT_S) as client:
        response = await client.get(
            f"{settings.rasa_url.rstrip('/')}/conversations/{session_id}/tracker",
            headers={"Authorization": f"Bearer {settings.rasa_auth_token}"},
        )
    response.raise_for_status()
    tracker = response.json()
    if not isinstance(tracker, dict):
        raise ValueError("unexpected tracker")
    return tracker


async def history(request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS_HEADERS)
    settings = get_settings()
    if not limiter.allow(
        client_address(request), settings.widget_history_per_minute, settings.widget_history_global_per_minute
    ):
        return JSONResponse(
            {"error": "too many requests, please try again in a minute"},
            429,
            {**NO_STORE, "Retry-After": str(limiter.retry_after())},
        )
    try:
        body = await request.json()
    except ValueError:
        body = None
    session_id = body.get("session_id") if isinstance(body, dict) else None
    if not valid_session_id(session_id):
        return JSONResponse({"error": "session_id must be the widget's 32-character id"}, 400, NO_STORE)
    try:
        tracker = await read_tracker(session_id)
    except (httpx.HTTPError, ValueError) as error:
        # No session id in the log: it is the key to someone's conversation.
        logger.warning("could not read a conversation from Rasa for the widget: %s", type(error).__name__)
        return JSONResponse({"error": "the assistant is not reachable right now"}, 503, NO_STORE)
    events = tracker.get("events") or []
    if not isinstance(events, list) or not is_widget_conversation(events):
        events = []  # the answer of an unknown id, to the byte
    return JSONResponse({"messages": transcript(events)}, headers=NO_STORE)

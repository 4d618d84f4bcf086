"""`POST /widget/api/history`: the conversation so far, for a widget reloaded or opened on another
page. The browser sends only its random session id; this reads the tracker from Rasa's HTTP API
with the server-side token and returns the texts the person saw and typed, nothing else (no
slots, intents or entities)."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.settings import get_settings

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


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and SESSION_ID_RE.fullmatch(value) is not None


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
            params={"token": settings.rasa_auth_token},
        )
    response.raise_for_status()
    tracker = response.json()
    if not isinstance(tracker, dict):
        raise ValueError("unexpected tracker")
    return tracker


async def history(request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=CORS_HEADERS)
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
    return JSONResponse({"messages": transcript(tracker.get("events") or [])}, headers=NO_STORE)

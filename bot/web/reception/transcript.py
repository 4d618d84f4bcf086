"""The whole conversation behind a handoff, read from Rasa's HTTP API
(`GET /conversations/{id}/tracker`, token `RASA_AUTH_TOKEN`): the person's own words and the
assistant's replies, in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

import httpx

from bot.settings import get_settings

logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO; conversation ids in them are not for the log.
logging.getLogger("httpx").setLevel(logging.WARNING)

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Line:
    speaker: str  # "person" | "assistant"
    text: str
    at: datetime | None
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transcript:
    lines: tuple[Line, ...]
    error: str | None = None  # set when the assistant could not be asked


def lines_from_events(events: list[dict]) -> tuple[Line, ...]:
    lines = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        text = (event.get("text") or "").strip()
        buttons = tuple(
            str(b.get("title", ""))
            for b in (event.get("data") or {}).get("buttons") or []
            if isinstance(b, dict)
        )
        if not text and not buttons:
            continue
        stamp = event.get("timestamp")
        at = datetime.fromtimestamp(stamp, timezone.utc) if isinstance(stamp, (int, float)) else None
        lines.append(Line("person" if kind == "user" else "assistant", text, at, buttons))
    return tuple(lines)


async def fetch_transcript(conversation_id: str) -> Transcript:
    settings = get_settings()
    url = f"{settings.rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/tracker"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.get(
                url,
                params={"include_events": "ALL"},
                headers={"Authorization": f"Bearer {settings.rasa_auth_token}"},
            )
        response.raise_for_status()
        events = response.json().get("events") or []
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("transcript unavailable: %s", type(exc).__name__)
        return Transcript(lines=(), error="The assistant could not be reached to load this conversation.")
    return Transcript(lines=lines_from_events(events))

"""Rasa's REST and Socket.IO channels, guarded so a person is never left without an answer.

If the action server is down, Rasa logs the failed action and carries on silently; the person
would see nothing, or half an answer. These channels process every message as usual (so nothing
is lost from the transcript), then, if the action server can't be reached or no reply was
produced, add one plain message saying so, with the clinic's phone number and 000.

The Socket.IO channel (the website widget) also replaces two of Rasa's event handlers: Rasa
3.6.21 calls `enter_room` without awaiting it (a coroutine since python-socketio 5), so with
session persistence no reply ever reached the browser; and it accepted a message for any
conversation id a socket named. Here a socket joins its session's room before the session is
confirmed, and may only speak in the session it joined. Its handshake (websocket or polling) is
refused for any browser Origin outside WIDGET_ALLOWED_ORIGINS (Rasa turns python-engineio's origin
check off); the CORS headers themselves come from the server's one CORS set-up
(deploy/rasa_server.py), never with credentials.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.exceptions import Forbidden
from sanic.request import Request

from bot.settings import get_settings

logger = logging.getLogger(__name__)

# Conversation ids of the Telegram relay's channel; no other channel may use them.
TELEGRAM_SENDER_PREFIX = "telegram-"
HEALTH_TIMEOUT_S = 2.0


def technical_problem_text() -> str:
    phone = get_settings().clinic_phone
    return (
        "Sorry, part of me isn't working right now, so I can't answer that properly. Nothing you "
        f"typed is lost: please try again in a few minutes, or call the clinic on {phone}. "
        "If this is an emergency, call 000."
    )


def action_server_health_url() -> str:
    return get_settings().action_server_url.rstrip("/") + "/health"


# A healthy answer is trusted for this long, so a busy server does not add a health request to
# every message; an unhealthy one is asked again every time (the person must hear about it).
HEALTHY_FOR_S = 2.0
_last_healthy = float("-inf")


# A refused connection or an error status is asked once more after this pause before the
# person is told: one dropped connection under load is not an outage. A timeout is not retried.
RETRY_AFTER_S = 0.2


async def _ask_health() -> bool | None:
    """True: healthy; False: an error answer or no connection; None: no answer in time."""
    try:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(action_server_health_url()) as response,
        ):
            return response.status == 200
    # asyncio.TimeoutError is not the built-in TimeoutError before Python 3.11
    except (TimeoutError, asyncio.TimeoutError):
        return None
    except (aiohttp.ClientError, OSError):
        return False


async def action_server_up() -> bool:
    global _last_healthy
    if time.monotonic() - _last_healthy < HEALTHY_FOR_S:
        return True
    up = await _ask_health()
    if up is False:
        await asyncio.sleep(RETRY_AFTER_S)
        up = await _ask_health()
    _last_healthy = time.monotonic() if up else float("-inf")
    return bool(up)


class _CountingOutput(OutputChannel):
    """Passes every reply on to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    @classmethod
    def name(cls) -> str:
        return "counting"

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    # The base class defines the send_* methods itself, so __getattr__ never sees them.
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


def guard(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[None]]:
    async def handle(message: UserMessage) -> None:
        inner = message.output_channel
        counting = _CountingOutput(inner)
        message.output_channel = counting
        failed = False
        try:
            await on_new_message(message)
        except Exception:
            logger.exception("handling a message failed")
            failed = True
        if failed or counting.sent == 0 or not await action_server_up():
            logger.error(
                "told the person about a technical problem (failed=%s, replies=%d)", failed, counting.sent
            )
            await inner.send_text_message(message.sender_id, technical_problem_text())

    return handle


# An origin as a browser sends it: scheme, host and optional port, nothing else. Anything with a
# path, a wildcard or regex characters is refused (sanic-cors would read those as a pattern).
ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def parse_origins(value: str) -> tuple[list[str], list[str]]:
    """WIDGET_ALLOWED_ORIGINS (comma-separated) → (valid origins, refused entries)."""
    valid: list[str] = []
    refused: list[str] = []
    for entry in value.split(","):
        origin = entry.strip().rstrip("/").lower()
        if not origin:
            continue
        if ORIGIN_RE.fullmatch(origin):
            if origin not in valid:
                valid.append(origin)
        else:
            refused.append(entry.strip())
    return valid, refused


def allowed_origins() -> list[str]:
    """The web origins a browser may talk to Rasa from (WIDGET_ALLOWED_ORIGINS: the clinic's
    site, the web app). Malformed entries are left out (deploy/rasa_server.py refuses to start
    with any)."""
    return parse_origins(get_settings().widget_allowed_origins)[0]


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        # Rasa reads the sender first thing for every message. A browser names the page it runs
        # in: a page of another site may not speak through a visitor's browser, even blindly (a
        # "simple" cross-origin POST needs no preflight). Clients other than browsers send no Origin.
        origin = req.headers.get("origin")
        if origin and origin.rstrip("/").lower() not in allowed_origins():
            raise Forbidden("this website may not use the chat")
        # "telegram-<chat id>" conversations belong to the authenticated Telegram relay
        # (components/telegram_relay.py): chat ids are guessable, so REST may not speak for them.
        sender = await super()._extract_sender(req)
        if isinstance(sender, str) and sender.startswith(TELEGRAM_SENDER_PREFIX):
            raise Forbidden("this conversation belongs to another channel")
        return sender

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        return super().blueprint(guard(on_new_message))


# The widget's session ids: uuid4().hex, made here. Anything else a browser sends (another
# channel's sender id such as "telegram-42", markup, a path) is replaced by a new id.
SESSION_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and SESSION_ID_RE.fullmatch(value) is not None


def restrict_origins(sio: Any, origins: list[str]) -> None:
    """Makes python-engineio refuse a handshake whose Origin header is not one of `origins`
    (400, before any Socket.IO event runs). Rasa creates the server with
    `cors_allowed_origins=[]`, which turns that check off; browsers apply no CORS to websockets,
    so this check is the only thing between another site's page and the chat. engineio's own CORS
    headers stay off: the app-wide CORS set-up answers for every route, this one included (two
    Access-Control-Allow-Origin headers would make browsers refuse the answer)."""
    eio = sio.eio
    if not hasattr(eio, "cors_allowed_origins") or not callable(getattr(eio, "_cors_headers", None)):
        raise RuntimeError("python-engineio changed: cannot restrict the Socket.IO origins")
    # An empty list means "no check" to engineio; no allowed origin at all must refuse everyone.
    eio.cors_allowed_origins = list(origins) or (lambda *_: False)
    eio.cors_credentials = False
    eio._cors_headers = lambda environ: []


class GuardedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        # The website widget: the input channel the actions read and store with each row
        # (docs/contracts.md). The Socket.IO path stays /socket.io; Rasa's small health route
        # moves to /webhooks/web/.
        return "web"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(guard(on_new_message))
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        restrict_origins(sio, allowed_origins())
        namespace = self.namespace or "/"
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]

        # Registering again under the same event name replaces Rasa's handler.
        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if valid_session_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                previous = (await sio.get_session(sid, namespace=namespace)).get("session_id")
                if previous and previous != session_id:  # one conversation per socket
                    await sio.leave_room(sid, previous, namespace=namespace)
                # Awaited, and before the confirmation: the browser sends its first message as
                # soon as it is confirmed, and the replies go to this room.
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                logger.warning("ignored a malformed Socket.IO message")
                return
            if self.session_persistence:
                session = await sio.get_session(sid, namespace=namespace)
                if not session.get("session_id") or data.get("session_id") != session["session_id"]:
                    logger.warning("ignored a Socket.IO message for a session its socket did not join")
                    return
            await rasa_handle_message(sid, data)

        return blueprint

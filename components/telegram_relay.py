"""The Telegram relay's own way into Rasa: POST /webhooks/telegram_relay/webhook.

Telegram chat ids are small guessable numbers, so the conversation `telegram-<chat id>` must be
reachable only by the relay process (bot/telegram). Every request has to carry the shared secret
`TELEGRAM_RELAY_SECRET` in the `X-Relay-Secret` header; anything else is refused before Rasa
reads or touches a conversation. Messages are handled with the same guard as the REST and
Socket.IO channels (components/channels.py), so a broken action server is still told plainly.

Request: {"sender": "telegram-<chat id>", "message": "..."}; response: Rasa's REST reply list.
The channel's name is `telegram`, which the actions store with each row.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import get_settings
from components.channels import guard

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Relay-Secret"
SENDER_PATTERN = re.compile(r"telegram--?\d{1,20}")
MAX_MESSAGE_CHARS = 4096  # Telegram's own limit for one message


def secret_matches(offered: str | None, expected: str) -> bool:
    if not offered or not expected:
        return False
    return hmac.compare_digest(offered.encode(), expected.encode())


class TelegramRelayInput(InputChannel):
    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret or get_settings().telegram_relay_secret

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def url_prefix(self) -> str:
        return "telegram_relay"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        handle = guard(on_new_message)
        relay = Blueprint("telegram_relay", __name__)

        @relay.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @relay.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not secret_matches(request.headers.get(SECRET_HEADER), self.secret):
                logger.warning("refused a request to the Telegram relay channel without the right secret")
                return response.json({"error": "forbidden"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
                return response.json({"error": "sender must be telegram-<chat id>"}, status=400)
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
                return response.json({"error": "message must be text of 1-4096 characters"}, status=400)
            collector = CollectingOutputChannel()
            await handle(UserMessage(text, collector, sender, input_channel=self.name()))
            return response.json(collector.messages)

        return relay

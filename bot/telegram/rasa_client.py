"""The relay's HTTP client for Rasa's Telegram relay channel (components/telegram_relay.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

RELAY_PATH = "/webhooks/telegram_relay/webhook"
SECRET_HEADER = "X-Relay-Secret"
CONVERSATION_HEADER = "X-Conversation-Id"  # for the load balancer (docs/contracts.md)


class AssistantUnavailable(Exception):
    """Rasa could not be reached, refused the relay, or did not answer in time."""


def conversation_id(chat_id: int) -> str:
    return f"telegram-{chat_id}"


class RasaRelay:
    def __init__(self, rasa_url: str, secret: str, timeout_s: float) -> None:
        self.url = rasa_url.rstrip("/") + RELAY_PATH
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(5.0, timeout_s))
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, chat_id: int, text: str) -> list[dict[str, Any]]:
        """The assistant's replies to one message from this chat."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.post(
                self.url,
                json={"sender": conversation_id(chat_id), "message": text},
                # the conversation id also lets a load balancer keep it on one Rasa server
                headers={SECRET_HEADER: self.secret, CONVERSATION_HEADER: conversation_id(chat_id)},
            ) as response:
                if response.status != 200:
                    # 403 means the two processes disagree on TELEGRAM_RELAY_SECRET.
                    logger.error("Rasa answered the relay with HTTP %d", response.status)
                    raise AssistantUnavailable(f"HTTP {response.status}")
                replies = await response.json(content_type=None)
        # asyncio.TimeoutError is not the built-in TimeoutError before Python 3.11.
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("could not reach Rasa at %s: %s", self.url, type(exc).__name__)
            raise AssistantUnavailable(type(exc).__name__) from exc
        if not isinstance(replies, list):
            raise AssistantUnavailable("unexpected reply")
        return [reply for reply in replies if isinstance(reply, dict)]

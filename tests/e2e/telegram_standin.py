"""A local stand-in for Telegram's Bot API, for the Telegram bot's end-to-end tests.

An aiohttp server on 127.0.0.1 (its own thread and event loop) that answers the Bot API methods
the bot uses, the way Telegram does (python-telegram-bot is pointed at it with `base_url`). Tests
play the person: `say()` / `press()` / `send_update()` inject updates, delivered by getUpdates
long polling, or POSTed to the bot's webhook with its secret once the bot called setWebhook; the
messages the bot sent, its chat actions, callback answers and edits are recorded for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Clinic Knee Assistant",
    "username": "clinic_knee_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TEXT_PARAMS = {"text", "callback_query_id", "url", "secret_token", "action", "chat_id_str"}
WAIT_S = 120.0  # the longest a test waits for the bot (a real Rasa answers in well under this)
QUIET_S = 0.6  # a turn is over when the bot has been silent in that chat this long (its replies
# to one update are sent back to back, milliseconds apart)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _parse(params: dict[str, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in params.items():
        if key in TEXT_PARAMS:
            parsed[key] = value
            continue
        try:
            parsed[key] = json.loads(value)
        except (TypeError, ValueError):
            parsed[key] = value
    return parsed


class TelegramStandIn:
    def __init__(self, token: str = "123456789:TEST-stand-in-token") -> None:
        self.token = token
        self.port = 0
        self.calls: list[Call] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_responses: list[int] = []
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._pending: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._new_update: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> TelegramStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        """TELEGRAM_API_BASE_URL for the bot (python-telegram-bot appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # --- the Bot API ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = _parse(dict(await request.post()))
        if method != "getUpdates":
            self._record(Call(method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method} is not in the stand-in")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url, self.webhook_secret = "", ""
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook_url = params.get("url", "")
        self.webhook_secret = params.get("secret_token", "")
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        assert self._new_update is not None
        if self.webhook_url:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending:
            self._new_update.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=float(params.get("timeout") or 0))
        self._record(Call("getUpdates", params))
        return list(self._pending[: int(params.get("limit") or 100)])

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "first_name": "Pat"},
            "from": BOT_USER,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    def _find(self, params: dict[str, Any]) -> dict[str, Any] | None:
        return self._messages.get((int(params.get("chat_id", 0)), int(params.get("message_id", 0))))

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message is None:
            return self._error(400, "Bad Request: message to edit not found")
        message["text"] = params["text"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        if message is None:
            return self._error(400, "Bad Request: message to edit not found")
        new = params.get("reply_markup") or None
        if new == message.get("reply_markup"):
            return self._error(400, "Bad Request: message is not modified")
        if new:
            message["reply_markup"] = new
        else:
            message.pop("reply_markup", None)
        return message

    # --- the person's side (called from the test thread) -------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def send_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Delivers one update: to the webhook if the bot set one, else to getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        asyncio.run_coroutine_threadsafe(self._deliver(update), self._loop).result(WAIT_S)
        return update

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self._new_update is not None
        if self.webhook_url:
            status = await self.post_to_webhook(update, self.webhook_secret)
            self.webhook_responses.append(status)
            return
        self._pending.append(update)
        self._new_update.set()

    async def post_to_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook_url, json=update, headers=headers) as response,
        ):
            return response.status

    def _user_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        chat_type = "private" if chat_id > 0 else "group"
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Pat"} if chat_type == "private" else {"title": "Running club"})
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "Pat"},
            **content,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def say(self, chat_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.send_update({"message": self._user_message(chat_id, **content)})

    def send_content(self, chat_id: int, **content: Any) -> dict[str, Any]:
        """A message that is not text (voice, photo, sticker, document, location...)."""
        return self.send_update({"message": self._user_message(chat_id, **content)})

    def edit(self, chat_id: int, message: dict[str, Any], text: str) -> dict[str, Any]:
        edited = {**message, "text": text, "edit_date": int(time.time())}
        return self.send_update({"edited_message": edited})

    def press(self, chat_id: int, message_id: int, title: str) -> dict[str, Any]:
        """Taps the button with this title on one of the bot's messages, as it is shown now."""
        message = self._messages[(chat_id, message_id)]
        buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        [button] = [b for b in buttons if b["text"] == title]
        return self.press_data(chat_id, message_id, button["callback_data"])

    def press_data(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        message = self._messages[(chat_id, message_id)]
        query = {
            "id": str(next(self._callback_ids)),
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "Pat"},
            "chat_instance": f"ci-{chat_id}",
            "message": json.loads(json.dumps(message)),
            "data": data,
        }
        return self.send_update({"callback_query": query})

    # --- what the bot did ---------------------------------------------------------------------

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._changed:
            calls = [c for c in self.calls if c.method == method]
        if chat_id is not None:
            calls = [c for c in calls if str(c.params.get("chat_id")) == str(chat_id)]
        return calls

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self._messages[(chat_id, message_id)]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in this chat as they look now (edits applied)."""
        return [
            m
            for (chat, _), m in sorted(self._messages.items(), key=lambda item: item[0][1])
            if chat == chat_id and m["from"].get("is_bot")
        ]

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the bot never {what} within {timeout:.0f} s")
                self._changed.wait(min(remaining, 0.5))

    def wait_turn(self, chat_id: int, since: int, timeout: float = WAIT_S) -> list[dict[str, Any]]:
        """Waits until the bot has answered in this chat (at least one message after `since` calls
        were recorded) and gone quiet there; returns the messages it sent in that turn."""

        def chat_calls() -> list[Call]:
            return [
                c
                for c in self.calls[since:]
                if c.method != "sendChatAction" and str(c.params.get("chat_id")) == str(chat_id)
            ]

        self.wait_for(lambda: any(c.method == "sendMessage" for c in chat_calls()), "answered", timeout)
        while True:
            with self._changed:
                last = chat_calls()[-1].at
            quiet_for = time.monotonic() - last
            if quiet_for >= QUIET_S:
                break
            time.sleep(QUIET_S - quiet_for)
        sent_texts = [c.params["text"] for c in chat_calls() if c.method == "sendMessage"]
        mine = self.sent(chat_id)
        # The sent messages of this turn, in order, as they look now.
        return mine[len(mine) - len(sent_texts) :] if sent_texts else []

    def mark(self) -> int:
        """A position in the call log, for wait_turn(since=...)."""
        with self._changed:
            return len(self.calls)

"""The Telegram side of the conversation: commands, text, button presses and everything else.

Each chat's messages are handled one at a time and in order (a lock per chat), while different
chats are handled concurrently, so one person waiting for a slow answer never holds up another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.settings import Settings
from bot.telegram import texts
from bot.telegram.messages import MAX_MESSAGE, keyboard, pressed, split_text, utf16_len
from bot.telegram.rasa_client import AssistantUnavailable, RasaRelay
from bot.telegram.ratelimit import ChatRateLimiter

logger = logging.getLogger(__name__)

TYPING_EVERY_S = 4.0  # Telegram shows "typing…" for about 5 seconds per chat action
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
REMEMBERED_PRESSES = 10_000


class TelegramFrontEnd:
    def __init__(self, settings: Settings, relay: RasaRelay, limiter: ChatRateLimiter | None = None) -> None:
        self.settings = settings
        self.relay = relay
        self.limiter = limiter or ChatRateLimiter()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        # The one message per chat whose keyboard still answers the current question.
        self._open_keyboard: dict[int, int] = {}
        # Keyboards already answered, so a quick double tap is not sent twice.
        self._answered: OrderedDict[tuple[int, int], None] = OrderedDict()

    # --- wiring -----------------------------------------------------------------------------

    def register(self, application: Application) -> None:
        only_new = filters.UpdateType.MESSAGE
        application.add_handler(TypeHandler(Update, self.gate), group=-1)
        for command in texts.COMMAND_INTENTS:
            application.add_handler(CommandHandler(command, self.on_assistant_command, filters=only_new))
        application.add_handler(CommandHandler("help", self.on_help, filters=only_new))
        application.add_handler(CommandHandler("privacy", self.on_privacy, filters=only_new))
        application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.on_edited))
        application.add_handler(MessageHandler(only_new & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(only_new & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(only_new, self.on_not_text))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_error_handler(self.on_error)

    async def post_init(self, application: Application) -> None:
        await self.relay.start()
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS])
        logger.info("Telegram bot @%s is ready; commands registered", application.bot.username)

    async def post_shutdown(self, application: Application) -> None:
        await self.relay.close()

    # --- every update -------------------------------------------------------------------------

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Drops what must not reach the assistant: group chats (unless allowed), channels, and a
        flood from one chat beyond its rate limit."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.CHANNEL:
            raise ApplicationHandlerStop
        if chat.type != ChatType.PRIVATE and not self.settings.telegram_allow_groups:
            logger.info("ignored an update from a %s chat (TELEGRAM_ALLOW_GROUPS is off)", chat.type)
            raise ApplicationHandlerStop
        if not self.limiter.allow(chat.id):
            logger.info("chat %s: over the rate limit, update dropped", chat.id)
            if update.callback_query:
                with contextlib.suppress(TelegramError):
                    await update.callback_query.answer(texts.SLOW_DOWN)
            elif self.limiter.should_warn(chat.id):
                await context.bot.send_message(chat.id, texts.SLOW_DOWN)
            raise ApplicationHandlerStop

    # --- commands -----------------------------------------------------------------------------

    async def on_assistant_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        command = (message.text or "").split()[0].lstrip("/").split("@")[0].lower()
        logger.info("chat %s: /%s", message.chat_id, command)
        await self.converse(context, message.chat_id, texts.COMMAND_INTENTS[command])

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(texts.help_text())

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(texts.privacy_text(self.settings))

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)

    # --- messages -----------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        text = message.text or ""
        if text.lstrip().startswith("/"):
            # Rasa reads "/name{...}" as an intent with entities: only the commands above send one.
            await message.reply_text(texts.UNKNOWN_COMMAND)
            return
        await self.converse(context, message.chat_id, text)

    async def on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        logger.info("chat %s: a message that is not text", message.chat_id)
        await message.reply_text(texts.NOT_TEXT)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        await context.bot.send_message(message.chat_id, texts.EDITED)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        message = query.message
        if not isinstance(message, Message):  # too old for Telegram to show us
            await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
            return
        chat_id = message.chat_id
        async with self._lock(chat_id):
            key = (chat_id, message.message_id)
            current = self._open_keyboard.get(chat_id)
            if key in self._answered or (current is not None and current != message.message_id):
                await query.answer(texts.STALE_BUTTON)
                await self._close_keyboard(context, chat_id, message.message_id)
                return
            choice = pressed(query.data or "", message.reply_markup)
            if choice is None:
                await query.answer(texts.EXPIRED_BUTTON, show_alert=True)
                return
            payload, title = choice
            await query.answer()
            self._remember_answered(key)
            self._open_keyboard.pop(chat_id, None)
            await self._mark_choice(message, title)
            logger.info("chat %s: button pressed", chat_id)
            await self._relay(context, chat_id, payload)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Logged without the update itself: it holds the person's message.
        logger.error("handling an update failed: %r", context.error, exc_info=context.error)

    # --- the conversation -------------------------------------------------------------------

    async def converse(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
        async with self._lock(chat_id):
            current = self._open_keyboard.pop(chat_id, None)
            if current is not None:  # answered by typing: that keyboard is done
                await self._close_keyboard(context, chat_id, current)
            await self._relay(context, chat_id, text)

    async def _relay(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
        async with self._typing(context, chat_id):
            try:
                replies = await self.relay.send(chat_id, text)
            except AssistantUnavailable:
                await context.bot.send_message(chat_id, texts.unavailable_text(self.settings))
                return
            except Exception:  # whatever went wrong, the person is not left without an answer
                logger.exception("chat %s: relaying a message failed", chat_id)
                await context.bot.send_message(chat_id, texts.unavailable_text(self.settings))
                return
        logger.info("chat %s: relayed a message (%d chars), %d replies", chat_id, len(text), len(replies))
        for reply in replies:
            await self._send_reply(context, chat_id, reply)

    async def _send_reply(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: dict[str, Any]
    ) -> None:
        text = str(reply.get("text") or "")
        if reply.get("image"):
            text = f"{text}\n\n{reply['image']}".strip()
        markup = keyboard(reply.get("buttons") or [])
        if not text:
            if markup is None:
                return  # custom payloads have no meaning on Telegram
            text = "Please choose:"
        pieces = split_text(text)
        for piece in pieces[:-1]:
            await context.bot.send_message(chat_id, piece)
        if markup is not None:
            previous = self._open_keyboard.pop(chat_id, None)
            if previous is not None:
                await self._close_keyboard(context, chat_id, previous)
        sent = await context.bot.send_message(chat_id, pieces[-1], reply_markup=markup)
        if markup is not None:
            self._open_keyboard[chat_id] = sent.message_id

    async def _mark_choice(self, message: Message, title: str) -> None:
        """Shows what was chosen under the question and removes its keyboard."""
        marked = f"{message.text or ''}\n\n✓ {title}".strip()
        try:
            if message.text and utf16_len(marked) <= MAX_MESSAGE:
                await message.edit_text(marked, reply_markup=None)
            else:
                await message.edit_reply_markup(reply_markup=None)
        except TelegramError as exc:
            logger.info("could not mark a pressed keyboard: %s", type(exc).__name__)

    async def _close_keyboard(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int
    ) -> None:
        self._remember_answered((chat_id, message_id))
        try:
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as exc:  # already gone, or too old to edit
            logger.debug("could not remove a keyboard: %s", type(exc).__name__)

    def _remember_answered(self, key: tuple[int, int]) -> None:
        self._answered[key] = None
        while len(self._answered) > REMEMBERED_PRESSES:
            self._answered.popitem(last=False)

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[chat_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def _typing(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> AsyncIterator[None]:
        async def keep_typing() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY_S)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

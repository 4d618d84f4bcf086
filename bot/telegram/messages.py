"""Turning the assistant's replies into Telegram messages: split long text, buttons as keyboards.

Replies are sent as plain text (no parse mode), so no character in an answer can make Telegram
reject the message with a formatting error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_MESSAGE = 4096  # Telegram's limit, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
PAYLOAD_PREFIX = "p:"  # callback data that is the button's payload itself
INDEX_PREFIX = "i:"  # a payload too long for callback data: the button's position, read back


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The longest prefix of `text` (in characters) that fits `limit` UTF-16 units."""
    size = 0
    for index, char in enumerate(text):
        size += 2 if ord(char) > 0xFFFF else 1
        if size > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut at a paragraph break if there is one, else a
    line break, else a sentence end or space, and only as a last resort inside a word."""
    text = text.strip()
    pieces: list[str] = []
    while utf16_len(text) > limit:
        head = text[: _cut(text, limit)]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            position = head.rfind(separator)
            if position > 0:
                cut = position + (len(separator) if separator == ". " else 0)
                break
        if cut <= 0:
            cut = len(head)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def callback_data(payload: str, index: int) -> str:
    data = PAYLOAD_PREFIX + payload
    if len(data.encode()) <= MAX_CALLBACK_DATA:
        return data
    return f"{INDEX_PREFIX}{index}"


def keyboard(buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """Rasa buttons ({"title", "payload"}) as an inline keyboard: short answers side by side,
    longer ones one per row so their titles are readable on a phone."""
    items = [
        (str(b.get("title") or b.get("payload")), str(b.get("payload") or b.get("title")))
        for b in buttons
        if b.get("title") or b.get("payload")
    ]
    if not items:
        return None
    inline = [
        InlineKeyboardButton(title, callback_data=callback_data(payload, index))
        for index, (title, payload) in enumerate(items)
    ]
    if len(inline) <= 3 and all(len(title) <= 12 for title, _ in items):
        return InlineKeyboardMarkup([inline])
    return InlineKeyboardMarkup([[button] for button in inline])


def pressed(data: str, markup: InlineKeyboardMarkup | None) -> tuple[str, str] | None:
    """(text to send to the assistant, title the person saw) for a pressed button's data, or None
    when it can't be read back."""
    titles = {
        button.callback_data: button.text
        for row in (markup.inline_keyboard if markup else ())
        for button in row
    }
    if data.startswith(PAYLOAD_PREFIX):
        payload = data[len(PAYLOAD_PREFIX) :]
        return payload, titles.get(data, payload)
    if data.startswith(INDEX_PREFIX) and data in titles:
        title = str(titles[data])
        return title, title  # a button's title is what a person would type
    return None

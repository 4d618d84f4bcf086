"""Turning the assistant's replies into Telegram messages (bot/telegram/messages.py)."""

from __future__ import annotations

from bot.telegram.messages import (
    MAX_CALLBACK_DATA,
    MAX_MESSAGE,
    callback_data,
    keyboard,
    pressed,
    split_text,
    utf16_len,
)


def test_short_text_is_one_message() -> None:
    assert split_text("Hello there.") == ["Hello there."]


def test_long_text_splits_on_paragraph_boundaries_within_the_limit() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 300 for n in range(10)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(utf16_len(p) <= MAX_MESSAGE for p in pieces)
    assert all(p.startswith("Paragraph") for p in pieces)  # no paragraph cut in two
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())  # nothing lost


def test_one_huge_paragraph_splits_at_spaces_and_a_word_without_spaces_still_fits() -> None:
    pieces = split_text("knee " * 2000)
    assert all(utf16_len(p) <= MAX_MESSAGE for p in pieces)
    assert all(set(p.split()) == {"knee"} for p in pieces)
    assert all(utf16_len(p) <= MAX_MESSAGE for p in split_text("x" * 10_000))
    assert "".join(split_text("x" * 10_000)) == "x" * 10_000


def test_the_limit_counts_emoji_as_telegram_does() -> None:
    text = "🏃" * 3000  # 2 UTF-16 units each: 6000 units
    pieces = split_text(text)
    assert len(pieces) == 2 and all(utf16_len(p) <= MAX_MESSAGE for p in pieces)
    assert "".join(pieces) == text


def test_buttons_become_an_inline_keyboard_short_answers_side_by_side() -> None:
    markup = keyboard([{"title": t, "payload": t} for t in ("Yes", "No", "Not sure")])
    assert markup is not None and [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["Yes", "No", "Not sure"]
    ]
    long = keyboard(
        [{"title": "Outside of the knee", "payload": "Outside of the knee"}, {"title": "Whole knee"}]
    )
    assert long is not None and len(long.inline_keyboard) == 2
    assert keyboard([]) is None


def test_a_press_sends_the_payload_and_shows_the_title() -> None:
    markup = keyboard(
        [{"title": "Yes, delete it", "payload": "Yes"}, {"title": "No, keep it", "payload": "No"}]
    )
    assert markup is not None
    data = markup.inline_keyboard[0][0].callback_data
    assert pressed(data, markup) == ("Yes", "Yes, delete it")


def test_a_payload_too_long_for_telegram_is_sent_as_the_title() -> None:
    title = "Calf pain or swelling with breathlessness or chest pain, and more"
    payload = title + " " + "x" * 80
    data = callback_data(payload, 3)
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    markup = keyboard([{"title": "a", "payload": "a"}] * 3 + [{"title": title, "payload": payload}])
    assert markup is not None
    [button] = [b for row in markup.inline_keyboard for b in row if b.text == title]
    assert pressed(str(button.callback_data), markup) == (title, title)


def test_unreadable_button_data_is_refused() -> None:
    assert pressed("garbage", None) is None
    assert pressed("i:7", None) is None

"""The guarded channels: a person always gets a plain answer, even when part of the assistant is down."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from components import channels


def handle(on_new_message, server_up: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    async def up() -> bool:
        return server_up

    monkeypatch.setattr(channels, "action_server_up", up)
    collector = CollectingOutputChannel()
    asyncio.run(channels.guard(on_new_message)(UserMessage("hi", collector, "person-1")))
    return [m.get("text") for m in collector.messages]


def test_a_normal_reply_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    async def reply(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Hello")

    assert handle(reply, server_up=True, monkeypatch=monkeypatch) == ["Hello"]


def test_silence_gets_a_plain_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    async def silent(message: UserMessage) -> None:
        return None

    [text] = handle(silent, server_up=True, monkeypatch=monkeypatch)
    assert "isn't working right now" in text and "000" in text


def test_a_crash_gets_a_plain_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(message: UserMessage) -> None:
        raise RuntimeError("boom")

    [text] = handle(crash, server_up=True, monkeypatch=monkeypatch)
    assert "isn't working right now" in text


def test_half_an_answer_with_the_action_server_down_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    async def partial(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Let's start.")

    texts = handle(partial, server_up=False, monkeypatch=monkeypatch)
    assert texts[0] == "Let's start." and "isn't working right now" in texts[1]


def test_the_clinic_phone_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIC_PHONE", "(07) 3555 0100")
    assert "(07) 3555 0100" in channels.technical_problem_text()


def test_a_closed_port_counts_as_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    assert asyncio.run(channels.action_server_up()) is False

"""The Telegram bot end to end: a person on Telegram (the Bot API stand-in) → `python -m bot.telegram`
→ Rasa's relay channel → the real assistant and action server → the clinic database.

Each test is one person (a fresh chat id) so the tests don't depend on each other.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web
from sqlalchemy import select

from bot.db.models import Handoff, Triage
from bot.db.session import make_engine, session_factory
from bot.settings import Settings, get_settings
from bot.telegram import texts
from tests.e2e.conftest import cliniko_on
from tests.e2e.patients import ITBS_STORY
from tests.e2e.servers import ROOT, VENV_APP, Stack, free_port
from tests.e2e.telegram_standin import TelegramStandIn
from tests.standins.cliniko import ClinikoStandIn

REFERENCE_CODE = re.compile(r"\b[A-Z]{3}-[A-Z0-9]{4,}\b")
OUTCOMES = {"emergency", "urgent_medical", "medical_review", "book_running_assessment", "general_assessment"}
# Answers a runner with typical ITB pain would tap, first match wins; any other question gets its
# first button (so a reworded or added question still gets answered).
PREFERRED = (
    "Outside of the knee",
    "Gradually, with running",
    "Up more than 30%",
    "More hills or downhill",
    "Skip",
    "None of these",
    "Yes",
)


# --- running the bot ------------------------------------------------------------------------------


class BotProcess:
    """`python -m bot.telegram` against a stand-in, with the stack's settings."""

    def __init__(self, stack: Stack, standin: TelegramStandIn, log: Path, **env: str) -> None:
        self.env = {
            **stack.env,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": standin.token,
            "TELEGRAM_API_BASE_URL": standin.base_url,
            "TELEGRAM_WEBHOOK_URL": "",
            "TELEGRAM_WEBHOOK_SECRET": "",
            "TELEGRAM_ALLOW_GROUPS": "false",
            **env,
        }
        self.standin = standin
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, ready: str = "getUpdates") -> None:
        since = self.standin.mark()
        handle = self.log.open("a")
        self.process = subprocess.Popen(
            [str(VENV_APP / "bin" / "python"), "-m", "bot.telegram"],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()

        def started() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited:\n{self.log.read_text()[-3000:]}")
            return any(c.method == ready for c in self.standin.calls[since:])

        self.standin.wait_for(started, f"called {ready}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


@pytest.fixture(scope="module")
def standin() -> Iterator[TelegramStandIn]:
    server = TelegramStandIn().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(
    stack: Stack, standin: TelegramStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotProcess]:
    process = BotProcess(stack, standin, tmp_path_factory.mktemp("telegram") / "bot.log")
    process.start()
    yield process
    process.stop()


class Person:
    """One person in a private chat with the bot."""

    def __init__(self, standin: TelegramStandIn, chat_id: int | None = None) -> None:
        self.standin = standin
        self.chat_id = chat_id or random.randint(10**8, 10**10)
        self.turn: list[dict[str, Any]] = []

    @property
    def conversation_id(self) -> str:
        return f"telegram-{self.chat_id}"

    def _wait(self, since: int) -> list[dict[str, Any]]:
        self.turn = self.standin.wait_turn(self.chat_id, since)
        return self.turn

    def say(self, text: str) -> list[dict[str, Any]]:
        since = self.standin.mark()
        self.standin.say(self.chat_id, text)
        return self._wait(since)

    def send(self, **content: Any) -> list[dict[str, Any]]:
        since = self.standin.mark()
        self.standin.send_content(self.chat_id, **content)
        return self._wait(since)

    def keyboard_message(self) -> dict[str, Any]:
        with_keyboard = [m for m in self.turn if m.get("reply_markup")]
        assert with_keyboard, f"no buttons in: {self.text}"
        return with_keyboard[-1]

    def press(self, title: str) -> list[dict[str, Any]]:
        message = self.keyboard_message()
        since = self.standin.mark()
        self.standin.press(self.chat_id, message["message_id"], title)
        return self._wait(since)

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.turn)

    @property
    def buttons(self) -> list[str]:
        markup = [m.get("reply_markup") for m in self.turn if m.get("reply_markup")]
        return [b["text"] for m in markup for row in m["inline_keyboard"] for b in row]


def rows(stack: Stack, model: Any, conversation_id: str) -> list[Any]:
    engine = make_engine(stack.database_url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(model).where(model.conversation_id == conversation_id)))
    finally:
        engine.dispose()


def tracker_events(stack: Stack, conversation_id: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        headers=stack.auth_headers,
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["events"]


def user_texts(stack: Stack, conversation_id: str) -> list[str]:
    return [e.get("text") or "" for e in tracker_events(stack, conversation_id) if e["event"] == "user"]


def answer_by_buttons(stack: Stack, person: Person, limit: int = 25, prefer: tuple[str, ...] = ()) -> Triage:
    """Taps through the questions until the triage is stored (`prefer`: titles tapped first
    whenever offered)."""
    for _ in range(limit):
        stored = rows(stack, Triage, person.conversation_id)
        if stored:
            return stored[0]
        choices = person.buttons
        assert choices, f"a question without buttons: {person.text}"
        title = next((p for p in (*prefer, *PREFERRED) if p in choices), choices[0])
        person.press(title)
    raise AssertionError(f"no triage stored after {limit} answers; last: {person.text}")


# --- whole conversations ------------------------------------------------------------------------


def test_a_whole_triage_by_button_presses_is_stored_with_channel_telegram(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/start")
    assert "000" in person.text  # the notice comes first
    assert "Outside of the knee" in person.buttons  # the first question, as a keyboard

    question = person.keyboard_message()
    person.press("Outside of the knee")
    # The press was acknowledged, and the keyboard replaced by the answer under the question.
    [answer] = [c for c in standin.calls_to("answerCallbackQuery") if not c.params.get("text")][-1:]
    assert answer.params["callback_query_id"]
    pressed = standin.message(person.chat_id, question["message_id"])
    assert "reply_markup" not in pressed and pressed["text"].endswith("✓ Outside of the knee")

    triage = answer_by_buttons(stack, person)
    assert triage.channel == "telegram"
    assert triage.outcome in OUTCOMES and triage.answers["pain_location"] == "lateral"
    assert triage.conversation_id == person.conversation_id

    # Every message went out as plain text, so no formatting error can drop one.
    assert all("parse_mode" not in c.params for c in standin.calls_to("sendMessage", person.chat_id))
    # "typing…" while the assistant thinks
    assert standin.calls_to("sendChatAction", person.chat_id)[0].params["action"] == "typing"


@pytest.mark.parametrize(
    ("story", "taps", "outcome"),
    [
        # issue 17: tapped answers were stored as urgent_medical although typing gave these
        (
            "general assessment",
            ("Front / around the kneecap", "Catching, locking or giving way", "No"),
            "general_assessment",
        ),
        ("GP review", ("Numbness, pins and needles or foot drop", "No"), "medical_review"),
    ],
)
def test_stories_told_by_buttons_get_the_outcome_the_answers_give(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess, story: str, taps: tuple[str, ...], outcome: str
) -> None:
    person = Person(standin)
    person.say("/start")
    triage = answer_by_buttons(stack, person, prefer=taps)
    assert triage.outcome == outcome, (story, triage.red_flags, person.text)
    # the assistant's own button titles never raised a safety question of their own
    asked = [m["text"] for m in standin.sent(person.chat_id) if "Quick safety check" in (m.get("text") or "")]
    assert not asked, asked


def test_a_whole_triage_in_free_text_then_a_booking(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say(ITBS_STORY[0])
    person.say(ITBS_STORY[1])
    for answer in ITBS_STORY[2:]:
        if rows(stack, Triage, person.conversation_id):
            break
        person.say(answer)
    [triage] = rows(stack, Triage, person.conversation_id)
    assert triage.channel == "telegram" and triage.outcome == "book_running_assessment"
    assert "Book an assessment" in person.buttons

    person.press("Book an assessment")
    person.say("Sam Taylor")
    person.say("0412 345 678")
    person.press("Jindalee")
    person.say("weekday mornings before 9")
    person.press("Yes, I agree")
    code = REFERENCE_CODE.search(person.text)
    assert code, person.text
    [handoff] = rows(stack, Handoff, person.conversation_id)
    assert handoff.channel == "telegram" and handoff.reference_code == code.group(0)
    assert handoff.contact_value == "+61412345678" and handoff.triage_id == triage.id

    # Logs carry no message bodies (health information) and never the bot token.
    log = bot.log.read_text()
    for private in ("Sam Taylor", "0412 345 678", "outside of my right knee", "downhills", bot.standin.token):
        assert private not in log


def test_a_free_time_in_the_clinic_diary_is_booked_from_telegram(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess, cliniko: ClinikoStandIn
) -> None:
    """Issue 18 on Telegram: the offered times are inline buttons; a press books it in the
    (stand-in) Cliniko diary and reception's row says so."""
    cliniko.reset()
    with contextmanager(cliniko_on)(stack, cliniko):
        person = Person(standin)
        person.say("/start")
        triage = answer_by_buttons(stack, person)
        assert triage.outcome == "book_running_assessment", triage.outcome
        person.press("Book an assessment")
        person.say("Sam")
        assert "last name" in person.text, person.text  # a new Cliniko patient needs both names
        person.say("Taylor-Brown")
        person.say("0412 345 678")
        person.press("Kenmore")
        person.press("Any time")
        person.press("Yes, I agree")
        assert "Here are the soonest" in person.text and "None of these suit" in person.buttons, person.text
        person.press(person.buttons[0])
        assert "You're booked in" in person.text and "Kenmore" in person.text, person.text
        [appointment] = [a for a in cliniko.appointments.values() if a.notes and "chat assistant" in a.notes]
        [handoff] = rows(stack, Handoff, person.conversation_id)
        assert handoff.channel == "telegram" and handoff.status == "booked"
        assert handoff.cliniko_appointment_id == appointment.id and handoff.name == "Sam Taylor-Brown"


def test_human_command_starts_the_handoff_with_the_name(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/human")
    assert "reception" in person.text.lower() and "name" in person.text.lower()
    person.say("Alex Nguyen")
    person.say("alex.nguyen@example.com")
    person.press("Kenmore")
    person.press("Any time")
    person.press("Yes, I agree")
    assert REFERENCE_CODE.search(person.text), person.text
    [handoff] = rows(stack, Handoff, person.conversation_id)
    assert handoff.channel == "telegram" and handoff.reason == "talk_to_person"
    assert handoff.name == "Alex Nguyen" and handoff.status == "new"


def test_delete_command_asks_first_then_removes_records_and_transcript(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/human")
    for answer in ("Sam", "sam@example.com", "Kenmore", "Saturdays", "Yes, I agree"):
        person.say(answer)
    assert len(rows(stack, Handoff, person.conversation_id)) == 1

    person.say("/delete")
    assert len(person.buttons) == 2  # confirm or keep
    assert len(rows(stack, Handoff, person.conversation_id)) == 1  # nothing deleted yet
    person.press(person.buttons[0])  # "Yes, delete it"
    assert "deleted" in person.text.lower()
    assert rows(stack, Handoff, person.conversation_id) == []
    assert "sam@example.com" not in user_texts(stack, person.conversation_id)


def test_restart_help_and_privacy_commands(stack: Stack, standin: TelegramStandIn, bot: BotProcess) -> None:
    registered = standin.calls_to("setMyCommands")[-1].params["commands"]
    assert [c["command"] for c in registered] == [c for c, _ in texts.COMMANDS]

    person = Person(standin)
    person.say("/help")
    assert all(f"/{command}" in person.text for command, _ in texts.COMMANDS)
    person.say("/privacy")
    assert "/delete" in person.text and "days" in person.text

    person.say("/start")
    person.press("Outside of the knee")
    assert "Outside of the knee" not in person.buttons  # on to the next question
    person.say("/restart")
    assert "Outside of the knee" in person.buttons  # the first question again


# --- buttons -------------------------------------------------------------------------------------


def test_a_keyboard_answers_once(stack: Stack, standin: TelegramStandIn, bot: BotProcess) -> None:
    person = Person(standin)
    person.say("/start")
    first = person.keyboard_message()

    # Two quick taps on the same keyboard: only one answer reaches the assistant.
    since = standin.mark()
    standin.press(person.chat_id, first["message_id"], "Outside of the knee")
    standin.press_data(person.chat_id, first["message_id"], "p:Inside of the knee")
    person._wait(since)
    standin.wait_for(lambda: len(standin.calls_to("answerCallbackQuery")[-2:]) == 2, "answered both taps")
    assert any(c.params.get("text") == texts.STALE_BUTTON for c in standin.calls_to("answerCallbackQuery"))
    assert user_texts(stack, person.conversation_id).count("Inside of the knee") == 0

    # Answering by typing closes the open keyboard; tapping it later changes nothing.
    second = person.keyboard_message()
    person.say("it crept up over a few weeks")
    assert "reply_markup" not in standin.message(person.chat_id, second["message_id"])
    before = user_texts(stack, person.conversation_id)
    since = standin.mark()
    standin.press_data(person.chat_id, second["message_id"], "p:Suddenly, with an injury")
    standin.wait_for(
        lambda: any(
            c.method == "answerCallbackQuery" and c.params.get("text") == texts.STALE_BUTTON
            for c in standin.calls[since:]
        ),
        "refused the stale button",
    )
    assert user_texts(stack, person.conversation_id) == before


# --- bad input -----------------------------------------------------------------------------------

NOT_TEXT = {
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}},
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]},
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "document": {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "scan.pdf"}},
    "location": {"location": {"latitude": -27.5, "longitude": 152.95}},
}


@pytest.mark.parametrize("kind", list(NOT_TEXT))
def test_messages_that_are_not_text_get_a_kind_answer(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess, kind: str
) -> None:
    person = Person(standin)
    person.send(**NOT_TEXT[kind])
    assert person.text == texts.NOT_TEXT
    person.say("hi")  # and the conversation goes on
    assert "000" in person.text


def test_odd_text_edits_and_unknown_commands_are_answered(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("🙂🙂🙂")
    assert person.turn  # the assistant's own "didn't understand"
    person.say("*bold* _under_ [link](x) <b>tag</b> `code` &amp;")
    assert person.turn  # plain text: nothing to break Telegram's formatting
    person.say("/frobnicate")
    assert person.text == texts.UNKNOWN_COMMAND
    person.say(' /inform{"pain_location": "lateral"}')  # Rasa's intent syntax is not for typing
    assert person.text == texts.UNKNOWN_COMMAND
    assert not any("inform" in t for t in user_texts(stack, person.conversation_id))

    since = standin.mark()
    message = standin.say(person.chat_id, "outside of my knee")["message"]
    person._wait(since)
    since = standin.mark()
    standin.edit(person.chat_id, message, "inside of my knee")
    person._wait(since)
    assert person.text == texts.EDITED
    assert "inside of my knee" not in user_texts(stack, person.conversation_id)


def test_group_chats_are_ignored(stack: Stack, standin: TelegramStandIn, bot: BotProcess) -> None:
    group = -random.randint(10**8, 10**10)
    since = standin.mark()
    standin.say(group, "my knee hurts when I run")
    person = Person(standin)
    person.say("hi")  # handled after the group message
    assert not [c for c in standin.calls[since:] if str(c.params.get("chat_id")) == str(group)]
    assert tracker_events(stack, f"telegram-{group}") == [] or not user_texts(stack, f"telegram-{group}")


def test_a_flood_from_one_chat_is_slowed(stack: Stack, standin: TelegramStandIn, bot: BotProcess) -> None:
    person = Person(standin)
    since = standin.mark()
    for number in range(20):
        standin.say(person.chat_id, f"hello {number}")
    standin.wait_for(
        lambda: any(
            c.params.get("text") == texts.SLOW_DOWN for c in standin.calls_to("sendMessage", person.chat_id)
        ),
        "asked the person to slow down",
    )
    person._wait(since)
    relayed = [t for t in user_texts(stack, person.conversation_id) if t.startswith("hello")]
    assert 0 < len(relayed) < 20
    warnings = [
        c for c in standin.calls_to("sendMessage", person.chat_id) if c.params["text"] == texts.SLOW_DOWN
    ]
    assert len(warnings) == 1  # told once, not once per dropped message


# --- faults and restarts -------------------------------------------------------------------------


def test_rasa_stopped_and_started_mid_conversation(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/start")
    person.press("Outside of the knee")
    stack.stop_process("rasa")
    try:
        person.say("it crept up over a few weeks of running")
        assert person.text == texts.unavailable_text(_settings(stack))
    finally:
        stack.start_rasa()
    person.say("it crept up over a few weeks of running")
    assert "Safety check" in person.text or person.buttons  # the next question
    assert "Outside of the knee" not in person.buttons  # the first answer was kept


def test_action_server_stopped_and_started_mid_conversation(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/start")
    stack.stop_process("actions")
    try:
        person.press("Outside of the knee")
        assert "isn't working right now" in person.text and "000" in person.text
    finally:
        stack.start_actions()
    person.say("outside of my knee")
    assert "Outside of the knee" not in person.buttons  # on to the next question
    assert "isn't working right now" not in person.text


def test_the_bot_restarted_keeps_the_conversation_and_its_buttons(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/start")
    bot.stop()
    bot.start()
    person.press("Outside of the knee")  # a keyboard sent before the restart
    assert "Outside of the knee" not in person.buttons
    [slot] = [
        e["value"] for e in tracker_events(stack, person.conversation_id) if e.get("name") == "pain_location"
    ][-1:]
    assert slot == "lateral"


def test_a_slow_assistant_is_explained_and_nothing_crashes(stack: Stack, tmp_path: Path) -> None:
    """Rasa that doesn't answer within TELEGRAM_RASA_TIMEOUT_S: the person is told plainly."""
    release = threading.Event()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 60)
        return web.json_response([{"text": "too late"}])

    standin = TelegramStandIn().start()
    slow_rasa = _Server({"/webhooks/telegram_relay/webhook": slow})
    process = BotProcess(
        stack, standin, tmp_path / "bot.log", RASA_URL=slow_rasa.url, TELEGRAM_RASA_TIMEOUT_S="2"
    )
    try:
        process.start()
        person = Person(standin)
        person.say("hi")
        assert person.text == texts.unavailable_text(_settings(stack))
        release.set()
        person.say("/help")  # still alive
        assert "/start" in person.text
        assert process.process is not None and process.process.poll() is None
    finally:
        release.set()
        process.stop()
        slow_rasa.stop()
        standin.stop()


def test_webhook_mode_accepts_only_the_right_secret(stack: Stack, tmp_path: Path) -> None:
    standin = TelegramStandIn().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    process = BotProcess(
        stack,
        standin,
        tmp_path / "bot.log",
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET="right-secret_123",
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    try:
        process.start(ready="setWebhook")
        # python-telegram-bot calls setWebhook just before it starts listening.
        standin.wait_for(lambda: _listening(port), "listened for the webhook")
        assert standin.webhook_url == url and standin.webhook_secret == "right-secret_123"
        person = Person(standin)

        def forged(secret: str | None) -> int:
            update = {
                "update_id": 10**6 + random.randint(0, 10**6),
                "message": _private_message(person.chat_id, "/delete"),
            }
            return requests.post(
                url,
                json=update,
                headers={} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret},
                timeout=30,
            ).status_code

        assert forged(None) == 403
        assert forged("wrong-secret") == 403
        person.say("hi")  # delivered by the stand-in with the right secret
        assert standin.webhook_responses[-1] == 200 and "000" in person.text
        assert "/delete_my_data" not in user_texts(stack, person.conversation_id)
    finally:
        process.stop()
        standin.stop()


def test_a_forged_relay_request_is_refused_and_changes_nothing(
    stack: Stack, standin: TelegramStandIn, bot: BotProcess
) -> None:
    person = Person(standin)
    person.say("/human")
    for answer in ("Sam", "sam@example.com", "Kenmore", "Saturdays", "Yes, I agree"):
        person.say(answer)
    [handoff] = rows(stack, Handoff, person.conversation_id)
    events = tracker_events(stack, person.conversation_id)

    relay = f"{stack.rasa_url}/webhooks/telegram_relay/webhook"
    for headers in ({}, {"X-Relay-Secret": "guessed"}, {"X-Relay-Secret": ""}):
        for message in ("/delete_my_data", "Yes"):
            response = requests.post(
                relay,
                json={"sender": person.conversation_id, "message": message},
                headers=headers,
                timeout=30,
            )
            assert response.status_code == 403
            assert "sam@example.com" not in response.text
    assert tracker_events(stack, person.conversation_id) == events
    assert [h.id for h in rows(stack, Handoff, person.conversation_id)] == [handoff.id]

    # With the relay's secret the same channel works, and only for Telegram conversation ids.
    secret = {"X-Relay-Secret": stack.env["TELEGRAM_RELAY_SECRET"]}
    ok = requests.post(relay, json={"sender": "telegram-1", "message": "hi"}, headers=secret, timeout=60)
    assert ok.status_code == 200 and ok.json()
    other = requests.post(relay, json={"sender": "web-abc", "message": "hi"}, headers=secret, timeout=60)
    assert other.status_code == 400


# --- helpers ---------------------------------------------------------------------------------------


def _settings(stack: Stack) -> Settings:
    """The settings the bot runs with, for the texts it says by itself."""
    return replace(get_settings(), clinic_phone=stack.env["CLINIC_PHONE"])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _private_message(chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": random.randint(10**6, 10**7),
        "date": 1_700_000_000,
        "chat": {"id": chat_id, "type": "private", "first_name": "Pat"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Pat"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message


class _Server:
    """A small aiohttp server in its own thread (a Rasa that is too slow to answer)."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.routes = routes
        self.runner: web.AppRunner | None = None
        self.url = ""
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> None:
        app = web.Application()
        for path, handler in self.routes.items():
            app.router.add_post(path, handler)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

"""The guarded channels: a person always gets a plain answer, even when part of the assistant is down."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import aiohttp
import pytest
import socketio
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


def test_an_action_server_that_never_answers_counts_as_down(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that accepts the connection and says nothing: aiohttp raises asyncio.TimeoutError,
    # which on Python 3.10 is not the built-in TimeoutError.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        monkeypatch.setattr(channels, "HEALTH_TIMEOUT_S", 0.5)
        monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        assert asyncio.run(channels.action_server_up()) is False
    finally:
        silent.close()


def test_one_failed_health_answer_is_asked_again_before_anyone_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # under load one connection can drop (or a proxy answer 502 once): not an outage
    from aiohttp import web

    answers = [502, 200, 503, 503]
    asked: list[int] = []

    async def health(_request: web.Request) -> web.Response:
        asked.append(answers[len(asked)])
        return web.Response(status=asked[-1])

    async def scenario() -> tuple[bool, bool]:
        app = web.Application()
        app.router.add_get("/health", health)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{port}")
        try:
            first = await channels.action_server_up()  # 502, then 200: up
            monkeypatch.setattr(channels, "_last_healthy", float("-inf"))
            second = await channels.action_server_up()  # 503 twice: down
            return first, second
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario()) == (True, False)
    assert len(asked) == 4


def test_a_healthy_answer_is_trusted_briefly_and_a_bad_one_never(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(channels, "_last_healthy", channels.time.monotonic())
    assert asyncio.run(channels.action_server_up()) is True  # healthy a moment ago: not asked
    monkeypatch.setattr(channels, "_last_healthy", channels.time.monotonic() - channels.HEALTHY_FOR_S - 1)
    assert asyncio.run(channels.action_server_up()) is False  # stale: asked again, and down
    assert asyncio.run(channels.action_server_up()) is False  # down is never trusted: asked again


def test_rest_refuses_to_speak_for_a_telegram_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    from sanic import Sanic

    async def up() -> bool:
        return True

    monkeypatch.setattr(channels, "action_server_up", up)
    heard: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        heard.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "hello")

    async def exchange() -> tuple[int, int, Any]:
        Sanic.test_mode = True
        app = Sanic(f"rest_test_{uuid.uuid4().hex[:8]}")
        # mounted where rasa run mounts it (rasa.core.channels.channel.register)
        channel = channels.GuardedRestInput()
        app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")
        port = _free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    url, json={"sender": "telegram-42", "message": "delete my data"}
                ) as r:
                    forged = r.status
                async with session.post(url, json={"sender": "me", "message": "hi"}) as r:
                    return forged, r.status, await r.json()
        finally:
            server.close()
            await server.wait_closed()

    forged, ordinary, replies = asyncio.run(exchange())
    assert forged == 403
    assert ordinary == 200 and replies == [{"recipient_id": "me", "text": "hello"}]
    assert heard == ["me"]


# --- the Socket.IO channel (website widget) over a real Sanic server and Socket.IO client ---

SOCKET_TIMEOUT_S = 20


async def _serve_socketio(on_new_message, unused_port: int):
    """Rasa's blueprint for the guarded Socket.IO channel (as in credentials.yml) on a real server."""
    from sanic import Sanic

    channel = channels.GuardedSocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
    )
    Sanic.test_mode = True
    app = Sanic(f"socketio_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message))
    server = await app.create_server(host="127.0.0.1", port=unused_port, return_asyncio_server=True)
    await server.startup()
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _echo(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def _talk(monkeypatch: pytest.MonkeyPatch, script, on_new_message=_echo) -> Any:
    async def up() -> bool:
        return True

    monkeypatch.setattr(channels, "action_server_up", up)
    port = _free_port()
    server = await _serve_socketio(on_new_message, port)
    client = socketio.AsyncClient(reconnection=False)
    try:
        # Long-polling: Rasa's aiohttp is too old for python-socketio's websocket client; the
        # browser test (tests/e2e/test_widget.py) covers the websocket transport.
        await client.connect(f"http://127.0.0.1:{port}", transports=["polling"], socketio_path="/socket.io")
        return await asyncio.wait_for(script(client), SOCKET_TIMEOUT_S)
    finally:
        # abort: a polite disconnect waits for the open long-poll (up to 25 s).
        await client.eio.disconnect(abort=True)
        server.close()
        await server.wait_closed()


def _collector(client: socketio.AsyncClient) -> tuple[asyncio.Queue, asyncio.Queue]:
    confirmed: asyncio.Queue = asyncio.Queue()
    replies: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    return confirmed, replies


def test_a_socketio_reply_reaches_the_session_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa 3.6.21 alone never delivers this reply (enter_room was not awaited)."""

    async def script(client: socketio.AsyncClient) -> tuple[str, dict]:
        confirmed, replies = _collector(client)
        await client.emit("session_request", {"session_id": None})
        session_id = await confirmed.get()
        await client.emit("user_uttered", {"message": "hello", "session_id": session_id})
        return session_id, await replies.get()

    session_id, reply = asyncio.run(_talk(monkeypatch, script))
    assert channels.valid_session_id(session_id)
    assert reply == {"text": "echo: hello"}


def test_a_known_session_id_is_kept_and_a_foreign_one_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = uuid.uuid4().hex

    async def script(client: socketio.AsyncClient) -> list[str]:
        confirmed, _ = _collector(client)
        ids = []
        for requested in (kept, "telegram-42", "<script>", None):
            await client.emit("session_request", {"session_id": requested})
            ids.append(await confirmed.get())
        return ids

    ids = asyncio.run(_talk(monkeypatch, script))
    assert ids[0] == kept
    assert all(channels.valid_session_id(i) and i != kept for i in ids[1:])


def test_a_socket_cannot_speak_in_a_conversation_it_did_not_join(monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []

    async def recording(message: UserMessage) -> None:
        heard.append(message.sender_id)
        await _echo(message)

    async def script(client: socketio.AsyncClient) -> dict:
        confirmed, replies = _collector(client)
        await client.emit("session_request", {})
        session_id = await confirmed.get()
        await client.emit("user_uttered", {"message": "delete my data", "session_id": "telegram-42"})
        await client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        return await replies.get()

    reply = asyncio.run(_talk(monkeypatch, script, recording))
    assert reply == {"text": "echo: hi"}
    assert heard == [heard[0]] and heard[0] != "telegram-42"


def test_widget_messages_carry_the_web_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored triages and handoffs take their channel from here (docs/contracts.md)."""
    channels_seen: list[str | None] = []

    async def recording(message: UserMessage) -> None:
        channels_seen.append(message.input_channel)
        await _echo(message)

    async def script(client: socketio.AsyncClient) -> dict:
        confirmed, replies = _collector(client)
        await client.emit("session_request", {})
        await client.emit("user_uttered", {"message": "hi", "session_id": await confirmed.get()})
        return await replies.get()

    asyncio.run(_talk(monkeypatch, script, recording))
    assert channels_seen == ["web"]


def test_a_socket_asking_for_another_session_leaves_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex

    async def script(client: socketio.AsyncClient) -> list[str]:
        confirmed, _ = _collector(client)
        for requested in (first, second):
            await client.emit("session_request", {"session_id": requested})
            await confirmed.get()
        return [room for room in rooms_of(client) if room in (first, second)]

    def rooms_of(client: socketio.AsyncClient) -> list[str]:
        return list(server_sio[0].rooms(client.get_sid("/"), namespace="/"))

    server_sio: list = []
    original = channels.GuardedSocketIOInput.blueprint

    def keep_server(self, on_new_message):
        blueprint = original(self, on_new_message)
        server_sio.append(self.sio)
        return blueprint

    monkeypatch.setattr(channels.GuardedSocketIOInput, "blueprint", keep_server)
    assert asyncio.run(_talk(monkeypatch, script)) == [second]

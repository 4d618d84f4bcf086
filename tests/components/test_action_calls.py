"""Rasa's calls to the action server: the recent turns only, on kept connections, same answers."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

import components  # noqa: F401 - importing the package installs the cheaper calls
from components.action_calls import action_call_format, recent_events, session

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform]
slots:
  pain_location: {type: any, influence_conversation: false, mappings: [{type: custom}]}
actions: [action_ask_onset]
"""
)


def long_conversation(turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("sender-1", [ActionExecuted("action_listen")])
    for turn in range(turns):
        tracker.update(UserUttered(f"message {turn}", {"name": "inform", "confidence": 1.0}))
        tracker.update(SlotSet("pain_location", f"place {turn}"))
        tracker.update(BotUttered(f"question {turn}"))
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("the latest", {"name": "inform", "confidence": 1.0}))
    return tracker


def test_rasa_uses_the_cheaper_calls() -> None:
    assert RemoteAction._action_call_format is action_call_format
    assert EndpointConfig.session is session


def test_the_call_carries_the_last_two_turns_and_the_whole_state() -> None:
    tracker = long_conversation(50)
    body = RemoteAction("action_ask_onset", None)._action_call_format(tracker, DOMAIN)
    texts = [e.get("text") for e in body["tracker"]["events"] if e["event"] == "user"]
    assert texts == ["message 49", "the latest"]
    assert body["tracker"]["events"][-1]["text"] == "the latest"
    assert body["tracker"]["slots"]["pain_location"] == "place 49"  # state from the whole history
    assert body["tracker"]["latest_message"]["text"] == "the latest"
    assert body["next_action"] == "action_ask_onset" and body["sender_id"] == "sender-1"
    assert "domain" in body
    # the size no longer grows with the conversation
    short = RemoteAction("action_ask_onset", None)._action_call_format(long_conversation(3), DOMAIN)
    assert abs(len(json.dumps(body)) - len(json.dumps(short))) < 200


def test_with_the_projects_endpoints_only_form_validation_gets_the_domain() -> None:
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    domain = Domain.from_dict({**DOMAIN.as_dict(), "actions": ["action_ask_onset", "validate_triage_form"]})
    for name in ("endpoints.yml", "endpoints.production.yml"):
        settings = yaml.safe_load((root / name).read_text())["action_endpoint"]
        endpoint = EndpointConfig.from_dict({**settings, "url": "http://127.0.0.1:1/webhook"})
        tracker = long_conversation(2)
        ask = RemoteAction("action_ask_onset", endpoint)._action_call_format(tracker, domain)
        validate = RemoteAction("validate_triage_form", endpoint)._action_call_format(tracker, domain)
        assert "domain" not in ask, name
        assert validate["domain"]["slots"] == domain.as_dict()["slots"], name


def test_the_actions_that_get_no_domain_do_not_read_it() -> None:
    """Selective domain is safe only while no other action reads its `domain` argument."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = []
    for path in sorted((root / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and not any(
                getattr(base, "id", "") == "FormValidationAction" for base in node.bases
            ):
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Name)
                        and inner.id == "domain"
                        and isinstance(inner.ctx, ast.Load)
                    ):
                        readers.append(f"{path.name}:{node.name}")
    assert readers == []


def test_a_new_conversation_sends_everything_it_has() -> None:
    tracker = DialogueStateTracker.from_events(
        "sender-2", [ActionExecuted("action_listen"), UserUttered("hi", {"name": "inform"})]
    )
    assert recent_events(tracker) == list(tracker.events)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def action_server():
    """A stand-in action server that counts the TCP connections it is sent requests on."""
    seen: dict[str, object] = {"peers": set(), "bodies": []}

    async def webhook(request: web.Request) -> web.Response:
        seen["peers"].add(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        body = await request.json()
        seen["bodies"].append(body)  # type: ignore[union-attr]
        if body.get("next_action") == "action_broken":
            return web.Response(status=500, text="boom")
        return web.json_response({"events": [], "responses": [{"text": f"ok {body['next_action']}"}]})

    return free_port(), webhook, seen


def test_calls_reuse_connections_and_errors_still_raise(action_server) -> None:
    port, webhook, seen = action_server

    async def scenario() -> list[object]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            answers = [await endpoint.request(json={"next_action": f"a{i}"}, method="post") for i in range(5)]
            with pytest.raises(ClientResponseError) as failed:
                await endpoint.request(json={"next_action": "action_broken"}, method="post")
            assert failed.value.status == 500
            return answers
        finally:
            await runner.cleanup()

    answers = asyncio.run(scenario())
    assert [a["responses"][0]["text"] for a in answers] == [f"ok a{i}" for i in range(5)]  # type: ignore[index]
    assert len(seen["peers"]) == 1  # one kept connection, not six new ones


def test_the_kept_connections_close_when_the_server_stops(action_server) -> None:
    import rasa.core.run

    from components import action_calls

    port, webhook, seen = action_server

    async def scenario() -> tuple[bool, bool, int]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            await endpoint.request(json={"next_action": "a"}, method="post")
            kept = [s for loop, s in action_calls._sessions.values() if loop is asyncio.get_running_loop()]
            assert kept and not kept[0].closed
            # what `rasa run` calls after the server has stopped (no agent loaded here)
            stopped_app = type("App", (), {"ctx": type("Ctx", (), {})()})()
            await rasa.core.run.close_resources(stopped_app, asyncio.get_running_loop())
            left = [s for loop, s in action_calls._sessions.values() if loop is asyncio.get_running_loop()]
            return kept[0].closed, bool(left), len(seen["peers"])
        finally:
            await runner.cleanup()

    closed, left, connections = asyncio.run(scenario())
    assert closed and not left and connections == 1


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints.production.yml"])
def test_rasa_sends_the_action_servers_secret_on_every_call(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action server refuses calls without it (actions/server.py); the kept sessions carry it."""
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTION_HOST", "127.0.0.1")
    monkeypatch.setenv("ACTION_PORT", "5055")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "s3cret-value")
    configured = read_endpoint_config(name, "action_endpoint")
    assert configured.headers == {"X-Action-Secret": "s3cret-value"}
    port = free_port()
    sent: list[str | None] = []

    async def webhook(request: web.Request) -> web.Response:
        sent.append(request.headers.get("X-Action-Secret"))
        return web.json_response({"events": [], "responses": []})

    async def scenario() -> None:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers=configured.headers)
        try:
            for i in range(3):  # on the kept connection as on the first
                await endpoint.request(json={"next_action": f"a{i}"}, method="post")
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert sent == ["s3cret-value"] * 3

"""What a neighbour process can do to the running assistant (issue 21), tried as it would:
real HTTP against the shared stack's servers."""

from __future__ import annotations

import socket

import pytest
import requests

from bot.db import repository
from bot.db.models import Handoff
from bot.db.session import make_engine, session_factory
from tests.e2e.servers import Chat, Stack


def _delete_call(sender: str) -> dict:
    """The action call Rasa would make for "delete my data", with a made-up tracker."""
    return {
        "next_action": "action_delete_my_data",
        "sender_id": sender,
        "version": "3.6.21",
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": [], "paused": False},
        "domain": {},
    }


def _handoffs(stack: Stack, conversation_id: str, create: bool = False) -> int:
    engine = make_engine(stack.env["DATABASE_URL"])
    try:
        with session_factory(engine)() as session:
            if create:
                repository.create_handoff(
                    session,
                    conversation_id=conversation_id,
                    channel="rest",
                    reason="booking",
                    name="Sam Runner",
                    contact_kind="phone",
                    contact_value="+61412345678",
                    site="kenmore",
                    preferred_times="mornings",
                    consent=True,
                )
                session.commit()
            return session.query(Handoff).filter_by(conversation_id=conversation_id).count()
    finally:
        engine.dispose()


def test_the_action_server_refuses_calls_that_do_not_come_from_rasa(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("hi")
    assert "automated assistant" in chat.text  # Rasa's own calls carry the secret
    assert _handoffs(stack, chat.sender, create=True) == 1  # someone's booking request
    webhook = f"http://127.0.0.1:{stack.action_port}/webhook"
    for headers in ({}, {"X-Action-Secret": "guess"}, {"X-Action-Secret": ""}):
        answer = requests.post(webhook, json=_delete_call(chat.sender), headers=headers, timeout=10)
        assert answer.status_code == 401 and "events" not in answer.json()
    assert requests.get(f"http://127.0.0.1:{stack.action_port}/actions", timeout=10).status_code == 401
    assert _handoffs(stack, chat.sender) == 1  # nothing deleted
    assert requests.get(f"http://127.0.0.1:{stack.action_port}/health", timeout=10).status_code == 200
    log = (stack.workdir / "actions.log").read_text(errors="replace")
    assert "refused a call to POST /webhook" in log
    assert chat.sender not in log  # refused calls are logged without their payload


def _outside_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: only picks the interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_action_server_listens_on_loopback_only(stack: Stack) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no network address other than loopback to try from")
    with socket.socket() as probe:
        probe.settimeout(3)
        assert probe.connect_ex((address, stack.action_port)) != 0
    assert requests.get(f"http://127.0.0.1:{stack.action_port}/health", timeout=10).ok

"""When the learned net cannot load, the rules still route every red flag they read, and the
action server's /health/safety-net says what the net runs on (issue 17)."""

from __future__ import annotations

import pytest

from actions.server import safety_net_state
from bot.triage.parsing import embeddings, red_flag_model
from bot.triage.parsing.red_flags import read_red_flags


def test_the_loaded_net_reports_meaning_and_words() -> None:
    assert safety_net_state() == {"status": "up", "net": "meaning + words", "embeddings": "up"}


def test_embeddings_turned_off_is_words_only_and_said_so() -> None:
    embeddings.configure(enabled=False)
    try:
        state = safety_net_state()
        assert state["status"] == "degraded" and state["net"] == "words only"
        assert state["embeddings"] == "off" and "SAFETY_EMBEDDINGS" in state["reason"]
    finally:
        embeddings.configure(enabled=True)


@pytest.fixture
def broken_net(monkeypatch: pytest.MonkeyPatch):
    """The net's files cannot be read or fitted in this process (a full disk, a broken install)."""

    def cannot_fit() -> None:
        raise OSError("No space left on device")

    red_flag_model.reset()
    monkeypatch.setattr(red_flag_model, "_load_or_fit", cannot_fit)
    yield
    monkeypatch.undo()
    red_flag_model.reset()


def test_a_net_that_cannot_load_leaves_the_rules_routing(broken_net) -> None:
    calf = read_red_flags("my left calf is swollen, hot and red since the flight")
    assert "calf_dvt_signs" in calf.flags
    chest = read_red_flags("crushing chest pain going down my left arm right now")
    assert chest.flags  # still routed, by the rules alone
    assert read_red_flags("my knee hurts on the outside when I run downhill").flags == frozenset()
    state = safety_net_state()
    assert state["status"] == "down" and state["net"] == "rules only"
    assert "No space left" in state["reason"]
    assert red_flag_model.unavailable_reason() == "OSError: No space left on device"

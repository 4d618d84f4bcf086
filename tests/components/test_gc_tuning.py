"""The Rasa server freezes what loading the model created (components/gc_tuning.py)."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace

import pytest
import rasa.core.agent
import rasa.core.run

import components  # noqa: F401 - importing the package wraps Rasa's agent loading


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the other tests run with ordinary collections


def test_rasa_run_loads_the_agent_through_the_wrapper() -> None:
    assert getattr(rasa.core.run.load_agent_on_start, "__wrapped_by_clinic__", False)
    # importing the package again does not wrap it twice
    import importlib

    import components.gc_tuning

    wrapped = rasa.core.run.load_agent_on_start
    importlib.reload(components.gc_tuning)
    assert rasa.core.run.load_agent_on_start is wrapped


def test_what_the_model_created_is_frozen_and_later_garbage_is_still_collected(monkeypatch, unfrozen) -> None:
    class Part:  # objects in a reference cycle: only the collector frees them
        def __init__(self) -> None:
            self.me = self

    model = [Part() for _ in range(1000)]

    async def load_agent(**kwargs):
        return SimpleNamespace(model=model)

    monkeypatch.setattr(rasa.core.agent, "load_agent", load_agent)
    app = SimpleNamespace(ctx=SimpleNamespace())
    agent = asyncio.run(rasa.core.run.load_agent_on_start("model.tar.gz", None, None, app, None))
    assert app.ctx.agent is agent and agent.model is model  # Rasa's own listener still ran
    assert gc.get_freeze_count() > 1000  # the model's objects, among everything else alive
    assert not any(isinstance(o, Part) for o in gc.get_objects())  # full collections skip them

    after = [Part() for _ in range(100)]  # a conversation's garbage, made after loading
    del after
    assert gc.collect() >= 100

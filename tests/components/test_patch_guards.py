"""The speed patches of components/ apply only to the Rasa they were written for, in the shape they
expect (components/patch_guard.py); anything else leaves Rasa's own code working, with a warning."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jsonschema
import pytest
import rasa
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from components import (
    action_calls,
    action_result_validation,
    event_lookup,
    gc_tuning,
    patch_guard,
    policies,
    state_history,
    stores,
    tracker_store,
)
from components.patch_guard import MARK, Target
from tests.components.test_policies import ANSWER, in_form

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform]
slots:
  pain_location: {type: any, influence_conversation: false, mappings: [{type: custom}]}
actions: [action_ask_onset]
"""
)


def conversation(sender: str = "guard-1", turns: int = 4) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    for turn in range(turns):
        tracker.update(UserUttered(f"message {turn}", {"name": "inform", "confidence": 1.0}))
        tracker.update(SlotSet("pain_location", f"place {turn}"))
        tracker.update(BotUttered(f"question {turn}"))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


# ── what Rasa does without the patches: each check passes with Rasa's own code ──────────────────


def rasa_sends_every_event(*_: Any) -> None:
    tracker = conversation()
    body = RemoteAction("action_ask_onset", None)._action_call_format(tracker, DOMAIN)
    assert len(body["tracker"]["events"]) == len(tracker.events)  # Rasa's EventVerbosity.ALL


def rasa_opens_a_new_session(*_: Any) -> None:
    async def open_one() -> None:
        made = EndpointConfig("http://127.0.0.1:1").session()
        assert isinstance(made, aiohttp.ClientSession)
        await made.close()

    asyncio.run(open_one())
    assert not getattr(rasa.core.run.close_resources, MARK, None)


def rasa_validates_with_jsonschema(*_: Any) -> None:
    action = RemoteAction("action_ask_onset", None)
    assert action._validate_action_result({"events": [], "responses": []})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})


def rasa_finds_event_classes(*_: Any) -> None:
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def rasa_loads_the_agent_unwrapped(*_: Any) -> None:
    assert not getattr(rasa.core.run.load_agent_on_start, MARK, None)


def rasa_computes_the_states(*_: Any) -> None:
    tracker = conversation()
    tracker.model_id = "model"  # a live conversation, which the patch would resume
    states = DOMAIN.states_for_tracker_history(tracker)
    assert states == state_history._rasa_states_for_tracker_history(DOMAIN, tracker)
    assert len(states) == 6  # one before each of the 5 actions, and the current one


def rasa_falls_back_to_memory(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    store = stores.ConfiguredTrackerStore(domain=DOMAIN, backend="sqlite")
    assert FailSafeTrackerStore(store)._on_tracker_store_error is None  # Rasa's: memory on errors


def every_policy_predicts(*_: Any) -> None:
    assert not policies.rule_policy_decides(in_form(ANSWER))  # the shortcut would say True


def rasa_reads_and_saves(tmp_path: Any, *_: Any) -> None:
    store = tracker_store.ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = conversation("guard-store")
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("guard-store"))
    assert again is not None and list(again.events) == list(tracker.events)
    assert not store.cache.has("guard-store")  # nothing kept: every read is Rasa's
    # and the erasure still works
    again.update(SlotSet(tracker_store.ERASE_SLOT, True))
    asyncio.run(store.save(again))
    assert asyncio.run(store.retrieve("guard-store")) is None


@dataclass
class Patch:
    name: str
    apply: Callable[[], bool]
    replaced: tuple[Target, ...]  # each holds the patch's function while it is applied
    rasa_works: Callable[..., None]
    relied_on: tuple[Target, ...] = field(default=())
    flag: tuple[Any, str] | None = None  # (module, name) of a switch for a patch that is no replacement


PATCHES = [
    Patch(
        "action_calls.recent_events",
        action_calls.apply_recent_events,
        (action_calls.ACTION_CALL_FORMAT,),
        rasa_sends_every_event,
    ),
    Patch(
        "action_calls.kept_sessions",
        action_calls.apply_kept_sessions,
        (action_calls.SESSION, action_calls.CLOSE_RESOURCES),
        rasa_opens_a_new_session,
        (action_calls.REQUEST,),
    ),
    Patch(
        "action_result_validation",
        action_result_validation.apply,
        (action_result_validation.VALIDATE_ACTION_RESULT,),
        rasa_validates_with_jsonschema,
        (action_result_validation.RESPONSE_FORMAT_SPEC,),
    ),
    Patch("event_lookup", event_lookup.apply, (event_lookup.RESOLVE_BY_TYPE,), rasa_finds_event_classes),
    Patch("gc_tuning", gc_tuning.apply, (gc_tuning.LOAD_AGENT_ON_START,), rasa_loads_the_agent_unwrapped),
    Patch(
        "state_history",
        state_history.apply,
        (state_history.STATES_FOR_TRACKER_HISTORY,),
        rasa_computes_the_states,
        state_history.RELIED_ON,
    ),
    Patch("stores.fail_safe", stores.apply, (stores.FAIL_SAFE_INIT,), rasa_falls_back_to_memory),
    Patch(
        "policies.skip_while_rule_policy_decides",
        policies.apply,
        (),
        every_policy_predicts,
        policies.RELIED_ON,
        (policies, "_shortcut"),
    ),
    Patch(
        "tracker_store.lean",
        tracker_store.apply,
        (),
        rasa_reads_and_saves,
        tracker_store.RELIED_ON,
        (tracker_store, "_lean"),
    ),
]
IDS = [patch.name for patch in PATCHES]


def current(target: Target) -> Any:
    raw = patch_guard._raw(target.owner, target.name)
    return patch_guard._function(raw)


def is_applied(patch: Patch) -> bool:
    if patch.flag is not None:
        return getattr(*patch.flag) is True
    return all(getattr(current(target), MARK, None) == patch.name for target in patch.replaced)


def run_check(patch: Patch, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    patch.rasa_works(tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def _patches_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test ends with Rasa as it was and every patch applied again, as at import."""
    yield
    monkeypatch.undo()
    assert all(patch.apply() for patch in PATCHES), patch_guard.status


def warnings_for(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "components.patch_guard"
        and record.levelno == logging.WARNING
        and name in record.getMessage()
    ]


def test_on_rasa_3_6_21_every_patch_is_applied() -> None:
    assert rasa.__version__ == "3.6.21"
    for patch in PATCHES:
        assert patch.apply(), patch.name
        assert patch_guard.status[patch.name] is None
        assert is_applied(patch), patch.name
    # the ones importing the package installs are the same functions as before the guard
    assert RemoteAction._action_call_format is action_calls.action_call_format
    assert EndpointConfig.session is action_calls.session
    assert Event.resolve_by_type is event_lookup.resolve_by_type
    assert Domain.states_for_tracker_history is state_history.states_for_tracker_history
    assert policies.rule_policy_decides(in_form(ANSWER))


def test_with_the_patch_this_store_refuses_to_fall_back_to_memory(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    store = stores.ConfiguredTrackerStore(domain=DOMAIN, backend="sqlite")
    assert FailSafeTrackerStore(store)._on_tracker_store_error is stores._refuse_to_fall_back


def test_applying_again_changes_nothing() -> None:
    before = {(t.owner, t.name): patch_guard._raw(t.owner, t.name) for p in PATCHES for t in p.replaced}
    for patch in PATCHES:
        assert patch.apply()
    after = {(t.owner, t.name): patch_guard._raw(t.owner, t.name) for p in PATCHES for t in p.replaced}
    assert after == before


@pytest.mark.parametrize("patch", PATCHES, ids=IDS)
def test_on_another_rasa_version_the_patch_is_taken_out_and_rasa_works(
    patch: Patch, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    assert is_applied(patch)
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with caplog.at_level(logging.WARNING, logger="components.patch_guard"):
        assert patch.apply() is False
    (warning,) = warnings_for(caplog, patch.name)
    assert "Rasa is 3.7.0" in warning and "3.6.21" in warning
    assert patch_guard.status[patch.name] == "Rasa is 3.7.0, the patch was written for 3.6.21"
    assert not is_applied(patch)
    for target in patch.replaced:  # Rasa's own function is back in its place
        assert current(target).__module__.startswith("rasa."), target.label
        assert patch_guard.mismatch(target) is None
    run_check(patch, tmp_path, monkeypatch)


def _other_shape(target: Target) -> Any:
    """A stand-in for Rasa's function with one parameter more (and another body)."""
    parameters = ", ".join((*target.parameters, "extra=None"))
    namespace: dict[str, Any] = {}
    prefix = "async " if target.is_async else ""
    exec(f"{prefix}def {target.name}({parameters}):\n    return None\n", namespace)  # noqa: S102
    function = namespace[target.name]
    if isinstance(patch_guard.rasa_original(target.owner, target.name), staticmethod):
        return staticmethod(function)
    return function


@pytest.mark.parametrize(
    "patch", [p for p in PATCHES if p.replaced], ids=[p.name for p in PATCHES if p.replaced]
)
def test_a_replaced_function_of_another_shape_stays_and_is_not_patched(
    patch: Patch, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    target = patch.replaced[0]
    stand_in = _other_shape(target)
    monkeypatch.setattr(target.owner, target.name, stand_in)
    with caplog.at_level(logging.WARNING, logger="components.patch_guard"):
        assert patch.apply() is False
    (warning,) = warnings_for(caplog, patch.name)
    assert f"{target.label} takes (" in warning and "the patch expects" in warning
    assert patch_guard._raw(target.owner, target.name) is stand_in  # left as found
    assert not getattr(current(target), MARK, None)
    for other in patch.replaced[1:]:  # all parts or none: Rasa's own in the other places too
        assert not getattr(current(other), MARK, None), other.label


@pytest.mark.parametrize(
    "patch", [p for p in PATCHES if p.relied_on], ids=[p.name for p in PATCHES if p.relied_on]
)
def test_a_changed_function_the_patch_relies_on_takes_it_out_and_rasa_works(
    patch: Patch, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    """The relied-on function keeps its parameters but not its body (or, without a digest, gains a
    parameter): the patch is taken out; Rasa's code (here: the real function put back) works."""
    target = patch.relied_on[0]
    original = patch_guard.rasa_original(target.owner, target.name)
    function = patch_guard._function(original)
    if target.source_digest is not None:

        def changed(*args: Any, **kwargs: Any) -> Any:  # same signature, other source
            return function(*args, **kwargs)

        changed.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
        if target.is_async:

            async def changed_async(*args: Any, **kwargs: Any) -> Any:
                return await function(*args, **kwargs)

            changed_async.__signature__ = changed.__signature__  # type: ignore[attr-defined]
            changed = changed_async  # type: ignore[assignment]
        stand_in: Any = staticmethod(changed) if isinstance(original, staticmethod) else changed
        expected = "is not Rasa 3.6.21's"
    else:
        stand_in = _other_shape(target)
        expected = "the patch expects"
    monkeypatch.setattr(target.owner, target.name, stand_in)
    with caplog.at_level(logging.WARNING, logger="components.patch_guard"):
        assert patch.apply() is False
    (warning,) = warnings_for(caplog, patch.name)
    assert expected in warning and target.label in warning
    assert not is_applied(patch)
    monkeypatch.setattr(target.owner, target.name, original)  # Rasa's real function, patch still out
    run_check(patch, tmp_path, monkeypatch)


def test_the_guard_says_why() -> None:
    class Owner:
        def method(self, a):  # noqa: ANN001, ANN201
            return a

        async def coroutine(self, a):  # noqa: ANN001, ANN201
            return a

        not_a_function = 3

    assert patch_guard.mismatch(Target(Owner, "method", ("self", "a"))) is None
    assert patch_guard.mismatch(Target(Owner, "missing", ())) == "Rasa has no Owner.missing"
    assert (
        patch_guard.mismatch(Target(Owner, "not_a_function", ())) == "Owner.not_a_function is not a function"
    )
    assert patch_guard.mismatch(Target(Owner, "method", ("self", "b"))) == (
        "Owner.method takes (self, a), the patch expects (self, b)"
    )
    assert "coroutine" in patch_guard.mismatch(Target(Owner, "method", ("self", "a"), is_async=True))
    assert "coroutine" in patch_guard.mismatch(Target(Owner, "coroutine", ("self", "a")))
    digest = patch_guard.source_digest(Owner.method)
    assert patch_guard.mismatch(Target(Owner, "method", ("self", "a"), source_digest=digest)) is None
    assert "is not Rasa 3.6.21's" in patch_guard.mismatch(
        Target(Owner, "method", ("self", "a"), source_digest="0" * 16)
    )


def test_a_refused_patch_is_refused_with_one_warning_and_rasa_stays(monkeypatch, caplog) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with caplog.at_level(logging.WARNING, logger="components.patch_guard"):
        for patch in PATCHES:
            assert patch.apply() is False
    assert len(warnings_for(caplog, "")) == len(PATCHES)  # one each
    assert not any(is_applied(patch) for patch in PATCHES)
    assert RemoteAction._action_call_format.__module__ == "rasa.core.actions.action"
    assert not policies.rule_policy_decides(in_form(ANSWER))

"""Cheaper calls from Rasa to the action server, with the same results.

Every message makes about three action calls (the safety net's slot-mapping validation, the
form's validation, the form's next question). Rasa 3.6 makes each one expensive in two ways
that grow with use:

- It sends the whole conversation with every call (`EventVerbosity.ALL`): a 50-message
  conversation is several hundred events, serialised by Rasa and parsed by the action server
  three times per message. This assistant's actions read only the current turn (the slots, the
  latest message, the events back to the person's last message: actions/safety.py), so the call
  carries the tracker's state with the events of the last `RECENT_USER_TURNS` turns.
- It opens a new HTTP client session (a new TCP connection) for every request. Here its
  `session()` hands Rasa's own `request` one kept session per event loop, whose keep-alive
  connections close after `IDLE_S`, before the action server (Sanic: 5 s) closes them from its
  side: a request is never sent on a connection the server is closing.

Importing this module (components/__init__.py does) installs both, and closes the kept sessions
when the server stops. What Rasa does with the response is unchanged. Each goes through
components/patch_guard.py: on another Rasa, or when what it replaces has changed, it is not
installed (logged) and Rasa's own code runs.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import aiohttp
import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from components import patch_guard
from components.listeners import listener
from components.patch_guard import Replace, Target

# The actions look back to the latest user message at most; one earlier turn is kept as margin.
RECENT_USER_TURNS = 2
IDLE_S = 3.0  # below the action server's keep-alive (Sanic's default: 5 s)


def recent_events(tracker: DialogueStateTracker, user_turns: int = RECENT_USER_TURNS) -> list[Any]:
    """The events from the `user_turns`-th latest user message on (all of them if fewer)."""
    events = list(tracker.events)
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == user_turns:
                return events[index:]
    return events


def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> dict[str, Any]:
    """Rasa's request body (`RemoteAction._action_call_format`) with only the recent events."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker)]
    result: dict[str, Any] = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    return result


# (endpoint settings) -> (the loop the session belongs to, the session)
_sessions: dict[str, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


def _shared_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """One client session per event loop and endpoint settings (headers, basic auth)."""
    loop = asyncio.get_running_loop()
    key = repr((sorted((endpoint.headers or {}).items()), endpoint.basic_auth))
    owner, session = _sessions.get(key, (None, None))
    if session is None or session.closed or owner is not loop:
        auth = None
        if endpoint.basic_auth:
            auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_S),
        )
        _sessions[key] = (loop, session)
    return session


class _KeptSession:
    """What `EndpointConfig.session()` returns here: Rasa's own `request` enters it with
    `async with` as a new session, and leaving it keeps the session open for the next call."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None


def session(self: EndpointConfig) -> _KeptSession:
    """`EndpointConfig.session` of Rasa 3.6.21 (same headers, auth and timeout), kept per loop."""
    return _KeptSession(_shared_session(self))


async def close_sessions() -> None:
    """Close the running loop's kept sessions (when the server stops: no unclosed-session
    warnings, and the action server sees the connections end rather than time out)."""
    loop = asyncio.get_running_loop()
    for key, (owner, kept) in list(_sessions.items()):
        if owner is loop:
            del _sessions[key]
            await kept.close()


def _closing_sessions_too(close: Any) -> Any:
    """Rasa's `close_resources` (its after-server-stop listener), then the kept sessions."""

    @functools.wraps(close)
    async def close_resources(*args: Any, **kwargs: Any) -> None:
        try:
            await close(*args, **kwargs)
        finally:
            await close_sessions()

    return close_resources


# What the patches replace or rely on, as in Rasa 3.6.21 (components/patch_guard.py).
ACTION_CALL_FORMAT = Target(
    RemoteAction, "_action_call_format", ("self", "tracker", "domain"), source_digest="428795b944f22edb"
)
SESSION = Target(EndpointConfig, "session", ("self",), source_digest="e55aa13d9d4fb4bc")
# Rasa's `request` enters `self.session()` with `async with`, and leaves it after each request
REQUEST = Target(
    EndpointConfig,
    "request",
    ("self", "method", "subpath", "content_type", "compress", "kwargs"),
    is_async=True,
    source_digest="ccdb778aed8208e2",
)
CLOSE_RESOURCES = listener("close_resources", ("app", "_"))


def apply_recent_events() -> bool:
    return patch_guard.apply("action_calls.recent_events", Replace(ACTION_CALL_FORMAT, action_call_format))


def apply_kept_sessions() -> bool:
    """The kept sessions and their closing at server stop: both or neither."""
    return patch_guard.apply(
        "action_calls.kept_sessions",
        Replace(SESSION, session),
        Replace(CLOSE_RESOURCES, _closing_sessions_too, wraps=True),
        checked=(REQUEST,),
    )


def apply() -> bool:
    """Idempotent; True if both patches are installed (each is refused on its own)."""
    recent = apply_recent_events()
    kept = apply_kept_sessions()
    return recent and kept


apply()

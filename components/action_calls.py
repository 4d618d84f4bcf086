"""Cheaper calls from Rasa to the action server, with the same results.

Every message makes about three action calls (the safety net's slot-mapping validation, the
form's validation, the form's next question). Rasa 3.6 makes each one expensive in two ways
that grow with use:

- It sends the whole conversation with every call (`EventVerbosity.ALL`): a 50-message
  conversation is several hundred events, serialised by Rasa and parsed by the action server
  three times per message. This assistant's actions read only the current turn (the slots, the
  latest message, the events back to the person's last message: actions/safety.py), so the call
  carries the tracker's state with the events of the last `RECENT_USER_TURNS` turns.
- It opens a new HTTP client session (a new TCP connection) for every request. Here one session
  per event loop is kept, with keep-alive connections closed after `IDLE_S`, before the action
  server (Sanic: 5 s) closes them from its side: a request is never sent on a connection the
  server is closing.

Importing this module (components/__init__.py does) installs both. What Rasa does with the
response is unchanged.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any

import aiohttp
import rasa
from aiohttp import ContentTypeError
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

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


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """`EndpointConfig.request` of Rasa 3.6.21, on a kept session instead of a new one."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    session = _shared_session(self)
    async with session.request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def install() -> None:
    """Idempotent."""
    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
    EndpointConfig.request = request  # type: ignore[method-assign]


install()

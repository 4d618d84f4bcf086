"""Rasa as an outsider and a neighbour process would probe it, with real HTTP against the running
stack (issue 21, points 3 and 4).

- CORS: only WIDGET_ALLOWED_ORIGINS (the web app's own origin and the clinic's site), never with
  credentials; another site's page gets no CORS headers on the REST webhook, cannot post into a
  conversation even blindly, and cannot open the Socket.IO chat (polling or websocket).
- The API token is on no command line (/proc/<pid>/cmdline, what `ps` shows every local user)
  and in no URL: the API takes it as `Authorization: Bearer <token>` only.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import requests
import websockets
from websockets.exceptions import InvalidStatusCode

from tests.e2e.servers import CLINIC_SITE_ORIGIN, Stack, run_async

EVIL = "https://evil.example"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS = "Access-Control-Allow-Credentials"


def webhook(stack: Stack) -> str:
    return f"{stack.rasa_url}/webhooks/rest/webhook"


def preflight(stack: Stack, origin: str) -> requests.Response:
    return requests.options(
        webhook(stack),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )


def tracker_events(stack: Stack, sender: str) -> list[dict]:
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", headers=stack.auth_headers, timeout=30
    )
    response.raise_for_status()
    return response.json()["events"]


def assert_no_cors(response: requests.Response) -> None:
    assert ALLOW_ORIGIN not in response.headers, response.headers
    assert ALLOW_CREDENTIALS not in response.headers, response.headers


# --- CORS on the REST webhook ----------------------------------------------------------------------


def test_another_sites_preflight_gets_no_cors_headers(stack: Stack) -> None:
    assert_no_cors(preflight(stack, EVIL))


def test_another_sites_post_is_refused_and_never_reaches_the_conversation(stack: Stack) -> None:
    sender = f"e2e-evil-{uuid.uuid4().hex[:10]}"
    response = requests.post(
        webhook(stack),
        json={"sender": sender, "message": "hi"},
        headers={"Origin": EVIL},
        timeout=120,
    )
    assert response.status_code == 403
    assert_no_cors(response)
    # A "simple" request (text/plain, no preflight) is what a page can send blindly.
    response = requests.post(
        webhook(stack),
        data=f'{{"sender": "{sender}", "message": "hi"}}',
        headers={"Origin": EVIL, "Content-Type": "text/plain"},
        timeout=120,
    )
    assert response.status_code == 403
    assert_no_cors(response)
    assert not [e for e in tracker_events(stack, sender) if e.get("event") == "user"]


@pytest.mark.parametrize("which", ["web app", "clinic site"])
def test_the_clinics_origins_get_cors_without_credentials(stack: Stack, which: str) -> None:
    origin = stack.web_url if which == "web app" else CLINIC_SITE_ORIGIN
    answer = preflight(stack, origin)
    assert answer.headers.get(ALLOW_ORIGIN) == origin
    assert ALLOW_CREDENTIALS not in answer.headers
    assert "POST" in answer.headers.get("Access-Control-Allow-Methods", "")
    assert "Origin" in answer.headers.get("Vary", "")

    response = requests.post(
        webhook(stack),
        json={"sender": f"e2e-cors-{uuid.uuid4().hex[:10]}", "message": "hi"},
        headers={"Origin": origin},
        timeout=120,
    )
    assert response.status_code == 200
    assert response.json(), "the allowed origin gets the assistant's replies"
    assert response.headers.get(ALLOW_ORIGIN) == origin
    assert ALLOW_CREDENTIALS not in response.headers


def test_a_request_without_an_origin_gets_no_cors_headers(stack: Stack) -> None:
    """Servers (the web app, Telegram relay, integrations) send no Origin and need no CORS."""
    response = requests.get(f"{stack.rasa_url}/", timeout=30)
    assert response.status_code == 200
    assert_no_cors(response)


# --- Socket.IO ------------------------------------------------------------------------------------


def polling_handshake(stack: Stack, origin: str) -> requests.Response:
    return requests.get(
        f"{stack.rasa_url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": origin},
        timeout=30,
    )


def test_another_sites_socketio_polling_handshake_is_refused(stack: Stack) -> None:
    response = polling_handshake(stack, EVIL)
    assert response.status_code == 400
    assert '"sid"' not in response.text
    assert_no_cors(response)


def test_the_widgets_origin_opens_a_socketio_session_without_credentials(stack: Stack) -> None:
    response = polling_handshake(stack, stack.web_url)
    assert response.status_code == 200
    assert response.text.startswith("0{") and '"sid"' in response.text  # engine.io "open"
    # one Access-Control-Allow-Origin (two would make a browser refuse the answer)
    assert response.raw.headers.getlist(ALLOW_ORIGIN) == [stack.web_url]
    assert ALLOW_CREDENTIALS not in response.headers


async def _websocket_open_packet(stack: Stack, origin: str) -> str:
    url = stack.rasa_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(url, origin=origin, open_timeout=30) as socket:
        return str(await asyncio.wait_for(socket.recv(), timeout=30))


def test_another_sites_websocket_is_refused(stack: Stack) -> None:
    """The widget's transport: browsers apply no CORS to websockets, only the server can refuse."""
    with pytest.raises(InvalidStatusCode) as refused:
        run_async(_websocket_open_packet(stack, EVIL))
    assert refused.value.status_code == 400


@pytest.mark.parametrize("which", ["web app", "clinic site"])
def test_the_clinics_origins_open_the_websocket(stack: Stack, which: str) -> None:
    origin = stack.web_url if which == "web app" else CLINIC_SITE_ORIGIN
    packet = run_async(_websocket_open_packet(stack, origin))
    assert packet.startswith("0{") and '"sid"' in packet


# --- the API token ---------------------------------------------------------------------------------


def _rasa_pid(stack: Stack) -> int:
    for process, handle in stack.processes:
        if Path(handle.name).stem == "rasa" and process.poll() is None:
            return process.pid
    raise AssertionError("the stack's Rasa server is not running")


def test_the_rasa_process_command_line_holds_no_token(stack: Stack) -> None:
    cmdline = Path(f"/proc/{_rasa_pid(stack)}/cmdline").read_bytes().decode(errors="replace")
    arguments = cmdline.split("\0")
    assert "deploy.rasa_server" in arguments  # started through the launcher
    assert stack.token not in cmdline
    assert "--auth-token" not in arguments and "-t" not in arguments
    assert "--cors" not in arguments


def test_no_process_on_this_machine_shows_the_token(stack: Stack) -> None:
    """What `ps -ef` shows every local user: the command lines of all processes."""
    token = stack.token.encode()
    showing = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if token in path.read_bytes():
                showing.append(path.parent.name)
        except OSError:  # a process that just ended, or not ours to read
            continue
    assert not showing, f"processes with the token on their command line: {showing}"


def test_the_api_takes_the_token_in_the_authorization_header(stack: Stack) -> None:
    url = f"{stack.rasa_url}/conversations/e2e-auth-{uuid.uuid4().hex[:10]}/tracker"
    assert requests.get(url, headers=stack.auth_headers, timeout=30).status_code == 200
    lower = {"Authorization": f"bearer {stack.token}"}
    assert requests.get(url, headers=lower, timeout=30).status_code == 200


@pytest.mark.parametrize(
    "how",
    ["nothing", "a wrong token", "another scheme", "the token in the URL", "the token in the URL too"],
)
def test_the_api_refuses_anything_else(stack: Stack, how: str) -> None:
    url = f"{stack.rasa_url}/conversations/e2e-auth-{uuid.uuid4().hex[:10]}/tracker"
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if how == "a wrong token":
        headers = {"Authorization": f"Bearer {uuid.uuid4().hex}"}
    elif how == "another scheme":
        headers = {"Authorization": f"Token {stack.token}"}
    elif how == "the token in the URL":
        params = {"token": stack.token}
    elif how == "the token in the URL too":
        headers, params = stack.auth_headers, {"token": stack.token}
    response = requests.get(url, headers=headers, params=params, timeout=30)
    assert response.status_code == 401
    assert response.json()["reason"] == "NotAuthenticated"


def test_the_rasa_log_never_holds_the_token(stack: Stack) -> None:
    requests.get(f"{stack.rasa_url}/status", params={"token": stack.token}, timeout=30)
    requests.get(f"{stack.rasa_url}/status", headers=stack.auth_headers, timeout=30)
    log = (stack.workdir / "rasa.log").read_text(errors="replace")
    assert "refused an API request with a token in its URL" in log
    assert stack.token not in log

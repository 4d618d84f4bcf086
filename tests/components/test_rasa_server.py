"""deploy/rasa_server.py, the launcher of the Rasa server: its arguments, and Rasa's own app built
with its token check and CORS set-up, over a real server (tests/e2e/test_hardening_rasa.py tries
the same against the whole running assistant)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import aiohttp
import pytest
import rasa
import rasa.server

from bot.settings import get_settings
from deploy import rasa_server

TOKEN = "s3cret-" + uuid.uuid4().hex
ALLOWED = "https://www.clinic.example"
EVIL = "https://evil.example"


@pytest.mark.parametrize(
    "argv",
    [
        ["--auth-token", "abc"],
        ["-t", "abc"],
        ["--auth-t", "abc"],  # argparse takes a prefix of an option
        ["--cors", "*"],
        ["actions"],
    ],
)
def test_a_secret_or_cors_on_the_command_line_is_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        rasa_server.parse_run_arguments(["--enable-api", *argv])
    assert stopped.value.code == 2


def test_the_procfile_options_are_rasa_runs() -> None:
    _, args = rasa_server.parse_run_arguments(
        ["--enable-api", "--port", "5999", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
    )
    assert (args.enable_api, args.port, args.endpoints, args.credentials) == (
        True,
        5999,
        "endpoints.yml",
        "credentials.yml",
    )
    assert args.auth_token is None and args.cors is None


def test_the_token_and_origins_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "rasa_token"
    secret.write_text(TOKEN + "\n")
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("RASA_AUTH_TOKEN_FILE", str(secret))
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f" {ALLOWED}/ , HTTP://LOCALHOST:8000,")
    assert rasa_server.server_settings() == (TOKEN, [ALLOWED, "http://localhost:8000"])


@pytest.mark.parametrize("origins", ["*", "https://*.clinic.example", "https://clinic.example/page"])
def test_a_wildcard_or_a_path_in_the_origins_stops_the_launcher(
    monkeypatch: pytest.MonkeyPatch, origins: str
) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f"{ALLOWED},{origins}")
    get_settings.cache_clear()
    with pytest.raises(rasa_server.LauncherError):
        rasa_server.server_settings()


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher's replacements in rasa.server, put back after the test."""
    monkeypatch.setattr(rasa.server, "requires_auth", rasa.server.requires_auth)
    monkeypatch.setattr(rasa.server, "configure_cors", rasa.server.configure_cors)
    rasa_server.install()


def test_another_rasa_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(rasa_server.LauncherError):
        rasa_server.install()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _with_rasa_app(requests):
    """Rasa's own HTTP API app (rasa.server.create_app, no model loaded) on a real server."""
    from sanic import Sanic

    Sanic.test_mode = True
    app = rasa.server.create_app(cors_origins=[ALLOWED], auth_token=TOKEN)
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()  # sanic-cors adds its middleware here, as under `rasa run`
    try:
        async with aiohttp.ClientSession() as session:
            return await requests(session, f"http://127.0.0.1:{port}")
    finally:
        server.close()
        await server.wait_closed()


def test_the_api_takes_the_token_from_the_header_only(installed: None) -> None:
    async def requests(session: aiohttp.ClientSession, url: str) -> dict[str, int]:
        cases = {
            "header": ({"Authorization": f"Bearer {TOKEN}"}, {}),
            "nothing": ({}, {}),
            "wrong": ({"Authorization": "Bearer nope"}, {}),
            "basic": ({"Authorization": f"Basic {TOKEN}"}, {}),
            "url": ({}, {"token": TOKEN}),
            "url and header": ({"Authorization": f"Bearer {TOKEN}"}, {"token": TOKEN}),
        }
        codes = {}
        for name, (headers, params) in cases.items():
            async with session.get(f"{url}/status", headers=headers, params=params) as response:
                codes[name] = response.status
        return codes

    codes = asyncio.run(_with_rasa_app(requests))
    # 409: past the token check, then "no model loaded" (this test loads none)
    assert codes == {
        "header": 409,
        "nothing": 401,
        "wrong": 401,
        "basic": 401,
        "url": 401,
        "url and header": 401,
    }


def test_cors_answers_the_clinics_origin_only_and_never_with_credentials(installed: None) -> None:
    async def requests(session: aiohttp.ClientSession, url: str) -> dict[str, dict[str, str]]:
        seen = {}
        for origin in (ALLOWED, EVIL):
            async with session.options(
                f"{url}/status",
                headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            ) as response:
                seen[f"preflight {origin}"] = dict(response.headers)
            async with session.get(f"{url}/version", headers={"Origin": origin}) as response:
                seen[f"get {origin}"] = dict(response.headers)
        async with session.get(f"{url}/version") as response:
            seen["no origin"] = dict(response.headers)
        return seen

    seen = asyncio.run(_with_rasa_app(requests))
    for name, headers in seen.items():
        assert "Access-Control-Allow-Credentials" not in headers, name
        expected = ALLOWED if ALLOWED in name else None
        assert headers.get("Access-Control-Allow-Origin") == expected, name

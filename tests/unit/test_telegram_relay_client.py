"""The Telegram bot's client for Rasa: the secret, and the conversation id for the load balancer."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.telegram.rasa_client import CONVERSATION_HEADER, RELAY_PATH, SECRET_HEADER, RasaRelay


def test_each_message_names_its_conversation_for_nginx_and_carries_the_secret() -> None:
    seen: list[tuple[dict, dict]] = []

    async def relay(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.json()))
        return web.json_response([{"recipient_id": "x", "text": "Hi"}])

    async def scenario() -> list[dict]:
        app = web.Application()
        app.router.add_post(RELAY_PATH, relay)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = RasaRelay(f"http://127.0.0.1:{port}", "s3cret", 5)
        try:
            return await client.send(42, "my knee hurts")
        finally:
            await client.close()
            await runner.cleanup()

    assert asyncio.run(scenario()) == [{"recipient_id": "x", "text": "Hi"}]
    headers, body = seen[0]
    assert headers[SECRET_HEADER] == "s3cret"
    assert headers[CONVERSATION_HEADER] == body["sender"] == "telegram-42"

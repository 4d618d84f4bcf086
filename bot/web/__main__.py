"""`python -m bot.web`: the clinic's web app on WEB_HOST:WEB_PORT (default 127.0.0.1:8000)."""

from __future__ import annotations

import logging

import uvicorn

from bot.settings import get_settings
from bot.web.app import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    # access_log off: URLs can carry search terms (names, phone numbers) typed at reception.
    # ws="none": no WebSocket routes here (Socket.IO goes to Rasa), and uvicorn's websockets
    # backend does not import with the websockets 10 that rasa-sdk pins in the same environment.
    # timeout_graceful_shutdown: open reception pages hold an event stream that never ends by
    # itself; without a limit, stopping the server would wait for every browser tab to close.
    # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from any client on
    # 127.0.0.1 as the address; the app decides whom to believe (WEB_TRUSTED_PROXIES, bot/web/client.py).
    uvicorn.run(
        create_app(),
        host=settings.web_host,
        port=settings.web_port,
        access_log=False,
        ws="none",
        timeout_graceful_shutdown=3,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()

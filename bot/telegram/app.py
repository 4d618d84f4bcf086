"""Building and running the Telegram bot: polling by default, a webhook when configured.

Follows python-telegram-bot's own examples: one `Application` from the builder, handlers
registered on it, `run_polling()` or `run_webhook(secret_token=...)`.
"""

from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import urlparse

from telegram.ext import Application, ApplicationBuilder

from bot.settings import Settings
from bot.telegram.frontend import ALLOWED_UPDATES, TelegramFrontEnd
from bot.telegram.rasa_client import RasaRelay

logger = logging.getLogger(__name__)

WEBHOOK_LISTEN = "127.0.0.1"  # TLS is terminated by the reverse proxy in front (README)
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts


class ConfigurationError(Exception):
    """A setting the bot cannot start with; the message says which and why."""


def build_application(settings: Settings) -> Application:
    relay = RasaRelay(settings.rasa_url, settings.telegram_relay_secret, settings.telegram_rasa_timeout_s)
    frontend = TelegramFrontEnd(settings, relay)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        # Different chats are answered concurrently; each chat's own messages stay in order
        # (TelegramFrontEnd keeps a lock per chat).
        .concurrent_updates(64)
        .post_init(frontend.post_init)
        .post_shutdown(frontend.post_shutdown)
        .build()
    )
    frontend.register(application)
    return application


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or a fresh random one: the bot registers it itself with
    setWebhook at every start, so nobody needs to know it."""
    secret = settings.telegram_webhook_secret
    if not secret:
        return secrets.token_urlsafe(32)
    if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
        raise ConfigurationError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram refuses anything else)."
        )
    return secret


def check_webhook_url(settings: Settings) -> None:
    # Telegram itself posts only to https; a local Bot API server may post to plain http.
    telegram_itself = urlparse(settings.telegram_api_base_url).hostname == "api.telegram.org"
    if telegram_itself and not settings.telegram_webhook_url.startswith("https://"):
        raise ConfigurationError(
            "TELEGRAM_WEBHOOK_URL must be an https:// address (Telegram posts only to https)."
        )


def run(settings: Settings) -> None:
    if settings.telegram_webhook_url:
        check_webhook_url(settings)
        secret = webhook_secret(settings)
    application = build_application(settings)
    if not settings.telegram_webhook_url:
        logger.info("Telegram bot: polling for updates")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        return
    path = urlparse(settings.telegram_webhook_url).path.lstrip("/")
    logger.info(
        "Telegram bot: webhook at %s, listening on %s:%d/%s",
        settings.telegram_webhook_url,
        WEBHOOK_LISTEN,
        settings.telegram_webhook_port,
        path,
    )
    application.run_webhook(
        listen=WEBHOOK_LISTEN,
        port=settings.telegram_webhook_port,
        url_path=path,
        webhook_url=settings.telegram_webhook_url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
    )

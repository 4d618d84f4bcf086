"""What the Telegram bot refuses to start with, and what it says by itself (bot/telegram)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from bot.settings import get_settings
from bot.telegram import texts
from bot.telegram.app import ConfigurationError, check_webhook_url, webhook_secret
from tests.e2e.servers import ROOT


def test_a_webhook_secret_telegram_would_refuse_stops_the_start() -> None:
    settings = replace(get_settings(), telegram_webhook_secret="has spaces and é")
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        webhook_secret(settings)


def test_without_a_secret_each_start_gets_a_fresh_random_one() -> None:
    settings = replace(get_settings(), telegram_webhook_secret="")
    first, second = webhook_secret(settings), webhook_secret(settings)
    assert first != second and len(first) >= 32


def test_telegram_needs_an_https_webhook_but_a_local_api_server_does_not() -> None:
    settings = replace(
        get_settings(),
        telegram_api_base_url="https://api.telegram.org/bot",
        telegram_webhook_url="http://clinic.example/telegram",
    )
    with pytest.raises(ConfigurationError, match="https"):
        check_webhook_url(settings)
    check_webhook_url(replace(settings, telegram_api_base_url="http://127.0.0.1:8081/bot"))


def test_without_a_token_the_bot_says_so_plainly() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr and "BotFather" in done.stderr


def test_help_lists_every_command_and_privacy_says_how_long_and_how_to_delete() -> None:
    settings = get_settings()
    assert all(f"/{command}" in texts.help_text() for command, _ in texts.COMMANDS)
    privacy = texts.privacy_text(settings)
    assert f"{settings.retention_days} days" in privacy and "/delete" in privacy

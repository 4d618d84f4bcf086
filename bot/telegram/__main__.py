"""python -m bot.telegram: the clinic's Telegram bot (README: "Switching on Telegram")."""

from __future__ import annotations

import logging
import sys

from bot.settings import get_settings
from bot.telegram.app import ConfigurationError, run


def configure_logging() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main() -> int:
    settings = get_settings()
    if not settings.telegram_enabled:
        print(
            "The Telegram bot is off: TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather "
            'and set the token (README: "Switching on Telegram").',
            file=sys.stderr,
        )
        return 2
    configure_logging()
    try:
        run(settings)
    except ConfigurationError as exc:
        print(f"The Telegram bot can't start: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Optional Telegram message to staff for every new handoff: the reference code, the site, the
triage outcome and a link to the handoff page. Nothing else: no name, contact or health detail
leaves the clinic this way (the link needs a staff login).

Sent with the Bot API's `sendMessage` at `TELEGRAM_API_BASE_URL` + `TELEGRAM_BOT_TOKEN` to each
of `TELEGRAM_STAFF_CHAT_IDS`, when both are set.
"""

from __future__ import annotations

import logging

import httpx

from bot.db.models import Handoff
from bot.db.repository import upgraded_by_assistant
from bot.settings import Settings
from bot.web.reception.labels import SITE_LABELS, outcome_label

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the bot token

TIMEOUT_S = 10.0


def staff_chat_ids(settings: Settings) -> list[str]:
    return [chat.strip() for chat in settings.telegram_staff_chat_ids.split(",") if chat.strip()]


def notifications_enabled(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token and staff_chat_ids(settings))


def message_text(handoff: Handoff, settings: Settings) -> str:
    outcome = handoff.triage.outcome if handoff.triage is not None else None
    site = SITE_LABELS.get(handoff.site or "", "no preference")
    link = f"{settings.web_public_url.rstrip('/')}/reception/handoffs/{handoff.reference_code}"
    # Sent again when a later red flag raised the route (repository.upgrade_triage releases it).
    heading = "More urgent now:" if upgraded_by_assistant(handoff) else "New handoff"
    return f"{heading} {handoff.reference_code}\nSite: {site}\nOutcome: {outcome_label(outcome)}\n{link}"


async def send_to_staff(client: httpx.AsyncClient, text: str, settings: Settings) -> int:
    """Send `text` to every staff chat; returns how many accepted it."""
    url = f"{settings.telegram_api_base_url}{settings.telegram_bot_token}/sendMessage"
    sent = 0
    for chat_id in staff_chat_ids(settings):
        try:
            response = await client.post(
                url,
                json={"chat_id": chat_id, "text": text, "disable_web_page_preview": True},
                timeout=TIMEOUT_S,
            )
            if response.status_code == 200 and response.json().get("ok"):
                sent += 1
            else:
                logger.warning("staff notification refused by Telegram (HTTP %s)", response.status_code)
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("staff notification failed: %s", type(exc).__name__)
    return sent

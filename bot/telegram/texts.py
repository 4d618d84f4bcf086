"""What the Telegram bot says by itself (everything else comes from the assistant in Rasa)."""

from __future__ import annotations

from bot.settings import Settings

# Telegram commands: (command, description in the menu). Registered with setMyCommands.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Start the knee questions"),
    ("restart", "Start the questions again"),
    ("human", "Ask the clinic's reception to contact you"),
    ("privacy", "What is stored and how to delete it"),
    ("delete", "Delete this conversation and your records"),
    ("help", "What I can do"),
)

# What each command sends to the assistant: Rasa reads "/intent" as that intent directly.
COMMAND_INTENTS: dict[str, str] = {
    "start": "/start_triage",
    "restart": "/start_over",  # keeps a red flag already reported (README: clinical decisions)
    "human": "/request_human",
    "delete": "/delete_my_data",  # the assistant asks for confirmation first
}


def help_text() -> str:
    lines = "\n".join(f"/{command} — {description}" for command, description in COMMANDS)
    return (
        "I'm the clinic's knee-pain assistant for runners. Type in your own words or tap a button; "
        "I read text only.\n\n"
        f"{lines}\n\n"
        "I'm not a clinician and can't diagnose. In an emergency call 000."
    )


def privacy_text(settings: Settings) -> str:
    return (
        "What is stored: this conversation (your messages and my answers), the result of the knee "
        "questions, and, only if you agree, the name, phone or email, site and times you give for "
        "a booking. The clinic's team uses them to follow up with you; they are never shared for "
        "marketing.\n\n"
        f"How long: at most {settings.retention_days} days, under the clinic's retention policy.\n\n"
        'How to delete it: send /delete (or type "delete my data"). After you confirm, this '
        "conversation and your records are removed from the clinic's systems. Telegram keeps its "
        "own copy of the chat on your devices until you delete the chat in the Telegram app.\n\n"
        f"Questions: call the clinic on {settings.clinic_phone}."
    )


NOT_TEXT = (
    "Sorry, I can only read typed text, so I can't open voice notes, photos, stickers, files or "
    "locations. Please type your answer, or tap one of the buttons."
)

EDITED = "I only read new messages, not edits. Please send your corrected answer as a new message."

UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."

SLOW_DOWN = (
    "You're sending messages faster than I can read them, so I skipped some. Please wait a few "
    "seconds, then send your answer again."
)

STALE_BUTTON = "That question has moved on. Please use the latest buttons, or type your answer."

EXPIRED_BUTTON = "That button has expired. Please type your answer."


def unavailable_text(settings: Settings) -> str:
    return (
        "Sorry, I can't answer right now because of a technical problem on our side. Please try "
        f"again in a minute or two. You can also call the clinic on {settings.clinic_phone}. "
        "If this is an emergency, call 000."
    )

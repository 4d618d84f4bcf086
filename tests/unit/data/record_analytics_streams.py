"""Records tests/unit/data/analytics_streams.json: scripted conversations held with the real
assistant (trained model, Rasa server, action server) over REST and the Telegram relay channel,
and the reduced events the real event broker (components/event_broker.py) wrote for them, with
the hash key "test-key".

    .venv-app/bin/python tests/unit/data/record_analytics_streams.py

The expected counts in tests/unit/test_analytics.py are read off these conversations; record
again only when the assistant's flow changes what they should be.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bot.analytics.events import sender_key  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from tests.e2e.servers import Chat, make_stack  # noqa: E402

KEY = "test-key"
OUT = Path(__file__).resolve().parent / "analytics_streams.json"
ITBS = [
    "hi",
    "my knee hurts when I run",
    "the outside of my right knee",
    "it crept up over a few weeks of running",
    "none of these",
    "yes, always at about 5 km and it settles when I stop",
    "yep, downhills are the worst",
    "only when I go down the stairs",
    "went from 30 to 45 km a week",
    "none of these",
    "no",
    "I'm 34",
]
BOOK = [
    "Book an assessment",
    "Sam Taylor",
    "0412 345 678",
    "Jindalee",
    "weekday mornings before 9",
    "Yes, I agree",
]
CONVERSATIONS = {
    "itbs_booked": ITBS + BOOK,
    "itbs_declined": [*ITBS, "No thanks"],
    "red_flag": [
        "hi",
        "my knee hurts when I run",
        "Outside of the knee",
        "Gradually, with running",
        "my calf is swollen and I'm short of breath",
        "what exercises should I do?",
    ],
    "quit_at_onset": [
        "hi",
        "my knee hurts when I run",
        "Outside of the knee",
        "how long will it take to recover?",
    ],
    "notice_only": ["hi"],
    "faq_only": ["hi", "does foam rolling help?", "where are your clinics?"],
    "human_then_delete": [
        "hi",
        "talk to a person",
        "Alex Smith",
        "alex@example.com",
        "Kenmore",
        "Any time",
        "Yes, I agree",
        "delete my data",
        "Yes",
    ],
    "delete_cancelled": ["hi", "my knee hurts when I run", "delete my data", "No"],
    "booking_abandoned": ["hi", "I'd like to book an appointment", "Jo Citizen"],
    "front_of_knee": [
        "hi",
        "my knee hurts when I run",
        "Front / around the kneecap",
        "Gradually, with running",
        "None of these",
        "No",
        "No",
        "No",
        "About the same",
        "None of these",
        "None of these",
        "Skip",
    ],
    "start_over": [
        "hi",
        "my knee hurts when I run",
        "Outside of the knee",
        "start over",
        "Outside of the knee",
    ],
}
TELEGRAM = ("telegram-424242", ["/start", "Outside of the knee"])


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="record-analytics-"))
    stack = make_stack(workdir, ANALYTICS_HASH_KEY=KEY)
    upgrade(stack.database_url)
    stack.start_actions()
    stack.start_rasa()
    senders: dict[str, tuple[str, list[str]]] = {}
    try:
        for name, messages in CONVERSATIONS.items():
            chat = Chat(stack, sender=f"rec-{name}")
            chat.answer_all(*messages)
            senders[name] = (chat.sender, messages)
        sender, messages = TELEGRAM
        for text in messages:
            requests.post(
                f"{stack.rasa_url}/webhooks/telegram_relay/webhook",
                json={"sender": sender, "message": text},
                headers={"X-Relay-Secret": stack.env["TELEGRAM_RELAY_SECRET"]},
                timeout=60,
            ).raise_for_status()
        senders["telegram_start"] = TELEGRAM
        time.sleep(1.5)  # the broker writes a moment after each message
    finally:
        stack.stop()
    with sqlite3.connect(workdir / "events.db") as db:
        events = [json.loads(data) for (data,) in db.execute("SELECT data FROM events ORDER BY id")]
    lines = ["{"]
    for i, (name, (sender, messages)) in enumerate(senders.items()):
        key = sender_key(sender, KEY)
        mine = [json.dumps(e, sort_keys=True) for e in events if e["sender_key"] == key]
        lines.append(f" {json.dumps(name)}: {{")
        lines.append(f'  "sender": {json.dumps(sender)},')
        lines.append(f'  "messages": {json.dumps(messages, ensure_ascii=False)},')
        lines.append('  "events": [\n' + ",\n".join("   " + e for e in mine) + "\n  ]")
        lines.append(" }" + ("," if i < len(senders) - 1 else ""))
        print(f"{name}: {len(mine)} events")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

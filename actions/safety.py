"""The red-flag safety net.

It is Rasa's global slot-validation action (`action_validate_slot_mappings`), which Rasa runs
after every user message, before deciding what to do — inside a form, outside it, whatever the
intent — and whose messages it sends straight away. A newly mentioned red flag is answered at once with its route (000, emergency department
or GP) so it is never talked over; the triage form then ends and the result records it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.failures import reports_failures
from bot.triage.content import red_flag_alert
from bot.triage.parsing import find_red_flags

logger = logging.getLogger(__name__)


@reports_failures
class ActionScreenRedFlags(Action):
    def name(self) -> str:
        # The name Rasa looks for; see the module docstring.
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        found = find_red_flags(text)
        reported = set(tracker.get_slot("red_flags_reported") or [])
        new = set(found) - reported
        if not new:
            # Rasa runs slot extraction again when a form starts: saying nothing new keeps this
            # idempotent.
            return []
        logger.warning("red flag reported in conversation %s: %s", tracker.sender_id, ", ".join(sorted(new)))
        announced = set(tracker.get_slot("red_flags_announced") or [])
        to_announce = new - announced
        if to_announce:
            dispatcher.utter_message(text=red_flag_alert(sorted(to_announce)))
        return [
            SlotSet("red_flags_reported", sorted(reported | new)),
            SlotSet("red_flags_announced", sorted(announced | new)),
        ]


def red_flags_present(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("red_flags_reported")) or bool(tracker.get_slot("red_flags"))

"""A crashed action is told to the person in plain words and logged, never swallowed silently.

Rasa only logs a failed custom action and carries on, so the person would see nothing (or half
an answer). Every action class here is wrapped with `reports_failures`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, TypeVar

from rasa_sdk import Action

from actions import wording

logger = logging.getLogger(__name__)

A = TypeVar("A", bound=type[Action])


def reports_failures(cls: A) -> A:
    original = cls.run

    @functools.wraps(original)
    async def run(self: Action, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        try:
            return await original(self, dispatcher, tracker, domain)
        except Exception:
            logger.exception("action %s failed in conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=wording.SORRY)
            return []

    cls.run = run  # type: ignore[method-assign]
    return cls

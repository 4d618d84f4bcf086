"""`validate_triage_form`: which questions this person needs, and what their answers mean.

Answers arrive as free text (buttons send text too). Each validator normalises its answer with
`bot.triage.parsing`; an answer that can't be understood is cleared so the form asks again, and
`reask_count` tells the ask action to add an example, then to lean on the buttons.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import wording
from actions.ask import EXACT_AGE, MOVED_ON
from actions.failures import reports_failures
from actions.questions import OTTAWA_QUESTIONS, TRIAGE_QUESTIONS, noted_text
from actions.safety import CONFIRM_SLOT, alerted_this_turn, confirm_pending, continuing_flags
from actions.slots import DECREASED, NONE_OF_THESE, SKIPPED, UNSURE, answers_from_slots, ignores_cleared_slots
from bot.triage import parsing
from bot.triage.engine import LOCATIONS, ONSETS, ottawa_positive
from bot.triage.parsing.age import injury_time_stated
from bot.triage.volunteered import VOLUNTEERABLE, volunteered_answers

logger = logging.getLogger(__name__)

# Details of an injury that the onset answer may already contain ("twisted it landing").
ONSET_DETAIL_SYMPTOMS = frozenset({"twist_or_landing_injury", "blow_to_inside_of_knee"})

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(km|k|kms|kilomet\w*|mi|miles?)?\b", re.IGNORECASE)
MILES_TO_KM = 1.609

# Asked only after a recent (or not-sure-when) injury: the Ottawa knee rules' chat items.


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def _names_or_none(names: frozenset[str] | None) -> list[str] | None:
    if names is None:
        return None
    return sorted(names) if names else [NONE_OF_THESE]


def _yes_no_unsure(parse: Callable[[str], bool | None]) -> Callable[[str], Any]:
    def parse_answer(text: str) -> Any:
        value = parse(text)
        if value is None and parsing.is_unsure(text):
            return UNSURE
        return value

    return parse_answer


@reports_failures
@ignores_cleared_slots
class ValidateTriageForm(FormValidationAction):
    def name(self) -> str:
        return "validate_triage_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        answers = answers_from_slots(tracker.slots)
        if confirm_pending(tracker):
            # a yes/no safety check is open: asked first; the rest stay required so that the
            # answer in this same message is still validated
            rest = await self.required_slots(
                [s for s in domain_slots if s != CONFIRM_SLOT], dispatcher, _without_query(tracker), domain
            )
            return [CONFIRM_SLOT, *rest]
        if (answers.red_flags - continuing_flags(tracker)) or ottawa_positive(answers):
            # A red flag overrides everything: no more questions, straight to the result. The
            # answers already given stay required, so the one just typed is still validated.
            return [slot for slot in domain_slots if tracker.slots.get(slot) is not None]
        # The questions' own table gives the order; who is asked what is decided here.
        skipped: set[str] = set()
        if tracker.get_slot("onset") != "sudden_injury":
            skipped |= {"injury_recent", *OTTAWA_QUESTIONS}
        elif tracker.get_slot("injury_recent") not in (True, UNSURE):
            # "not sure when" still asks the walking / bending items (issue 7)
            skipped |= set(OTTAWA_QUESTIONS)
        required = [slot for slot in TRIAGE_QUESTIONS if slot not in skipped]
        if "can_bend_90" in required:
            # Ottawa knee rules: the chat-answerable items, age included, so age is asked with them.
            required.remove("age")
            required.insert(required.index("can_bend_90") + 1, "age")
        return required

    # --- answers given before their question ------------------------------------------------

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The `extract_*` methods below, plus answers to later questions stated outright
        ("it only hurts going down stairs" at the safety check): kept, thanked for, not asked again."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        noted = await self._volunteered(dispatcher, tracker, domain)
        if noted:
            logger.info("answers given early in %s: %s", tracker.sender_id, sorted(noted))
            dispatcher.utter_message(text=noted_text(noted))
            events += [SlotSet(slot, value) for slot, value in noted.items()]
        return events

    async def _volunteered(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        return {
            slot: value
            for slot, value in volunteered_answers(_text(tracker)).items()
            if slot in required and slot != requested and tracker.get_slot(slot) is None
        }

    async def extract_pain_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._prefill(tracker, "pain_location", parsing.parse_location)

    async def extract_onset(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        found = self._prefill(tracker, "onset", parsing.parse_onset)
        if found.get("onset") == "sudden_injury":
            # "…landing awkwardly last month": when it happened is kept as well
            recent = injury_time_stated(_text(tracker))
            if recent is not None:
                found["injury_recent"] = recent
        return found

    @staticmethod
    def _prefill(tracker: Tracker, slot: str, parse: Callable[[str], Any]) -> dict[str, Any]:
        # Only when the form is starting: later, each answer belongs to the question asked.
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot(slot) is not None:
            return {}
        value = parse(_text(tracker))
        return {slot: value} if value is not None else {}

    # --- one validator per question ------------------------------------------------------------

    def _validated(self, tracker: Tracker, slot: str, value: Any) -> dict[str, Any]:
        if value is None:
            attempts = max(0, int(tracker.get_slot("reask_count") or 0))
            if confirm_pending(tracker):
                # the message named a possible warning sign and the safety net asked about it:
                # not an unclear answer
                return {slot: None}
            if alerted_this_turn(tracker):
                # the message was a warning sign the safety net has just answered (family violence
                # lets the questions go on): the question comes again as it was
                return {slot: None, "reask_count": 0}
            just_set = tracker.slots_to_validate()
            if any(other != slot and just_set.get(other) is not None for other in VOLUNTEERABLE):
                # the message answered a later question instead: it was thanked for, so the
                # question comes again as it was, not as "sorry, I didn't catch that"
                return {slot: None, "reask_count": 0}
            logger.info("unclear answer for %s in %s", slot, tracker.sender_id)
            if attempts >= 2:
                # asked three times: no question loops forever; noted as "not sure", moving on
                return {slot: give_up_value(slot), "reask_count": MOVED_ON}
            return {slot: None, "reask_count": attempts + 1}
        return {slot: value, "reask_count": 0}

    def _parse_slot(
        self, tracker: Tracker, slot: str, value: Any, parse: Callable[[str], Any]
    ) -> dict[str, Any]:
        if _is_volunteered(value) or value in NORMALISED.get(slot, ()):
            # parsed already (from the opening message, or an answer taken in context)
            return {slot: value}
        # Values that are already normalised (pre-filled) pass through the same parser.
        return self._validated(tracker, slot, parse(str(value)))

    async def validate_red_flag_confirm(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        # The safety net (actions/safety.py) reads this answer; the form only keeps it.
        return {CONFIRM_SLOT: str(value)[:200]}

    async def validate_pain_location(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._parse_slot(tracker, "pain_location", value, parsing.parse_location)

    async def validate_onset(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        result = self._parse_slot(tracker, "onset", value, parsing.parse_onset)
        details = parsing.parse_symptoms(_text(tracker)) or frozenset()
        details = details & ONSET_DETAIL_SYMPTOMS
        if result["onset"] is not None and details:
            result["onset_details"] = sorted(details)
        return result

    async def validate_injury_recent(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._premise_or(
            dispatcher,
            value,
            lambda: self._parse_slot(
                tracker, "injury_recent", value, _yes_no_unsure(parsing.parse_injury_recent)
            ),
        )

    async def validate_can_walk_four_steps(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._premise_or(
            dispatcher,
            value,
            lambda: self._parse_slot(tracker, "can_walk_four_steps", value, _yes_no_unsure(strict_yes_no)),
        )

    async def validate_can_bend_90(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._premise_or(
            dispatcher,
            value,
            lambda: self._parse_slot(tracker, "can_bend_90", value, _yes_no_unsure(strict_yes_no)),
        )

    @staticmethod
    def _premise_or(
        dispatcher: CollectingDispatcher, value: Any, validate: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The injury questions assume an injury. "No, I haven't injured it" denies that premise:
        it corrects the onset (gradual) instead of answering "can you walk?" with a no."""
        if isinstance(value, str) and parsing.denies_injury(value):
            dispatcher.utter_message(text=wording.NO_INJURY_AFTER_ALL)
            return {
                "onset": "gradual",
                "onset_details": None,
                "injury_recent": None,
                "can_walk_four_steps": None,
                "can_bend_90": None,
                "reask_count": 0,
            }
        return validate()

    async def validate_red_flag_screen(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._validated(
            tracker, "red_flag_screen", _names_or_none(parsing.parse_red_flags(str(value)))
        )

    async def validate_predictable_onset(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._parse_slot(
            tracker, "predictable_onset", value, _yes_no_unsure(parsing.parse_predictable_onset)
        )

    async def validate_downhill_worse(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._parse_slot(tracker, "downhill_worse", value, _yes_no_unsure(parsing.parse_downhill))

    async def validate_stairs_descent_pain(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._parse_slot(tracker, "stairs_descent_pain", value, _yes_no_unsure(parsing.parse_stairs))

    async def validate_weekly_change_pct(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if _is_volunteered(value):
            return {"weekly_change_pct": value, "mileage_delta_km": None}
        text = str(value)
        delta = tracker.get_slot("mileage_delta_km")
        if delta is not None:
            # Second turn: the person told us the increase, now the usual weekly distance.
            before = _single_distance_km(text)
            if before:
                pct = round(100.0 * float(delta) / before, 1)
                return {"weekly_change_pct": pct, "mileage_delta_km": None, "reask_count": 0}
        change = parsing.parse_weekly_change(text)
        if change is not None and change.pct is not None:
            return {"weekly_change_pct": round(change.pct, 1), "mileage_delta_km": None, "reask_count": 0}
        if change is not None and change.direction == "down":
            # Running less than before: no load increase to score, no number needed.
            return {"weekly_change_pct": DECREASED, "mileage_delta_km": None, "reask_count": 0}
        if change is not None and change.delta_km is not None:
            # "About 20 miles more than usual": a percentage needs the usual distance.
            return {
                "weekly_change_pct": None,
                "mileage_delta_km": round(change.delta_km, 1),
                "reask_count": 0,
            }
        if parsing.is_unsure(text):
            return {"weekly_change_pct": UNSURE, "reask_count": 0}
        if parsing.parse_yes_no(text) is False or parsing.parse_training_changes(text) == frozenset():
            # "no", "none of those, no": the running hasn't changed
            return {"weekly_change_pct": 0.0, "mileage_delta_km": None, "reask_count": 0}
        return self._validated(tracker, "weekly_change_pct", None)

    async def validate_training_changes(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if isinstance(value, list):  # said outright earlier ("my first half marathon")
            return {"training_changes": value}
        return self._validated(
            tracker, "training_changes", _names_or_none(parsing.parse_training_changes(str(value)))
        )

    async def validate_other_symptoms(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return self._validated(tracker, "other_symptoms", _names_or_none(parsing.parse_symptoms(str(value))))

    async def validate_age(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        if _is_volunteered(value):
            return {"age": value}
        text = str(value)
        if parsing.is_skip(text) or parsing.is_unsure(text):
            return {"age": SKIPPED, "reask_count": 0}
        injury = tracker.get_slot("injury_recent") in (True, UNSURE)
        if injury and _BAND_SPANNING_55.search(text) and tracker.get_slot("reask_count") != EXACT_AGE:
            # "in my fifties" after an injury: the Ottawa rule needs to know 55 or over
            return {"age": None, "reask_count": EXACT_AGE}
        return self._validated(tracker, "age", parsing.parse_age(text))


# Values the validators store, by slot: a value already in this form is kept as it is.
NORMALISED: dict[str, tuple[str, ...]] = {"pain_location": LOCATIONS, "onset": ONSETS}

_HEDGE_RE = re.compile(
    r"\b(?:sort of|kind of|kinda|sorta|a bit|a little|just about|barely|only just|with (?:difficulty"
    r"|help|a struggle)|not really|hardly|partly|halfway|half way|some of the way)\b",
    re.IGNORECASE,
)
_BAND_SPANNING_55 = re.compile(
    r"\b(?:(?:in my |mid[- ]?)?(?:fifties|50'?s)|50 ?\+|over 50|older than 50|50 ?(?:-|to) ?(?:59|60)"
    r"|5[0-4] ?(?:-|to) ?(?:5[5-9]|6\d))",
    re.IGNORECASE,
)


def _without_query(tracker: Tracker) -> Tracker:
    copy = tracker.copy()
    copy.slots = {**tracker.slots, "red_flag_query": None}
    return copy


def strict_yes_no(text: str) -> bool | None:
    """Yes/no for the Ottawa items: "sort of" or "barely" is not a yes (asked again)."""
    answer = parsing.parse_yes_no(text)
    if answer is True and _HEDGE_RE.search(text[:200]):
        return None
    return answer


def give_up_value(slot: str) -> Any:
    if slot == "age":
        return SKIPPED
    if slot in ("red_flag_screen", "training_changes", "other_symptoms"):
        return [UNSURE]
    return UNSURE


def context_answer(slot: str | None, text: str) -> Any:
    """The pending question's answer in `text`, parsed as its validator would, or None.
    Used before any FAQ reading: "ITB" typed at the location question is "lateral"."""
    parse = _CONTEXT_PARSERS.get(slot or "")
    if parse is None or _QUESTION_RE.search(text[:200]):
        return None
    return parse(text)


_QUESTION_RE = re.compile(
    r"\?|^\s*(?:what|why|how|is|isn't|does|do|should|can|could|will|would|where|when|which|who|are"
    r"|tell me|explain)\b",
    re.IGNORECASE,
)


def _names_answer(parse: Callable[[str], frozenset[str] | None]) -> Callable[[str], Any]:
    def answer(text: str) -> Any:
        names = parse(text)
        return sorted(names) if names else None

    return answer


_CONTEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "pain_location": parsing.parse_location,
    "onset": parsing.parse_onset,
    "predictable_onset": parsing.parse_predictable_onset,
    "downhill_worse": parsing.parse_downhill,
    "stairs_descent_pain": parsing.parse_stairs,
    "training_changes": _names_answer(parsing.parse_training_changes),
    "other_symptoms": _names_answer(parsing.parse_symptoms),
}


def _is_volunteered(value: Any) -> bool:
    # typed answers arrive as text; an answer given early was parsed already (bool/number)
    return isinstance(value, (bool, int, float))


def _single_distance_km(text: str) -> float | None:
    """The usual weekly distance given on its own ("about 40", "25 miles")."""
    numbers = _NUMBER.findall(text[:200])
    if len(numbers) != 1:
        return None
    amount, unit = float(numbers[0][0]), numbers[0][1].lower()
    km = amount * MILES_TO_KM if unit.startswith("mi") else amount
    return km if km > 0 else None

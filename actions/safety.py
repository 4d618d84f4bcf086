"""The red-flag safety net.

It is Rasa's global slot-validation action (`action_validate_slot_mappings`), which Rasa runs
after every user message, before deciding what to do — inside a form, outside it, whatever the
intent — and whose messages it sends straight away. One action per message, so the net adds
no round-trip:

- a red flag named in the message, or one that the signs of the whole conversation add up to
  (calf swelling now, breathlessness three messages later), is answered at once with its route
  (000, emergency department or GP); the triage form then ends and the result records it;
- a sign named but not certain (a weak word, a reading of the trained net) gets ONE short
  yes/no question with Yes/No buttons (`red_flag_query`); the next message is its answer: yes,
  or "not sure", routes; no moves on; anything else is asked once more, then counted as yes.
  While the question is open the forms ask nothing else (`red_flag_confirm` comes first).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import wording
from actions.ask import buttons
from actions.failures import reports_failures
from actions.questions import ALL_QUESTIONS, OTTAWA_QUESTIONS
from actions.slots import answers_from_slots
from bot.db.repository import upgrade_triage
from bot.db.session import run_in_session
from bot.settings import get_settings
from bot.triage.content import red_flag_alert
from bot.triage.engine import OUTSIDE_KNEE_FLAGS, RED_FLAG_ROUTES, assess, sort_red_flags
from bot.triage.parsing import embeddings, is_unsure, parse_yes_no
from bot.triage.parsing.red_flag_model import NetUnavailable, model
from bot.triage.parsing.red_flags import CONFIRM_QUESTIONS, acute_flags, read_red_flags
from bot.triage.parsing.text import prep, rx

logger = logging.getLogger(__name__)

CONFIRM_SLOT = "red_flag_confirm"
YES_NO_BUTTONS = ("Yes", "No")
# Form questions that are themselves the check for a flag (spec §3, Ottawa knee rules).
FORM_QUESTION_FLAGS: dict[str | None, frozenset[str]] = dict.fromkeys(
    ("injury_recent", *OTTAWA_QUESTIONS), frozenset({"ottawa_xray_criteria"})
)
MAX_UNCLEAR_REPLIES = 1  # then the sign counts as present: safety first

_settings = get_settings()
embeddings.configure(_settings.safety_embeddings, _settings.safety_embedding_threads)
# Loaded (or fitted once and cached) when the action server starts, not on a first message; if it
# cannot be, the rules run alone and /health/safety-net (actions/server.py) says so.
with contextlib.suppress(NetUnavailable):
    model()


def confirm_question(flag: str) -> str:
    return CONFIRM_QUESTIONS[flag]


def _answer_to_query(
    text: str, query: dict[str, Any], message_id: str = ""
) -> tuple[bool | None, dict[str, Any] | None]:
    """(confirmed?, query still open). Unclear replies re-ask once, then count as yes."""
    answer = parse_yes_no(text)
    if answer is None and is_unsure(text):
        return True, None  # "not sure" about a warning sign: treat it as present
    if answer is not None:
        return answer, None
    tries = int(query.get("tries", 0)) + 1
    if tries > MAX_UNCLEAR_REPLIES:
        return True, None
    return None, {**query, "tries": tries, "asked_at": message_id}


@reports_failures
class ActionScreenRedFlags(Action):
    def name(self) -> str:
        # The name Rasa looks for; see the module docstring.
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        reported = set(tracker.get_slot("red_flags_reported") or [])
        announced = set(tracker.get_slot("red_flags_announced") or [])
        earlier_signs = frozenset(tracker.get_slot("red_flag_signs") or [])
        query = tracker.get_slot("red_flag_query")
        events: list[dict[str, Any]] = []

        confirmed: set[str] = set()
        still_open: dict[str, Any] | None = None
        message_id = _message_id(tracker)
        if isinstance(query, dict) and query.get("asked_at") == message_id:
            # Rasa runs this action again on the same message when a form starts: the question
            # was asked about this very message, so the message is not its answer
            return []
        if isinstance(query, dict) and query.get("flag") in RED_FLAG_ROUTES:
            answer, still_open = _answer_to_query(text, query, message_id)
            if answer is True:
                confirmed.add(query["flag"])
            elif answer is False:
                dispatcher.utter_message(text=wording.REASSURED)
                if query.get("screen") and tracker.get_slot("red_flag_screen") is None:
                    # the sign named at the safety check was the only one, and it's a no
                    events.append(SlotSet("red_flag_screen", ["none"]))
            else:
                dispatcher.utter_message(
                    text=wording.NEED_YES_OR_NO + confirm_question(query["flag"]),
                    buttons=buttons(YES_NO_BUTTONS),
                )
            events.append(SlotSet("red_flag_query", still_open))

        not_now = _not_happening_now(tracker, text)
        if not_now:
            logger.info("a spec §3a sign is not happening now in %s", tracker.sender_id)
            dispatcher.utter_message(
                text=wording.NOT_HAPPENING_NOW, buttons=buttons([wording.CARRY_ON, wording.TALK_TO_A_PERSON])
            )
            events += not_now
        own_button = _own_button_title(tracker, text)
        if own_button:
            # A tap (or its title typed) means what the button says: "Catching, locking or giving
            # way" is the §4 pointer it names, not a possible locked knee to ask about.
            findings = read_red_flags(None)
        else:
            findings = read_red_flags(text, earlier_signs)
        signs = earlier_signs | findings.signs
        if signs != earlier_signs:
            events.append(SlotSet("red_flag_signs", sorted(signs)))
        acute = acute_flags(signs)

        new = (set(findings.flags) | confirmed) - reported
        if new:
            logger.warning(
                "red flag reported in conversation %s: %s", tracker.sender_id, ", ".join(sorted(new))
            )
            to_announce = new - announced
            if to_announce:
                outside = bool(to_announce & OUTSIDE_KNEE_FLAGS)
                dispatcher.utter_message(
                    text=red_flag_alert(sorted(to_announce), acute),
                    # someone in danger outside the knee is offered a person straight away
                    buttons=buttons([wording.TALK_TO_A_PERSON]) if outside else [],
                )
            events += [
                SlotSet("red_flags_reported", sorted(reported | new)),
                SlotSet("red_flags_announced", sorted(announced | new)),
            ]
            events += await _upgrade_stored_result(tracker, reported | new, signs)

        known = reported | new
        # the form's own question is the check ("can you take four steps?" answered "no, I can't
        # put weight on it"): its answer decides, a second question on top would ask it twice
        known |= FORM_QUESTION_FLAGS.get(tracker.get_slot("requested_slot"), frozenset())
        to_ask = [f for f in sort_red_flags(findings.uncertain) if f not in known]
        if to_ask and still_open is None and not _covered(to_ask[0], known):
            flag = to_ask[0]  # the most urgent one: one question, not a questionnaire
            logger.info("asking to confirm a possible red flag in %s: %s", tracker.sender_id, flag)
            dispatcher.utter_message(text=confirm_question(flag), buttons=buttons(YES_NO_BUTTONS))
            at_screen = tracker.get_slot("requested_slot") == "red_flag_screen"
            events += [
                SlotSet(
                    "red_flag_query", {"flag": flag, "tries": 0, "screen": at_screen, "asked_at": message_id}
                ),
                SlotSet(CONFIRM_SLOT, None),
            ]
        return events


def _own_button_title(tracker: Tracker, text: str) -> bool:
    """Whether `text` is exactly the title of a button the assistant just offered, other than the
    safety check's own buttons (whose titles name their flags)."""
    wanted = text.strip().casefold()
    if not wanted:
        return False
    passed_latest = False  # the person's latest message itself comes first, going back
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if passed_latest:
                return False
            passed_latest = True
            continue
        if passed_latest and event.get("event") == "bot":
            titles = {
                str(b.get("title") or "").strip().casefold()
                for b in (event.get("data") or {}).get("buttons") or []
            }
            if wanted in titles:
                return wanted not in _SCREEN_TITLES
    return False


# The safety check's own buttons name their flags: a tap on one is read like the words it says.
_SCREEN_TITLES = frozenset(t.casefold() for t in ALL_QUESTIONS["red_flag_screen"].buttons or ())


async def _upgrade_stored_result(
    tracker: Tracker, flags: set[str], signs: frozenset[str]
) -> list[dict[str, Any]]:
    """A flag named after the result was stored: the stored triage (and so reception's queue and
    the staff notification) follows the most urgent route the conversation reached."""
    triage_id = tracker.get_slot("triage_id")
    if triage_id is None or tracker.get_slot("triage_outcome") is None:
        return []
    slots = {**tracker.slots, "red_flags_reported": sorted(flags), "red_flag_signs": sorted(signs)}
    result = assess(answers_from_slots(slots))
    try:
        upgraded = await run_in_session(
            lambda session: upgrade_triage(
                session, triage_id=int(triage_id), conversation_id=tracker.sender_id, result=result
            )
        )
    except Exception:  # the person has their alert already; reception's copy is logged as stale
        logger.exception("could not upgrade the stored triage of %s", tracker.sender_id)
        return []
    if upgraded is None:
        return []
    return [SlotSet("triage_outcome", upgraded.outcome), SlotSet("red_flags", list(upgraded.red_flags))]


_RANK = {"emergency": 0, "urgent_medical": 1, "medical_review": 2}


def _covered(flag: str, known: set[str]) -> bool:
    """No need to ask about a sign whose route is already as urgent or more."""
    if not known:
        return False
    best = min(_RANK[RED_FLAG_ROUTES[f]] for f in known)
    return best <= _RANK[RED_FLAG_ROUTES[flag]] and flag != "calf_pain_with_breathlessness"


def _message_id(tracker: Tracker) -> str:
    message_id = tracker.latest_message.get("message_id")
    if message_id:
        return str(message_id)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{event.get('timestamp')}:{event.get('text')}"
    return ""


def alerted_this_turn(tracker: Tracker) -> bool:
    """Whether the safety net announced a red flag since the person's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "red_flags_announced":
            return True
    return False


# Red flags after which the knee questions go on: family violence (spec §3a: "the knee can
# still be assessed") and §3a signs the person said are not happening now.
def continuing_flags(tracker: Tracker) -> frozenset[str]:
    return frozenset({"family_violence"}) | frozenset(tracker.get_slot("red_flags_past") or [])


_NOT_NOW_RE = rx(
    r"\b(?:(?:it's|its|it is|that's|thats|that is|this is) not (?:happening )?(?:now|right now|at the moment)"
    r"|not (?:happening )?(?:now|right now|at the moment|anymore|any more)|not happening|it was (?:ages|years|months|weeks) ago"
    r"|that was (?:ages|years|months|weeks|a while|a long time) ago|(?:it's|its|it has|it's been) (?:over|gone|passed|settled)"
    r"|i'm (?:ok|okay|fine|safe) (?:now|right now)|(?:i'm|im) not in danger|i'm safe|not in danger)\b"
)


def _not_happening_now(tracker: Tracker, text: str) -> list[dict[str, Any]]:
    """After a §3a route, "it's not happening now": recorded as said, and the knee questions may go
    on. The flags stay reported, so reception still sees them."""
    announced = set(tracker.get_slot("red_flags_announced") or []) & OUTSIDE_KNEE_FLAGS
    past = set(tracker.get_slot("red_flags_past") or [])
    if not announced - past or not _NOT_NOW_RE.search(prep(text)):
        return []
    return [SlotSet("red_flags_past", sorted(announced | past))]


class ConfirmFirst:
    """For a form validator (before FormValidationAction in the bases): while a yes/no safety
    check is open, its answer (`red_flag_confirm`) is the form's first question; otherwise that
    slot is not required at all."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        rest = [slot for slot in domain_slots if slot != CONFIRM_SLOT]
        if confirm_pending(tracker):
            return [CONFIRM_SLOT, *rest]
        return rest

    async def validate_red_flag_confirm(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return {CONFIRM_SLOT: None if value is None else str(value)[:200]}


def confirm_pending(tracker: Tracker) -> bool:
    query = tracker.get_slot("red_flag_query")
    return isinstance(query, dict) and query.get("flag") in RED_FLAG_ROUTES


def said_this_turn(tracker: Tracker, words: str) -> bool:
    """Whether the assistant has already said `words` since the person's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and words in (event.get("text") or ""):
            return True
    return False


@reports_failures
class ActionAskRedFlagConfirm(Action):
    """The forms' turn to ask while a yes/no check is open: the safety net has usually just
    asked it in this turn, so nothing is repeated; after an interruption it is asked again."""

    def name(self) -> str:
        return f"action_ask_{CONFIRM_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        query = tracker.get_slot("red_flag_query")
        if not isinstance(query, dict) or query.get("flag") not in CONFIRM_QUESTIONS:
            return []
        question = confirm_question(query["flag"])
        if not said_this_turn(tracker, question):
            dispatcher.utter_message(text=question, buttons=buttons(YES_NO_BUTTONS))
        return []


def red_flags_present(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("red_flags_reported")) or bool(tracker.get_slot("red_flags"))

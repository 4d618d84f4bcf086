"""How far one conversation got, read from its reduced events (bot/analytics/events.py).

Pure: `summarise(events)` takes one sender's events in order and returns one `Conversation` per
Rasa session (a session starts with `session_started`; a new one after an hour of silence, or
after "delete my data"). What marks each step, from the domain, the rules and the actions:

| step | marked by |
|---|---|
| started | a message from the person in the session; the channel is that first message's (`web` is the widget) |
| got past the opening notice | a second message (the notice answers the first one) |
| question reached | the triage or booking form asks it (`requested_slot`), or it was answered before being asked |
| question answered | its slot holds a (validated) value when the form moves to another question or stops |
| finished triage, outcome | `triage_outcome` set (`action_triage_result`); minutes from the first message |
| red flags | the flag names in `red_flags` (the result) and `red_flags_reported` (the safety net) |
| booking offered | `utter_offer_booking` |
| handoff created | `reference_code` set (`action_submit_booking` stored a handoff) |
| "talk to a person" | `handoff_reason` talk_to_person or red_flag_follow_up (`action_start_handoff`) |
| "delete my data" | asked: `utter_confirm_delete`; done: `erase_conversation` set by `action_delete_my_data` |
| FAQ topics | the intent answered by `action_answer_question` (unless it was taken as the answer to the pending question) or `action_explain_why` |
| where it stopped | the last question asked; "notice" if the person never wrote after the notice, "before_questions" if they wrote but no question was asked |

Whether an unfinished conversation is abandoned depends on the time it is looked at
(`ANALYTICS_ABANDON_AFTER_MIN`): bot/analytics/report.py decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The questions in asking order: the triage form's (actions/questions.py TRIAGE_QUESTIONS), the
# yes/no warning-sign check both forms ask first when it is open, and the booking form's
# (BOOKING_QUESTIONS). tests/unit/test_analytics_funnel.py checks they match the actions' tables.
TRIAGE_QUESTIONS: tuple[str, ...] = (
    "pain_location",
    "onset",
    "injury_recent",
    "can_walk_four_steps",
    "can_bend_90",
    "red_flag_screen",
    "predictable_onset",
    "downhill_worse",
    "stairs_descent_pain",
    "weekly_change_pct",
    "training_changes",
    "other_symptoms",
    "age",
)
CONFIRM_QUESTION = "red_flag_confirm"
BOOKING_QUESTIONS: tuple[str, ...] = (
    "booking_name",
    "booking_last_name",
    "booking_contact",
    "booking_site",
    "booking_times",
    "booking_consent",
)
QUESTIONS: tuple[str, ...] = (*TRIAGE_QUESTIONS, CONFIRM_QUESTION, *BOOKING_QUESTIONS)

STOP_NOTICE = "notice"
STOP_BEFORE_QUESTIONS = "before_questions"
STOP_POINTS: tuple[str, ...] = (STOP_NOTICE, STOP_BEFORE_QUESTIONS, *QUESTIONS)

# Rasa's input channel names (components/channels.py, components/telegram_relay.py) → the
# analytics' channel names.
CHANNELS: dict[str, str] = {"telegram": "telegram", "web": "widget", "rest": "rest"}
OTHER_CHANNEL = "other"

# Intents answered as a question of the person's own, and the topic each is counted under.
FAQ_TOPICS: dict[str, str] = {
    "ask_foam_rolling": "foam_rolling",
    "ask_stop_running": "stop_running",
    "ask_exercises": "exercises",
    "ask_recovery_time": "recovery_time",
    "ask_evidence": "evidence",
    "ask_more": "tell_me_more",
    "ask_what_is_itbs": "what_is_itbs",
    "ask_clinic_info": "clinic_info",
    "ask_why": "why_ask",
    "bot_challenge": "about_the_assistant",
    "other_injury": "other_injury",
    "out_of_scope": "out_of_scope",
}
TOPICS: tuple[str, ...] = tuple(dict.fromkeys(FAQ_TOPICS.values()))
ANSWER_ACTION = "action_answer_question"
SESSION_START_ACTION = "action_session_start"
WHY_ACTION = "action_explain_why"
TALK_TO_PERSON_REASONS = frozenset({"talk_to_person", "red_flag_follow_up"})


@dataclass
class Conversation:
    """One session of one sender. Times are Rasa's (seconds since 1970, UTC)."""

    sender_key: str
    session_start: float
    started_at: float = 0.0  # the person's first message
    last_event_at: float = 0.0
    channel: str = OTHER_CHANNEL
    messages: int = 0
    questions_reached: list[str] = field(default_factory=list)
    questions_answered: list[str] = field(default_factory=list)
    last_question: str | None = None
    finished_at: float | None = None
    outcome: str | None = None
    red_flags: list[str] = field(default_factory=list)
    booking_offered: bool = False
    handoff_at: float | None = None
    talk_to_person: bool = False
    delete_requested: bool = False
    deleted_at: float | None = None
    faq_topics: dict[str, int] = field(default_factory=dict)

    @property
    def past_notice(self) -> bool:
        return self.messages >= 2

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def minutes_to_finish(self) -> float | None:
        if self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at) / 60

    @property
    def stop_point(self) -> str:
        """Where the conversation was when it went quiet (meaningful once it has)."""
        if self.last_question is not None:
            return self.last_question
        return STOP_NOTICE if self.messages <= 1 else STOP_BEFORE_QUESTIONS

    @property
    def unfinished(self) -> bool:
        """Neither a finished triage nor a handoff, and not ended by deleting it."""
        return not self.finished and self.handoff_at is None and self.deleted_at is None


def channel_name(input_channel: str | None) -> str:
    return CHANNELS.get(input_channel or "", OTHER_CHANNEL)


class _Reader:
    """Walks one session's events in order."""

    def __init__(self, conversation: Conversation) -> None:
        self.c = conversation
        self.present: dict[str, bool] = {}
        self.reached: set[str] = set()
        self.answered: set[str] = set()
        self.flags: set[str] = set()
        self.requested: str | None = None
        self.intent: str | None = None
        self.faq_pending: str | None = None  # topic of an answer action that may be an answer

    def _count_topic(self, topic: str) -> None:
        self.c.faq_topics[topic] = self.c.faq_topics.get(topic, 0) + 1

    def _settle_faq(self) -> None:
        if self.faq_pending is not None:
            self._count_topic(self.faq_pending)
            self.faq_pending = None

    def _settle_answers(self) -> None:
        for question in QUESTIONS:
            if self.present.get(question):
                self.reached.add(question)
                self.answered.add(question)

    def read(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        timestamp = float(event["timestamp"])
        self.c.last_event_at = max(self.c.last_event_at, timestamp)
        if kind == "user":
            self._settle_faq()
            if self.c.messages == 0:
                self.c.started_at = timestamp
                self.c.channel = channel_name(event.get("input_channel"))
            self.c.messages += 1
            self.intent = event.get("intent")
        elif kind == "action":
            self._settle_faq()
            self._action(event.get("name"))
        elif kind == "slot":
            self._slot(event.get("name"), event.get("value"), timestamp)

    def _action(self, name: str | None) -> None:
        if name == "utter_offer_booking":
            self.c.booking_offered = True
        elif name == "utter_confirm_delete":
            self.c.delete_requested = True
        elif name == ANSWER_ACTION and self.intent in FAQ_TOPICS:
            self.faq_pending = FAQ_TOPICS[self.intent]
        elif name == WHY_ACTION:
            self._count_topic(FAQ_TOPICS["ask_why"])

    def _slot(self, name: str | None, value: Any, timestamp: float) -> None:
        if name is None:
            return
        if name == "requested_slot":
            self._settle_answers()
            self.requested = value if value in QUESTIONS else None
            if self.requested is not None:
                self.reached.add(self.requested)
                self.c.last_question = self.requested
        elif name == "triage_outcome":
            if value is not None:
                self.c.outcome = value
                if self.c.finished_at is None:
                    self.c.finished_at = timestamp
        elif name in ("red_flags", "red_flags_reported"):
            self.flags.update(value or [])
        elif name == "handoff_reason":
            if value in TALK_TO_PERSON_REASONS:
                self.c.talk_to_person = True
        elif name == "reference_code":
            if value is not None and self.c.handoff_at is None:
                self.c.handoff_at = timestamp
        elif name == "erase_conversation":
            if value is True:
                self.c.deleted_at = timestamp
        else:
            if name == self.requested and value is not None:
                self.faq_pending = None  # the answer action took the message as the answer
            self.present[name] = value is not None

    def finish(self) -> Conversation:
        self._settle_faq()
        self.c.questions_reached = [q for q in QUESTIONS if q in self.reached]
        self.c.questions_answered = [q for q in QUESTIONS if q in self.answered]
        self.c.red_flags = sorted(self.flags)
        return self.c


def _session_start_action(event: Mapping[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") == SESSION_START_ACTION


def sessions(events: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """One sender's events (in order) split into sessions: each begins with Rasa's
    `action_session_start` and its `session_started`. Events before the first one (a conversation
    already under way when the analytics were switched on) are a session of their own."""
    result: list[list[Mapping[str, Any]]] = [[]]
    for event in events:
        current = result[-1]
        if _session_start_action(event):
            if current:
                result.append([])
        elif event.get("event") == "session_started" and not all(_session_start_action(e) for e in current):
            result.append([])
        result[-1].append(event)
    return [session for session in result if session]


def _session_start(session: list[Mapping[str, Any]]) -> float:
    for event in session:
        if event.get("event") == "session_started":
            return float(event["timestamp"])
    return float(session[0]["timestamp"])


def summarise(events: Iterable[Mapping[str, Any]]) -> list[Conversation]:
    """One sender's events, in order → its conversations (sessions with at least one message).
    A conversation is known by its sender key and `session_start` (the time of its
    `session_started`), however many of the sender's events are read."""
    conversations = []
    for session in sessions(events):
        start = Conversation(sender_key=str(session[0]["sender_key"]), session_start=_session_start(session))
        reader = _Reader(start)
        for event in session:
            reader.read(event)
        conversation = reader.finish()
        if conversation.messages:
            conversations.append(conversation)
    return conversations

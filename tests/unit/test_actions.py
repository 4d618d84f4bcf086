"""Unit tests of every custom action, with rasa-sdk trackers and a real (SQLite) clinic database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import answers, ask, booking, results, safety, session, triage_form
from actions.questions import TRIAGE_QUESTIONS
from bot.db.models import Handoff, Triage
from bot.db.session import session_scope


def tracker(
    text: str = "",
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    sender: str = "person-1",
    active_loop: str | None = None,
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}},
        events=[{"event": "user", "text": text, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture
def clinic_db(sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_db_url)
    return sqlite_db_url


def stored(model: Any, sender: str = "person-1") -> list[Any]:
    with session_scope() as s:
        return list(s.scalars(select(model).where(model.conversation_id == sender)))


ITBS_SLOTS = {
    "pain_location": "lateral",
    "onset": "gradual",
    "red_flag_screen": ["none"],
    "predictable_onset": True,
    "downhill_worse": True,
    "stairs_descent_pain": True,
    "weekly_change_pct": 50.0,
    "training_changes": ["more_hills"],
    "other_symptoms": ["none"],
    "age": 34,
}


# --- safety net --------------------------------------------------------------------------------


def test_a_new_red_flag_is_announced_at_once_with_its_route() -> None:
    messages, events = run(
        safety.ActionScreenRedFlags(), tracker("my calf is swollen and I'm short of breath")
    )
    assert "000" in said(messages)
    assert slot_events(events)["red_flags_reported"] == ["calf_pain_with_breathlessness"]


def test_a_red_flag_already_reported_is_not_repeated() -> None:
    t = tracker(
        "my calf is swollen and I'm short of breath",
        slots={
            "red_flags_reported": ["calf_pain_with_breathlessness"],
            "red_flag_signs": ["breath", "calf", "swelling"],
        },
    )
    assert run(safety.ActionScreenRedFlags(), t) == ([], [])


def test_a_negated_symptom_is_not_a_red_flag() -> None:
    assert run(safety.ActionScreenRedFlags(), tracker("no chest pain and my calf is fine")) == ([], [])


# --- triage form -------------------------------------------------------------------------------


def required(slots: dict[str, Any]) -> list[str]:
    return asyncio.run(
        triage_form.ValidateTriageForm().required_slots([], CollectingDispatcher(), tracker(slots=slots), {})
    )


def test_the_usual_questions_in_order() -> None:
    assert required({}) == [
        "pain_location",
        "onset",
        "red_flag_screen",
        "predictable_onset",
        "downhill_worse",
        "stairs_descent_pain",
        "weekly_change_pct",
        "training_changes",
        "other_symptoms",
        "age",
    ]


def test_a_recent_injury_adds_the_ottawa_questions_and_age_early() -> None:
    slots = required({"onset": "sudden_injury", "injury_recent": True})
    assert slots[:6] == [
        "pain_location",
        "onset",
        "injury_recent",
        "can_walk_four_steps",
        "can_bend_90",
        "age",
    ]
    assert "can_walk_four_steps" not in required({"onset": "sudden_injury", "injury_recent": False})


def required_after_red_flag(slots: dict[str, Any]) -> list[str]:
    # The domain's full list, as Rasa passes it; only answers already given may remain.
    return asyncio.run(
        triage_form.ValidateTriageForm().required_slots(
            list(TRIAGE_FORM_SLOTS), CollectingDispatcher(), tracker(slots=slots), {}
        )
    )


TRIAGE_FORM_SLOTS = tuple(TRIAGE_QUESTIONS)  # the domain lists the same (tests/unit/test_wording.py)


def test_a_red_flag_or_ottawa_ends_the_questions() -> None:
    assert required_after_red_flag({"red_flags_reported": ["locked_knee"]}) == []
    assert required_after_red_flag({"red_flag_screen": ["nerve_symptoms"]}) == ["red_flag_screen"]
    ottawa = {"onset": "sudden_injury", "injury_recent": True, "can_walk_four_steps": False}
    assert required_after_red_flag(ottawa) == ["onset", "injury_recent", "can_walk_four_steps"]


def test_the_answer_that_carried_a_red_flag_is_still_validated() -> None:
    # "I fell and it swelled up fast after a pop" answers the onset question AND reports a flag.
    slots = {
        "pain_location": "lateral",
        "onset": "I fell and it swelled up fast after a pop",
        "red_flags_reported": ["rapid_swelling_after_injury"],
    }
    assert "onset" in required_after_red_flag(slots)


def validate(slot: str, value: Any, slots: dict[str, Any] | None = None) -> dict[str, Any]:
    form = triage_form.ValidateTriageForm()
    method = getattr(form, f"validate_{slot}")
    return asyncio.run(method(value, CollectingDispatcher(), tracker(str(value), slots=slots), {}))


def test_free_text_answers_are_normalised() -> None:
    assert validate("pain_location", "the outside of my right knee")["pain_location"] == "lateral"
    assert validate("stairs_descent_pain", "only going down stairs")["stairs_descent_pain"] is True
    assert validate("weekly_change_pct", "went from 30 to 45 km a week")["weekly_change_pct"] == 50.0
    assert validate("red_flag_screen", "none of these")["red_flag_screen"] == ["none"]
    assert validate("age", "Skip")["age"] == "skipped"
    assert validate("can_bend_90", "not sure")["can_bend_90"] == "unsure"
    assert validate("weekly_change_pct", "Less than before")["weekly_change_pct"] == "decreased"


def test_an_injury_described_in_the_onset_answer_is_kept() -> None:
    result = validate("onset", "I twisted it landing from a jump")
    assert result["onset"] == "sudden_injury"
    assert result["onset_details"] == ["twist_or_landing_injury"]


def test_unclear_answers_count_attempts() -> None:
    first = validate("pain_location", "asdkjh qwe")
    assert first == {"pain_location": None, "reask_count": 1}
    assert validate("pain_location", "🙂🙂", {"reask_count": 1})["reask_count"] == 2
    # issue 7: no question loops forever: the third unclear answer is noted as "not sure"
    assert validate("pain_location", "x" * 5000, {"reask_count": 2}) == {
        "pain_location": "unsure",
        "reask_count": -1,
    }
    assert validate("pain_location", "outside", {"reask_count": 2})["reask_count"] == 0


def test_an_increase_in_miles_without_a_baseline_asks_for_one() -> None:
    first = validate("weekly_change_pct", "about 20 miles more than usual")
    assert first["weekly_change_pct"] is None and first["mileage_delta_km"] == pytest.approx(32.2)
    second = validate("weekly_change_pct", "40 miles", {"mileage_delta_km": 32.2})
    assert second["weekly_change_pct"] == pytest.approx(50.0, abs=0.1)

    messages, _ = run(
        ask.ASK_ACTIONS_BY_SLOT["weekly_change_pct"](), tracker(slots={"mileage_delta_km": 32.2})
    )
    assert "before" in said(messages)


def test_the_opening_message_can_answer_the_first_questions() -> None:
    form = triage_form.ValidateTriageForm()
    t = tracker("it came on gradually on the outside of my knee")
    assert asyncio.run(form.extract_pain_location(CollectingDispatcher(), t, {})) == {
        "pain_location": "lateral"
    }
    assert asyncio.run(form.extract_onset(CollectingDispatcher(), t, {})) == {"onset": "gradual"}
    mid_form = tracker("outside", slots={"requested_slot": "onset"})
    assert asyncio.run(form.extract_pain_location(CollectingDispatcher(), mid_form, {})) == {}


TRIAGE_DOMAIN = {"forms": {"triage_form": {"required_slots": list(TRIAGE_QUESTIONS)}}}


def answer_in_form(text: str, requested: str, slots: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Run validate_triage_form as Rasa does: the typed text arrives as the requested slot's candidate."""
    t = tracker(text, slots={**slots, "requested_slot": requested}, active_loop="triage_form")
    t.events.append({"event": "slot", "name": requested, "value": text})
    t.slots[requested] = text
    dispatcher = CollectingDispatcher()
    events = asyncio.run(triage_form.ValidateTriageForm().run(dispatcher, t, TRIAGE_DOMAIN))
    return said(dispatcher.messages), slot_events(events)


EARLY_SLOTS = {"pain_location": "lateral", "onset": "gradual"}


def test_an_answer_to_a_later_question_is_kept_thanked_for_and_not_asked_again() -> None:
    reply, slots = answer_in_form("it only hurts going down stairs", "red_flag_screen", EARLY_SLOTS)
    assert slots["stairs_descent_pain"] is True
    assert "noted that going down stairs hurts" in reply
    # the safety check is asked again as it was: no "sorry", no count towards the buttons
    assert slots["red_flag_screen"] is None and slots["reask_count"] == 0
    assert slots["requested_slot"] == "red_flag_screen"


def test_an_answer_with_extra_details_fills_both_questions() -> None:
    reply, slots = answer_in_form(
        "none of these. I'm 52 and I went from 30 to 45 km a week", "red_flag_screen", EARLY_SLOTS
    )
    assert slots["red_flag_screen"] == ["none"]
    assert slots["weekly_change_pct"] == 50.0 and slots["age"] == 52
    assert "went up by about 50 %" in reply and "you're 52" in reply
    assert slots["requested_slot"] == "predictable_onset"


def test_a_question_already_answered_is_not_overwritten_by_a_later_aside() -> None:
    answered = {**EARLY_SLOTS, "red_flag_screen": ["none"], "stairs_descent_pain": False}
    reply, slots = answer_in_form("yes, and the stairs hurt now", "predictable_onset", answered)
    assert "stairs_descent_pain" not in slots and "noted" not in reply
    assert slots["predictable_onset"] is True


def test_a_plain_unclear_answer_still_counts_towards_the_buttons() -> None:
    reply, slots = answer_in_form("hmm", "red_flag_screen", EARLY_SLOTS)
    assert slots["reask_count"] == 1 and "noted" not in reply


def test_after_an_unclear_answer_an_early_answer_brings_the_question_back_plainly() -> None:
    reply, slots = answer_in_form("I'm 34", "red_flag_screen", {**EARLY_SLOTS, "reask_count": 1})
    assert slots["age"] == 34 and "you're 34" in reply
    assert slots["reask_count"] == 0


# --- asking ------------------------------------------------------------------------------------


def test_questions_offer_buttons_then_an_example_then_lean_on_buttons() -> None:
    action = ask.ASK_ACTIONS_BY_SLOT["pain_location"]()
    first, _ = run(action, tracker())
    assert first[0]["buttons"][0]["payload"] == "Outside of the knee"
    again, _ = run(action, tracker(slots={"reask_count": 1}))
    assert "For example" in said(again)
    third, _ = run(action, tracker(slots={"reask_count": 2}))
    assert "buttons" in said(third) and third[0]["buttons"]


# --- result ------------------------------------------------------------------------------------


def test_an_itbs_story_gets_compression_model_load_plan_exercises_and_a_record(clinic_db: str) -> None:
    messages, events = run(results.ActionTriageResult(), tracker(slots=ITBS_SLOTS))
    text = said(messages)
    slots = slot_events(events)
    assert slots["triage_outcome"] == "book_running_assessment"
    assert slots["itbs_likelihood"] == "high" and slots["red_flags"] == []
    assert "30°" in text and "downhill" in text.lower() and "clamshell" in text.lower()
    [triage] = stored(Triage)
    assert triage.id == slots["triage_id"] and triage.answers["pain_location"] == "lateral"


def test_a_red_flag_result_gives_the_route_and_no_exercises(clinic_db: str) -> None:
    slots = {**ITBS_SLOTS, "red_flag_screen": ["hot_swollen_knee_with_fever"]}
    messages, events = run(results.ActionTriageResult(), tracker(slots=slots))
    text = said(messages)
    assert slot_events(events)["triage_outcome"] == "emergency"
    assert "000" in text and "clamshell" not in text.lower()
    assert stored(Triage)[0].red_flags == ["hot_swollen_knee_with_fever"]


def test_the_final_summary_repeats_the_route_after_an_earlier_alert(clinic_db: str) -> None:
    # issue 7: every red-flag result repeats the route, and shows no ITBS scoring lines
    slots = {**ITBS_SLOTS, "red_flags_reported": ["locked_knee"], "red_flags_announced": ["locked_knee"]}
    messages, _ = run(results.ActionTriageResult(), tracker(slots=slots))
    text = said(messages)
    assert "GP today" in text and "000" in text
    assert "ITB" not in text.replace("ITBS", "") and "points" not in text
    assert "outside of the knee" not in text.lower()


def test_an_alert_given_in_this_very_turn_is_not_repeated_word_for_word(clinic_db: str) -> None:
    # "my knee is locked and I can't straighten it": the safety net's alert, then at once the result
    from bot.triage.content import red_flag_alert

    slots = {**ITBS_SLOTS, "red_flags_reported": ["locked_knee"], "red_flags_announced": ["locked_knee"]}
    alert = red_flag_alert(["locked_knee"])
    t = tracker("my knee is locked and I can't straighten it", slots=slots)
    t.events.append({"event": "bot", "text": alert})
    messages, _ = run(results.ActionTriageResult(), t)
    texts = [m["text"] for m in messages]
    assert alert not in texts  # the alert just above already says it
    assert "what I based this on" in said(messages)  # the reasons and the way to a person still come
    # in a later turn the summary repeats the route (the previous test), as people reread it
    t.events.append({"event": "user", "text": "ok"})
    messages, _ = run(results.ActionTriageResult(), t)
    assert alert in [m["text"] for m in messages]


def test_a_database_failure_still_gives_the_result_and_says_so(
    clinic_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(results, "save_triage", broken)
    messages, events = run(results.ActionTriageResult(), tracker(slots=ITBS_SLOTS))
    assert slot_events(events)["triage_outcome"] == "book_running_assessment"
    assert "technical problem" in said(messages)


# --- questions and answers ---------------------------------------------------------------------


def test_advice_questions_are_answered_with_evidence_on_request() -> None:
    messages, events = run(answers.ActionAnswerQuestion(), tracker("foam roll?", "ask_foam_rolling"))
    assert "900" in said(messages)
    assert slot_events(events)["last_topic"] == "foam_rolling"
    evidence, _ = run(
        answers.ActionAnswerQuestion(), tracker("evidence?", "ask_evidence", {"last_topic": "foam_rolling"})
    )
    assert "Chaudhry" in said(evidence)


def test_no_exercise_advice_after_a_red_flag() -> None:
    t = tracker("exercises?", "ask_exercises", {"red_flags_reported": ["calf_dvt_signs"]})
    messages, _ = run(answers.ActionAnswerQuestion(), t)
    assert "clamshell" not in said(messages).lower() and "doctor" in said(messages)


def test_clinic_sites_and_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIC_HOURS_KENMORE", "Mon–Fri 6am–8pm")
    messages, _ = run(answers.ActionAnswerQuestion(), tracker("hours?", "ask_clinic_info"))
    assert "Mon–Fri 6am–8pm" in said(messages) and "Jindalee" in said(messages)


def test_out_of_scope_gets_the_scope_response() -> None:
    messages, _ = run(answers.ActionAnswerQuestion(), tracker("weather?", "out_of_scope"))
    assert "outside what I can help with" in said(messages)


def test_off_topic_inside_the_questions_counts_as_unclear() -> None:
    t = tracker("what's the weather", "out_of_scope", {"reask_count": 0}, active_loop="triage_form")
    messages, events = run(answers.ActionAnswerQuestion(), t)
    assert messages == [] and slot_events(events) == {"reask_count": 1}


def test_pain_elsewhere_is_pointed_to_the_clinic_gp_and_000() -> None:
    messages, events = run(answers.ActionAnswerQuestion(), tracker("my shoulder hurts", "other_injury"))
    text = said(messages)
    assert "knee pain in runners only" in text and "shoulder" in text
    assert "book" in text and "GP" in text and "000" in text
    assert "carry on" not in text and slot_events(events) == {}


def test_pain_elsewhere_inside_the_questions_is_answered_not_counted_as_unclear() -> None:
    t = tracker("my ankle hurts", "other_injury", {"reask_count": 0}, active_loop="triage_form")
    messages, events = run(answers.ActionAnswerQuestion(), t)
    assert "carry on" in said(messages) and slot_events(events) == {}


def test_unreadable_outside_the_questions_gets_the_kind_not_understood_answer() -> None:
    messages, _ = run(answers.ActionAnswerQuestion(), tracker("😂😂", "unreadable"))
    assert "didn't understand" in said(messages) and "English" in said(messages)
    assert messages[0]["buttons"]


def test_unreadable_inside_the_questions_counts_as_unclear() -> None:
    t = tracker("asdfgh", "unreadable", {"reask_count": 1}, active_loop="triage_form")
    messages, events = run(answers.ActionAnswerQuestion(), t)
    assert messages == [] and slot_events(events) == {"reask_count": 2}


def test_why_do_you_ask_explains_the_current_question() -> None:
    messages, _ = run(
        answers.ActionExplainWhy(), tracker("why?", "ask_why", {"requested_slot": "stairs_descent_pain"})
    )
    assert "30°" in said(messages)


def test_fallback_is_kind_and_offers_a_way_on() -> None:
    messages, _ = run(answers.ActionDefaultFallback(), tracker("asdf", "nlu_fallback"))
    assert "didn't understand" in said(messages) and messages[0]["buttons"]


# --- booking and handoff -----------------------------------------------------------------------


def validate_booking(slot: str, value: str) -> dict[str, Any]:
    method = getattr(booking.ValidateBookingForm(), f"validate_{slot}")
    return asyncio.run(method(value, CollectingDispatcher(), tracker(value), {}))


def test_booking_answers_are_validated() -> None:
    assert validate_booking("booking_contact", "0412 345 678") == {
        "booking_contact": "+61412345678",
        "booking_contact_kind": "phone",
        "reask_count": 0,
    }
    assert validate_booking("booking_contact", "12345")["booking_contact"] is None
    assert validate_booking("booking_contact", "Sam@Example.com")["booking_contact"] == "sam@example.com"
    assert validate_booking("booking_name", "12345")["booking_name"] is None
    assert validate_booking("booking_name", "  Sam   Taylor ")["booking_name"] == "Sam Taylor"
    assert validate_booking("booking_site", "jindalee please")["booking_site"] == "jindalee"
    assert validate_booking("booking_site", "either is fine")["booking_site"] == "either"
    assert validate_booking("booking_consent", "Yes, I agree")["booking_consent"] is True
    assert validate_booking("booking_consent", "no")["booking_consent"] is False


def test_talk_to_a_person_mid_triage_pauses_the_triage() -> None:
    t = tracker("talk to a person", "request_human", {"pain_location": "lateral"})
    messages, events = run(booking.ActionStartHandoff(), t)
    slots = slot_events(events)
    assert slots["handoff_reason"] == "talk_to_person" and slots["triage_paused"] is True
    assert "reception" in said(messages)


BOOKING = {
    "booking_name": "Sam Taylor",
    "booking_contact": "+61412345678",
    "booking_contact_kind": "phone",
    "booking_site": "kenmore",
    "booking_times": "Saturdays",
    "handoff_reason": "booking",
}


def test_a_consented_booking_is_stored_with_a_reference_code(clinic_db: str) -> None:
    messages, events = run(booking.ActionSubmitBooking(), tracker(slots={**BOOKING, "booking_consent": True}))
    [handoff] = stored(Handoff)
    assert handoff.status == "new" and handoff.site == "kenmore"
    assert handoff.reference_code in said(messages)
    assert slot_events(events)["reference_code"] == handoff.reference_code


def test_without_consent_nothing_is_stored(clinic_db: str) -> None:
    messages, _ = run(booking.ActionSubmitBooking(), tracker(slots={**BOOKING, "booking_consent": False}))
    assert stored(Handoff) == [] and "haven't saved" in said(messages)


def test_a_failed_save_keeps_the_details_and_says_what_to_do(
    clinic_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(booking, "create_handoff", lambda *a, **k: (_ for _ in ()).throw(OSError("db down")))
    messages, events = run(booking.ActionSubmitBooking(), tracker(slots={**BOOKING, "booking_consent": True}))
    assert "call the clinic" in said(messages)
    assert "booking_name" not in slot_events(events)  # the details stay for a retry


# --- session -----------------------------------------------------------------------------------


def test_session_start_shows_the_notice() -> None:
    messages, events = run(session.ActionSessionStart(), tracker())
    assert "not a clinician" in said(messages) and "000" in said(messages)
    assert events[0]["event"] == "session_started"


def test_start_over_clears_answers_but_not_reported_red_flags() -> None:
    t = tracker(
        "start over", "start_over", {"pain_location": "lateral", "red_flags_reported": ["locked_knee"]}
    )
    _, events = run(session.ActionStartOver(), t)
    slots = slot_events(events)
    assert slots["pain_location"] is None and "red_flags_reported" not in slots


def test_delete_my_data_removes_the_persons_records(clinic_db: str) -> None:
    run(booking.ActionSubmitBooking(), tracker(slots={**BOOKING, "booking_consent": True}))
    run(
        booking.ActionSubmitBooking(),
        tracker(slots={**BOOKING, "booking_consent": True}, sender="someone-else"),
    )
    messages, events = run(session.ActionDeleteMyData(), tracker("delete my data", "affirm"))
    assert stored(Handoff) == [] and len(stored(Handoff, "someone-else")) == 1
    assert slot_events(events) == {"erase_conversation": True}
    assert "deleted" in said(messages)
    # the widget is told to clear the screen and start a new conversation id
    assert messages[-1]["custom"] == {"data": {"clinic_event": "data_deleted"}}


def test_raw_answers_waiting_for_validation_do_not_end_the_questions() -> None:
    # The form computes the questions before validating the new answer: "none of these" as
    # typed must not look like a list of red flags.
    assert "red_flag_screen" in required({"red_flag_screen": "none of these"})


def test_a_crashing_action_apologises_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(results, "assess", broken)
    messages, events = run(results.ActionTriageResult(), tracker(slots=ITBS_SLOTS))
    assert events == [] and "went wrong on my side" in said(messages) and "000" in said(messages)


def test_clearing_a_slot_is_not_an_unclear_answer() -> None:
    # "start over" and a new handoff clear slots; the form must not read that as "None".
    assert validate("pain_location", None, {"reask_count": 0}) == {"pain_location": None}
    assert validate_booking("booking_name", None) == {"booking_name": None}

"""The summary a person keeps (bot.summary): what it says for each outcome, that the PDF is one
readable page saying the same as the plain text, and that nothing the person did not give is on it."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone
from typing import Any

import pytest
from pypdf import PdfReader

from bot.db.models import Handoff, Triage
from bot.summary import ClinicDetails, SiteDetails, Summary, SummaryData, build_summary, summarise
from bot.summary.content import OWN_WORDS_MAX, Bullets, Evidence, Paragraph, Rows, Subheading, told_rows
from bot.summary.pdf import FONT_SIZES, fitted_font_size, pdf_text, render_pdf
from bot.triage.engine import RED_FLAG_ROUTES, TriageAnswers, assess

CLINIC = ClinicDetails(
    phone="(07) 3000 0000",
    sites=(
        SiteDetails("Kenmore", "Mon–Fri 7am–7pm, Sat 7am–12pm", "2064 Moggill Rd, Kenmore QLD 4069"),
        SiteDetails("Jindalee", "Mon–Fri 7am–7pm, Sat 7am–12pm"),
    ),
)
CREATED = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
# 20:30 UTC on the 6th is 06:30 on the 7th in Brisbane (UTC+10, no daylight saving)
CHAT_AT = datetime(2026, 12, 6, 20, 30, tzinfo=timezone.utc)
CODE = "KNE-7K3Q9"

ITBS_RECORD: dict[str, Any] = {
    "pain_location": "lateral",
    "onset": "gradual",
    "red_flag_screen": ["none"],
    "predictable_onset": True,
    "downhill_worse": True,
    "stairs_descent_pain": True,
    "weekly_change_pct": 50.0,
    "training_changes": ["long_run_spike", "more_hills"],
    "other_symptoms": ["none"],
    "age": 34,
}
ITBS_ANSWERS = TriageAnswers(
    pain_location="lateral",
    onset="gradual",
    predictable_onset=True,
    downhill_worse=True,
    stairs_descent_pain=True,
    weekly_change_pct=50.0,
    long_run_spike=True,
    more_hills=True,
)

# outcome → (stored answers, the engine's input for them, phrases the page must carry)
CASES: dict[str, tuple[dict[str, Any], TriageAnswers, tuple[str, ...]]] = {
    "emergency": (
        {
            "pain_location": "lateral",
            "onset": "gradual",
            "red_flag_screen": ["calf_pain_with_breathlessness"],
        },
        TriageAnswers(
            pain_location="lateral", onset="gradual", red_flags=frozenset({"calf_pain_with_breathlessness"})
        ),
        (
            "Call 000 now, or go straight to the nearest emergency department.",
            "Calf pain or swelling with breathlessness or chest pain (emergency)",
            "can be a sign of a blood clot",
        ),
    ),
    "urgent_medical": (
        {
            "pain_location": "lateral",
            "onset": "sudden_injury",
            "onset_details": ["twist_or_landing_injury"],
            "injury_recent": True,
            "can_walk_four_steps": False,
            "can_bend_90": True,
            "age": 58,
        },
        TriageAnswers(
            pain_location="lateral",
            onset="sudden_injury",
            injury_within_7_days=True,
            can_walk_four_steps=False,
            can_bend_90=True,
            age=58,
            symptoms=frozenset({"twist_or_landing_injury"}),
        ),
        (
            "See a GP today, or go to an emergency department if you can't get in today.",
            "an X-ray may be needed",
            "healthdirect on 1800 022 222",
            "Stiell et al. 1996",
        ),
    ),
    "medical_review": (
        {"pain_location": "lateral", "onset": "gradual", "red_flag_screen": ["nerve_symptoms"]},
        TriageAnswers(pain_location="lateral", onset="gradual", red_flags=frozenset({"nerve_symptoms"})),
        (
            "See your GP soon, ideally within the next few days.",
            "Numbness, pins and needles or foot drop (GP soon)",
            "healthdirect on 1800 022 222",
            "bladder or bowel control",
        ),
    ),
    "book_running_assessment": (
        ITBS_RECORD,
        ITBS_ANSWERS,
        (
            "Book a running and hip assessment",
            "your story is: very typical",
            "not a diagnosis",
            "Fairclough et al. 2006",
            "Frandsen et al. 2025",
            "clamshells, band walks",
        ),
    ),
    "general_assessment": (
        {
            "pain_location": "anterior",
            "onset": "gradual",
            "red_flag_screen": ["none"],
            "predictable_onset": False,
            "stairs_descent_pain": True,
            "weekly_change_pct": 0.0,
            "other_symptoms": ["kneecap_sitting_squatting"],
        },
        TriageAnswers(
            pain_location="anterior",
            onset="gradual",
            predictable_onset=False,
            stairs_descent_pain=True,
            weekly_change_pct=0.0,
            symptoms=frozenset({"kneecap_sitting_squatting"}),
        ),
        (
            "Book a standard physio assessment",
            "your story is: not typical",
            "kneecap pain (patellofemoral pain)",
        ),
    ),
}
EVERY_ANSWER = (
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
# a plain-words answer each case's page must show (label, value)
KEY_ANSWERS: dict[str, tuple[tuple[str, str], ...]] = {
    "emergency": (("Where it hurts", "Outside of the knee"),),
    "urgent_medical": (
        ("How it started", "Suddenly, with an injury (a twist or an awkward landing)"),
        ("Can take four steps", "No"),
        ("Age", "58"),
    ),
    "medical_review": (("Safety check", "Numbness, pins and needles or foot drop"),),
    "book_running_assessment": (
        ("Pattern in a run", "Comes on at a predictable point and settles after stopping: yes."),
        ("Going down stairs", "Hurts"),
        ("Training change", "Weekly distance up about 50%; a run much longer than usual"),
        ("Age", "34"),
    ),
    "general_assessment": (
        ("Where it hurts", "Front of the knee, around the kneecap"),
        ("Training change", "Weekly distance about the same"),
    ),
}


def triage_row(record: dict[str, Any], answers: TriageAnswers, **kw: Any) -> Triage:
    result = assess(answers)
    return Triage(
        id=kw.pop("id", 41),
        conversation_id=kw.pop("conversation_id", "conv-1"),
        channel=kw.pop("channel", "telegram"),
        answers=record,
        outcome=result.outcome,
        itbs_likelihood=result.itbs_likelihood,
        points=result.points,
        red_flags=list(result.red_flags),
        reasons=list(result.reasons),
        pointers=list(result.pointers),
        created_at=kw.pop("created_at", CHAT_AT),
    )


def handoff_row(**kw: Any) -> Handoff:
    fields: dict[str, Any] = {
        "reference_code": CODE,
        "conversation_id": "conv-1",
        "channel": "telegram",
        "reason": "booking",
        "name": "Sam Taylor",
        "contact_kind": "phone",
        "contact_value": "+61412345678",
        "site": "kenmore",
        "preferred_times": "weekday mornings before 9",
        "consent": True,
        "triage_id": 41,
    }
    fields.update(kw)
    return Handoff(**fields)


def summary_for(outcome: str, handoff: Handoff | None = None, **kw: Any) -> Summary:
    record, answers, _ = CASES[outcome]
    row = triage_row(record, answers, **kw)
    assert row.outcome == outcome  # the case really is that outcome
    return build_summary(row, handoff, clinic=CLINIC, tz="Australia/Brisbane")


def read_pdf(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    # line breaks in the PDF may fall anywhere a space was: compare without any whitespace
    return re.sub(r"\s+", "", text).lower()


# --- each outcome -----------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", list(CASES))
def test_each_outcome_gives_a_one_page_pdf_with_its_route_answers_and_reference(outcome):
    summary = summary_for(outcome, handoff_row())
    data = summary.pdf_bytes(CREATED)
    assert data.startswith(b"%PDF-")
    reader, text = read_pdf(data)
    assert len(reader.pages) == 1
    page = squash(text)
    for phrase in CASES[outcome][2]:
        assert squash(phrase) in page, phrase
        assert phrase in summary.text
    for label, value in KEY_ANSWERS[outcome]:
        assert squash(label) in page and squash(value) in page, (label, value)
        assert f"{label}: {value}" in summary.text
    assert CODE in flat(text) and f"Reference code: {CODE}" in summary.text
    assert "7 December 2026" in flat(text)  # the day of the chat in Brisbane, not in UTC
    assert "This is not a diagnosis." in flat(text)


@pytest.mark.parametrize("outcome", ["emergency", "urgent_medical", "medical_review"])
def test_red_flag_outcomes_give_a_route_and_no_itbs_advice_or_points(outcome):
    summary = summary_for(outcome)
    text = summary.text
    assert "No exercise or running advice was given" in text
    assert "(+" not in text  # no ITBS scoring next to a route, as in the chat
    for word in ("clamshell", "compression", "your story is"):
        assert word not in text.lower()
    assert summary.content.section("next_step").urgent
    assert "000" in text


def test_itbs_result_repeats_the_advice_the_chat_gave_with_short_citations():
    summary = summary_for("book_running_assessment")
    advice = summary.content.section("advice")
    bullets = [p for p in advice.parts if isinstance(p, Bullets)]
    assert bullets, "the load plan"
    # the same load plan the chat sent for these answers (bot.triage.content.load_plan)
    from bot.triage.content import load_plan

    assert bullets[0].items == load_plan(ITBS_ANSWERS).items
    citations = [c for p in advice.parts if isinstance(p, Evidence) for c in p.citations]
    assert "Fairclough et al. 2007" in citations and "Beers et al. 2008" in citations
    assert "(+2)" in summary.text  # the reasons, as the chat gave them


def test_general_assessment_suggests_no_itbs_exercises():
    text = summary_for("general_assessment").text
    assert "Exercises for ITBS weren't suggested" in text
    assert "clamshell" not in text.lower()


# --- booking, contact and the date ------------------------------------------------------------


def test_without_a_handoff_there_is_no_code_name_or_booking_and_the_clinic_phone_is_given():
    summary = summary_for("book_running_assessment")
    text = summary.text
    assert "KNE-" not in text and "Reference" not in text
    assert "Sam" not in text and "Preferred" not in text
    assert "No booking has been made yet" in text
    assert "Phone: (07) 3000 0000" in text
    _, pdf = read_pdf(summary.pdf_bytes(CREATED))
    assert "(07) 3000 0000" in pdf and "KNE-" not in pdf


def test_handoff_details_are_shown_as_given_and_contact_details_are_not():
    summary = summary_for("book_running_assessment", handoff_row(site=None, preferred_times=None))
    text = summary.text
    assert "For Sam Taylor" in text
    assert "Preferred clinic" not in text  # no site stored: "either" or never asked
    assert "Preferred times" not in text
    assert "0412" not in text and "+61" not in text  # reception has the contact details; the page doesn't
    assert "Reception will contact you to arrange a time." in text


def test_a_handoff_of_another_triage_is_refused():
    record, answers, _ = CASES["book_running_assessment"]
    with pytest.raises(ValueError, match="another triage"):
        build_summary(triage_row(record, answers), handoff_row(triage_id=99), clinic=CLINIC, tz="UTC")
    with pytest.raises(ValueError, match="another triage"):
        build_summary(
            triage_row(record, answers), handoff_row(conversation_id="conv-2"), clinic=CLINIC, tz="UTC"
        )


def test_the_clinic_comes_from_the_settings_by_default(monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("CLINIC_PHONE", "(07) 3999 1234")
    monkeypatch.setenv("CLINIC_ADDRESS_JINDALEE", "1 Example St, Jindalee")
    get_settings.cache_clear()
    try:
        record, answers, _ = CASES["general_assessment"]
        text = build_summary(triage_row(record, answers)).text
    finally:
        get_settings.cache_clear()
    assert "Phone: (07) 3999 1234" in text
    assert "Jindalee: 1 Example St, Jindalee;" in text


def test_the_day_is_the_clinic_day_and_the_file_name_holds_nothing_personal():
    summary = summary_for("emergency", handoff_row())
    assert summary.content.day == date(2026, 12, 7)
    assert summary.filename == "knee-summary-2026-12-07.pdf"


# --- nothing the person did not give ----------------------------------------------------------


@pytest.mark.parametrize("age", [None, "skipped"])
def test_no_age_line_when_no_age_was_given(age):
    record = {k: v for k, v in ITBS_RECORD.items() if k != "age"}
    if age is not None:
        record["age"] = age
    row = triage_row(record, ITBS_ANSWERS)
    summary = build_summary(row, clinic=CLINIC, tz="Australia/Brisbane")
    assert "Age" not in [label for label, _ in told_rows(record)]
    assert not re.search(r"\bAge\b", summary.text)
    _, pdf = read_pdf(summary.pdf_bytes(CREATED))
    assert not re.search(r"\bAge\b", pdf)


def test_only_the_answers_given_are_listed():
    record = {"pain_location": "lateral", "red_flag_screen": ["locked_knee"]}
    rows = told_rows(record)
    assert rows == (
        ("Where it hurts", "Outside of the knee"),
        ("Safety check", "Knee locked and won't straighten"),
    )
    assert told_rows({}) == ()
    summary = summarise(SummaryData(outcome="general_assessment", day=date(2026, 12, 7)), CLINIC)
    assert [s.key for s in summary.content.sections] == ["next_step", "advice", "contact"]
    assert "What you told the assistant" not in summary.text


def test_not_sure_answers_say_so_and_unknown_values_are_not_invented():
    record = {
        "predictable_onset": "unsure",
        "stairs_descent_pain": False,
        "weekly_change_pct": "decreased",
        "training_changes": ["unsure"],
        "other_symptoms": ["not_a_symptom"],
        "age": "skipped",
    }
    assert told_rows(record) == (
        ("Pattern in a run", "Comes on at a predictable point and settles after stopping: not sure."),
        ("Going down stairs", "Doesn't hurt"),
        ("Training change", "Running less than before; not sure about longer runs, hills or shoes"),
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"weekly_change_pct": -20.0}, "Weekly distance down about 20%"),
        ({"mileage_delta_km": 32.2}, "About 32.2 km a week more than usual"),
        (
            {"weekly_change_pct": 0.0, "training_changes": ["none"]},
            "Weekly distance about the same; no unusually long run, extra hills or new shoes",
        ),
        ({"training_changes": ["new_shoes_or_surface"]}, "New shoes or a new surface"),
    ],
)
def test_training_changes_in_plain_words(record, expected):
    assert dict(told_rows(record))["Training change"] == expected


def test_a_very_long_free_text_answer_is_shortened_and_the_page_stays_one():
    story = "my knee " + "really hurts on the outside when I run down the big hill near home " * 40
    record = {**CASES["emergency"][0], "pain_location": story}
    summary = build_summary(triage_row(record, CASES["emergency"][1]), handoff_row(), clinic=CLINIC, tz="UTC")
    value = dict(told_rows(record))["Where it hurts"]
    assert value.startswith("“my knee really hurts") and value.endswith("” (in your words)")
    assert len(value) <= OWN_WORDS_MAX + len("“” (in your words)")
    assert "…" in value
    reader, pdf = read_pdf(summary.pdf_bytes(CREATED))
    assert len(reader.pages) == 1
    assert squash(value) in squash(pdf)
    assert story.count("big hill") > flat(pdf).count("big hill") == 1


def test_private_warning_signs_are_never_written_on_the_page():
    # spec §3a: never in a notification or a preview; a PDF can be seen on a phone or a printer
    data = SummaryData(
        outcome="urgent_medical",
        day=date(2026, 12, 7),
        red_flags=("family_violence",),
        reasons=("You told me you don't feel safe with someone close to you.",),
        answers={"pain_location": "lateral"},
    )
    summary = summarise(data, CLINIC)
    assert summary.content.withheld_private_sign
    for word in ("safe with", "violence", "1800RESPECT", "Warning signs you mentioned", "GP today"):
        assert word not in summary.text
    _, pdf = read_pdf(summary.pdf_bytes(CREATED))
    assert "safe with" not in pdf and "someone close" not in pdf
    # a route anyone may read still stands
    assert "Please follow the advice the assistant gave you in the chat." in summary.text
    assert "If you or someone else is in danger now, call 000." in summary.text


def test_a_private_sign_next_to_another_hides_only_itself_and_its_reason():
    data = SummaryData(
        outcome="emergency",
        day=date(2026, 12, 7),
        red_flags=("suicide_risk", "calf_dvt_signs"),
        reasons=("You told me about thoughts of ending your life.", "One calf is swollen.", "ITBS line."),
    )
    summary = summarise(data, CLINIC)
    assert summary.content.withheld_private_sign
    assert "ending your life" not in summary.text and "ITBS line" not in summary.text
    assert "• Pain, swelling, warmth or redness in one calf (same-day check)" in summary.text
    assert "• One calf is swollen." in summary.text
    assert "Call 000 now" in summary.text


def test_with_a_private_sign_no_words_of_the_person_are_quoted():
    # the message that disclosed it may be the unvalidated text left in an answer
    data = SummaryData(
        outcome="emergency",
        day=date(2026, 12, 7),
        red_flags=("suicide_risk",),
        answers={
            "pain_location": "lateral",
            "onset": "honestly I just want it all to end",
            "red_flag_screen": ["suicide_risk", "nerve_symptoms"],
            "age": 29,
        },
    )
    summary = summarise(data, CLINIC)
    rows = dict(summary.content.section("told").parts[0].rows)
    assert rows == {
        "Where it hurts": "Outside of the knee",
        "Safety check": "Numbness, pins and needles or foot drop",
        "Age": "29",
    }
    assert "all to end" not in summary.text and "in your words" not in summary.text


def test_a_sign_more_urgent_than_usual_is_listed_with_the_route_it_had():
    # fainting while still unwell is an emergency (spec §3a), though usually a GP today
    data = SummaryData(outcome="emergency", day=date(2026, 12, 7), red_flags=("collapse_or_syncope",))
    text = summarise(data, CLINIC).text
    assert "• Fainting or nearly fainting with exercise (emergency)" in text
    assert not summarise(data, CLINIC).content.withheld_private_sign


# --- the PDF itself ---------------------------------------------------------------------------


def test_the_pdf_says_what_the_plain_text_says():
    summary = summary_for("book_running_assessment", handoff_row())
    _, pdf = read_pdf(summary.pdf_bytes(CREATED))
    page = squash(pdf)
    content = summary.content
    expected = [content.title, content.clinic_line, content.intro, *content.meta, *content.footer]
    for section in content.sections:
        expected.append(section.title)
        for part in section.parts + section.aside:
            if isinstance(part, (Paragraph, Subheading, Evidence)):
                expected.append(part.text)
            elif isinstance(part, Bullets):
                expected += part.items
            elif isinstance(part, Rows):
                expected += [x for row in part.rows for x in row]
    for line in expected:
        assert line in summary.text or line.upper() in summary.text, line
        assert squash(pdf_text(line)) in page, line


def test_same_content_and_date_give_the_same_bytes_and_the_metadata_is_set():
    summary = summary_for("urgent_medical", handoff_row())
    first = summary.pdf_bytes(CREATED)
    assert first == summary.pdf_bytes(CREATED)
    assert first != summary.pdf_bytes(datetime(2027, 1, 1, tzinfo=timezone.utc))
    reader, _ = read_pdf(first)
    assert reader.metadata.title == "Knee pain check: your summary"
    assert "Kenmore and Jindalee" in reader.metadata.author
    assert reader.metadata.creation_date.date() == CREATED.date()


def test_the_longest_realistic_summary_still_fits_one_readable_page():
    # every answer, the biggest load plan, and the longest handoff fields
    summary = summary_for(
        "book_running_assessment",
        handoff_row(
            name="Alexandra Catherine Montgomery-Fitzwilliam " * 3,
            preferred_times="weekday mornings before 9, or Saturday mornings, but not Thursdays " * 3,
        ),
        channel="web",
    )
    reader, pdf = read_pdf(summary.pdf_bytes(CREATED))
    assert len(reader.pages) == 1
    size = fitted_font_size(summary.content)
    assert size is not None and size >= 8.0, size


def test_every_warning_sign_and_long_answers_at_once_still_fit_one_page():
    long = "it is hard to describe but " * 30
    flags = tuple(RED_FLAG_ROUTES)
    data = SummaryData(
        outcome="emergency",
        day=date(2026, 12, 7),
        red_flags=flags,
        reasons=tuple(f"A long reason for {f}, " + "explained with care and in full, " * 8 for f in flags),
        answers=dict.fromkeys(EVERY_ANSWER, long),
        reference_code=CODE,
        handoff_reason="red_flag_follow_up",
        name="Sam Taylor",
    )
    summary = summarise(data, CLINIC)
    reader, _ = read_pdf(summary.pdf_bytes(CREATED))
    assert len(reader.pages) == 1
    assert fitted_font_size(summary.content) is not None


def test_a_typical_summary_is_printed_larger_than_the_floor():
    summary = summary_for("general_assessment", handoff_row())
    assert fitted_font_size(summary.content) == FONT_SIZES[0]


def test_characters_outside_the_core_fonts_are_mapped_not_lost():
    assert pdf_text("age ≥ 55 – “fine” ’ • 30° · …") == "age >= 55 – “fine” ’ • 30° · …"
    assert pdf_text("Nguyễn 🏃 Łukasz") == "Nguyen  Lukasz"
    for char in pdf_text("Nguyễn 🏃 Łukasz ≥ → ‑"):
        char.encode("cp1252")
    data = SummaryData(
        outcome="general_assessment",
        day=date(2026, 12, 7),
        answers={"pain_location": "hurts 😩 on the outside ≥ 5 km"},
        reference_code=CODE,
        name="Nguyễn Thị Minh",
    )
    summary = summarise(data, CLINIC)
    assert "Nguyễn" in summary.text  # the chat text keeps every character
    _, pdf = read_pdf(render_pdf(summary.content, CREATED))
    assert "For Nguyen Thi Minh" in flat(pdf)
    assert "on the outside >= 5 km" in flat(pdf)


def test_an_unknown_outcome_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown outcome"):
        summarise(SummaryData(outcome="maybe", day=date(2026, 12, 7)), CLINIC)

"""What the one-page summary says, as plain data: built from a finished triage, rendered elsewhere.

The summary is what a person keeps after the chat and may hand to a GP or physio. It repeats what
the assistant said at the result (`actions/results.py`), from the same sources: the outcome and
red-flag labels, the engine's reasons, and the advice of `bot/triage/content.py` (compression
model, this person's load plan, hip exercises) with short citations. Nothing is added that the
person did not give: an answer that was never given, or skipped (age), has no line at all.

Pure: no database, no settings, no I/O. `SummaryData` is the input (built from a `Triage` row and
an optional `Handoff` by `SummaryData.from_rows`, attribute reads only); `build_content` turns it
into a `SummaryContent` of sections, which `bot/summary/text.py` and `bot/summary/pdf.py` render
the same way, so the chat text and the PDF cannot say different things.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.triage import content as advice
from bot.triage.engine import OUTCOMES, RED_FLAG_ROUTES, TriageAnswers

if TYPE_CHECKING:  # duck-typed at run time: this module never imports the database layer
    from bot.db.models import Handoff, Triage

EMERGENCY_NUMBER = advice.EMERGENCY_NUMBER
HEALTHDIRECT_NUMBER = "1800 022 222"
RED_FLAG_OUTCOMES = frozenset({"emergency", "urgent_medical", "medical_review"})

# The person's own words are kept short: a summary is read in a minute, and a long message
# pasted into an answer must not push the page past one sheet.
OWN_WORDS_MAX = 80
NAME_MAX = 60
# Bounds on what the stored row may hold, so the page stays one sheet whatever is in it.
REASON_MAX = 320
REASONS_MAX = 12

# Two signs of spec §3a are never written on the page: a PDF can be seen on a phone, printed, or
# shown in a preview by someone else (the spec: never in a notification or a preview). The chat
# gives their route and support numbers; the page says only what is safe for anyone to read.
PRIVATE_FLAGS = frozenset({"suicide_risk", "family_violence"})

# Values the conversation stores instead of an answer (actions/slots.py).
UNSURE = "unsure"
SKIPPED = "skipped"
NONE_OF_THESE = "none"
DECREASED = "decreased"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteDetails:
    name: str
    hours: str = ""
    address: str = ""


@dataclass(frozen=True)
class ClinicDetails:
    """The clinic as the summary names it (filled from `bot.settings` by `bot.summary`)."""

    phone: str
    sites: tuple[SiteDetails, ...] = (SiteDetails("Kenmore"), SiteDetails("Jindalee"))
    name: str = "Sports physiotherapy, Kenmore and Jindalee (Brisbane)"


@dataclass(frozen=True)
class SummaryData:
    """Everything a summary may show. A field left empty is left out of the summary.

    `answers` is the triage's stored record as the conversation keeps it (slot name → value,
    `actions.slots.answers_record`): `pain_location`, `onset`, `onset_details`, `injury_recent`,
    `can_walk_four_steps`, `can_bend_90`, `red_flag_screen`, `predictable_onset`,
    `downhill_worse`, `stairs_descent_pain`, `weekly_change_pct`, `mileage_delta_km`,
    `training_changes`, `other_symptoms`, `age`. A value that isn't one the validators store is
    the person's unvalidated text (the questions stopped at a red flag) and is quoted, shortened.
    """

    outcome: str
    day: date  # the day of the chat, in the clinic's time zone
    itbs_likelihood: str | None = None
    red_flags: tuple[str, ...] = ()  # most urgent first, as the engine orders them
    reasons: tuple[str, ...] = ()  # the engine's: one per flag first, then likelihood, points, pointers
    answers: Mapping[str, Any] = field(default_factory=dict)
    channel: str | None = None
    # from a handoff, when the person asked for one
    reference_code: str | None = None
    handoff_reason: str | None = None
    name: str | None = None
    site: str | None = None
    preferred_times: str | None = None

    @classmethod
    def from_rows(
        cls, triage: Triage, handoff: Handoff | None = None, *, tz: str = "Australia/Brisbane"
    ) -> SummaryData:
        """From a stored `Triage` row and, when the person asked for one, their `Handoff`."""
        if handoff is not None and (
            (handoff.triage_id is not None and handoff.triage_id != triage.id)
            or handoff.conversation_id != triage.conversation_id
        ):
            # One person's summary must never carry another person's booking.
            raise ValueError("the handoff belongs to another triage")
        created = triage.created_at
        if created.tzinfo is None:  # the models always hand back aware UTC; be safe anyway
            created = created.replace(tzinfo=timezone.utc)
        return cls(
            outcome=triage.outcome,
            day=created.astimezone(ZoneInfo(tz)).date(),
            itbs_likelihood=triage.itbs_likelihood,
            red_flags=tuple(triage.red_flags or ()),
            reasons=tuple(triage.reasons or ()),
            answers=dict(triage.answers or {}),
            channel=triage.channel,
            reference_code=handoff.reference_code if handoff else None,
            handoff_reason=handoff.reason if handoff else None,
            name=handoff.name if handoff else None,
            site=handoff.site if handoff else None,
            preferred_times=handoff.preferred_times if handoff else None,
        )


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Rows:
    rows: tuple[tuple[str, str], ...]  # (label, value)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Evidence:
    citations: tuple[str, ...]  # short forms: "Fairclough et al. 2006"

    @property
    def text(self) -> str:
        return "Evidence: " + "; ".join(self.citations) + "."


Part = Paragraph | Rows | Bullets | Subheading | Evidence


@dataclass(frozen=True)
class Section:
    key: str  # next_step | told | why | advice | contact
    title: str
    parts: tuple[Part, ...]
    urgent: bool = False  # a red-flag route: shown so it can't be missed
    aside: tuple[Part, ...] = ()  # beside the parts on paper (a right-hand column), after them in text


@dataclass(frozen=True)
class SummaryContent:
    title: str
    clinic_line: str
    meta: tuple[str, ...]  # the day of the chat, the reference code, who it is for
    intro: str
    sections: tuple[Section, ...]
    footer: tuple[str, ...]
    day: date
    # A sign that is never written down (PRIVATE_FLAGS) was part of this triage: the caller may
    # prefer not to send the page unasked (Telegram shows a preview of a document's first page).
    withheld_private_sign: bool = False

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


# --- small helpers ----------------------------------------------------------------------------


def day_text(day: date) -> str:
    """ "7 December 2026": the same in every locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def shorten(text: str, limit: int) -> str:
    """One line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def own_words(text: str) -> str:
    """An answer the assistant could not read into a value, quoted as the person wrote it."""
    return f"“{shorten(text, OWN_WORDS_MAX)}” (in your words)"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list(value: Any) -> list[str] | None:
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _short_citations(keys: Iterable[str]) -> Evidence:
    return Evidence(tuple(advice.EVIDENCE[k].short for k in dict.fromkeys(keys)))


# --- what the person told ---------------------------------------------------------------------

_LOCATIONS = {
    "lateral": "Outside of the knee",
    "anterior": "Front of the knee, around the kneecap",
    "medial": "Inside of the knee",
    "posterior": "Back of the knee",
    "diffuse": "The whole knee",
    "hip_thigh": "Hip or thigh",
}
_ONSETS = {"gradual": "Gradually, over days or weeks of running", "sudden_injury": "Suddenly, with an injury"}
_ONSET_DETAILS = {
    "twist_or_landing_injury": "a twist or an awkward landing",
    "blow_to_inside_of_knee": "a knock to the inside of the knee",
}
_TRAINING_CHANGES = {
    "long_run_spike": "a run much longer than usual",
    "more_hills": "more hills or downhill",
    "new_shoes_or_surface": "new shoes or a new surface",
}
_SYMPTOMS = {
    "mechanical": "catching, locking or giving way",
    "joint_line_pain": "pain along the joint line",
    "twist_or_landing_injury": "a twisting or landing injury",
    "blow_to_inside_of_knee": "a knock to the inside of the knee",
    "outer_ligament_pain": "pain over the outer ligament",
    "kneecap_sitting_squatting": "kneecap pain sitting or squatting",
    "worse_sprinting": "worse when sprinting",
    "back_movement_changes": "changes when moving the back",
    "pins_and_needles": "pins and needles",
    "morning_stiffness_short": "morning stiffness under 30 minutes",
}


def _yes_no(value: Any, yes: str = "Yes", no: str = "No", unsure: str = "Not sure") -> str | None:
    if value is True:
        return yes
    if value is False:
        return no
    if value == UNSURE:
        return unsure
    if isinstance(value, str) and value.strip():
        return own_words(value)
    return None


def _choice(value: Any, labels: Mapping[str, str]) -> str | None:
    if isinstance(value, str) and value in labels:
        return labels[value]
    return _yes_no(value) if isinstance(value, str) else None


def _names(value: Any, labels: Mapping[str, str], none_text: str) -> str | None:
    names = _list(value)
    if names is None:
        return own_words(value) if isinstance(value, str) and value.strip() else None
    if not names:
        return None
    if names == [NONE_OF_THESE]:
        return none_text
    if names == [UNSURE]:
        return "Not sure"
    known = [labels[n] for n in names if n in labels]
    return _sentence_case("; ".join(known)) if known else None


def _onset(answers: Mapping[str, Any]) -> str | None:
    text = _choice(answers.get("onset"), _ONSETS)
    details = [_ONSET_DETAILS[d] for d in _list(answers.get("onset_details")) or () if d in _ONSET_DETAILS]
    if text and details and answers.get("onset") == "sudden_injury":
        text += " (" + " and ".join(details) + ")"
    return text


def _pattern(answers: Mapping[str, Any]) -> str | None:
    parts = []
    predictable = _yes_no(answers.get("predictable_onset"), "yes", "no", "not sure")
    if predictable:
        parts.append(f"Comes on at a predictable point and settles after stopping: {predictable}.")
    downhill = _yes_no(answers.get("downhill_worse"), "yes", "no", "not sure")
    if downhill:
        parts.append(f"Worse running downhill: {downhill}.")
    return " ".join(parts) or None


def _weekly(answers: Mapping[str, Any]) -> str | None:
    pct = answers.get("weekly_change_pct")
    if _is_number(pct):
        if round(pct) == 0:
            return "weekly distance about the same"
        direction = "up" if pct > 0 else "down"
        return f"weekly distance {direction} about {abs(pct):.0f}%"
    if pct == DECREASED:
        return "running less than before"
    if pct == UNSURE:
        return "not sure how the weekly distance changed"
    delta = answers.get("mileage_delta_km")
    if _is_number(delta) and delta > 0:
        # asked for the usual distance next; the chat ended first
        return f"about {delta:g} km a week more than usual"
    if isinstance(pct, str) and pct.strip():
        return own_words(pct)
    return None


def _training(answers: Mapping[str, Any]) -> str | None:
    parts = []
    weekly = _weekly(answers)
    if weekly:
        parts.append(weekly)
    changes = _list(answers.get("training_changes"))
    if changes is None and isinstance(answers.get("training_changes"), str):
        parts.append(own_words(answers["training_changes"]))
    elif changes == [NONE_OF_THESE]:
        parts.append("no unusually long run, extra hills or new shoes")
    elif changes == [UNSURE]:
        parts.append("not sure about longer runs, hills or shoes")
    elif changes:
        parts.extend(_TRAINING_CHANGES[c] for c in changes if c in _TRAINING_CHANGES)
    return _sentence_case("; ".join(parts)) if parts else None


def _age(value: Any) -> str | None:
    if _is_number(value):
        return f"{value:g}"
    if value == SKIPPED or not isinstance(value, str) or not value.strip():
        return None  # not given: no line at all
    return own_words(value)


# The strings the validators store for each answer; any other string is the person's own text.
_STORED_STRINGS: dict[str, frozenset[str]] = {
    "pain_location": frozenset(_LOCATIONS) | {UNSURE},
    "onset": frozenset(_ONSETS) | {UNSURE},
    "weekly_change_pct": frozenset({DECREASED, UNSURE}),
    "age": frozenset({SKIPPED}),
}


def without_own_words(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers less any unvalidated text: used when a private sign was part of the chat, since
    the message that disclosed it may be the very text left in an answer."""
    return {
        key: value
        for key, value in answers.items()
        if not isinstance(value, str) or value in _STORED_STRINGS.get(key, frozenset({UNSURE}))
    }


def told_rows(answers: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each answer given, labelled in plain words, in the order the questions are asked."""
    screen = _list(answers.get("red_flag_screen"))
    if screen is not None:
        # a private sign named at the safety check is left out like everywhere else
        answers = {**answers, "red_flag_screen": [f for f in screen if f not in PRIVATE_FLAGS]}
    rows = (
        ("Where it hurts", _choice(answers.get("pain_location"), _LOCATIONS)),
        ("How it started", _onset(answers)),
        ("Injury in the last 7 days", _yes_no(answers.get("injury_recent"), "Yes", "No, longer ago")),
        ("Can take four steps", _yes_no(answers.get("can_walk_four_steps"))),
        ("Can bend to 90°", _yes_no(answers.get("can_bend_90"))),
        (
            "Safety check",
            _names(answers.get("red_flag_screen"), advice.RED_FLAG_LABELS, "None of the warning signs"),
        ),
        ("Pattern in a run", _pattern(answers)),
        ("Going down stairs", _yes_no(answers.get("stairs_descent_pain"), "Hurts", "Doesn't hurt")),
        ("Training change", _training(answers)),
        ("Other symptoms", _names(answers.get("other_symptoms"), _SYMPTOMS, "None of these")),
        ("Age", _age(answers.get("age"))),
    )
    return tuple((label, value) for label, value in rows if value)


# --- outcome, warning signs, why ----------------------------------------------------------------

# Names for the §3a signs (bot/triage/content.py names those of §3).
_OTHER_FLAG_LABELS = {
    "cardiac_chest_pain": "Chest pain, pressure or tightness",
    "collapse_or_syncope": "Fainting or nearly fainting with exercise",
    "stroke_signs": "Signs of a stroke (face, arm, speech)",
    "heat_illness": "Signs of heat illness after running",
    "anaphylaxis": "Signs of a severe allergic reaction",
    "thunderclap_headache": "A sudden, severe headache",
    "cauda_equina": "Back pain with saddle numbness, bladder or bowel changes, or weak legs",
}
_ROUTE_WORDS = {"emergency": "emergency", "urgent_medical": "same-day check", "medical_review": "GP soon"}


def _flag_label(flag: str) -> str:
    return advice.RED_FLAG_LABELS.get(flag) or _OTHER_FLAG_LABELS.get(flag) or "A warning sign from the chat"


def _flag_routes(data: SummaryData) -> dict[str, str | None]:
    """Each flag's route. The engine orders flags by the route they had, and a sign can be more
    urgent than usual while it is happening (fainting and still unwell): when no flag's usual
    route is the outcome, the first flag is the one that set it."""
    routes: dict[str, str | None] = {f: RED_FLAG_ROUTES.get(f) for f in data.red_flags}
    if data.red_flags and data.outcome in RED_FLAG_OUTCOMES and data.outcome not in routes.values():
        routes[data.red_flags[0]] = data.outcome
    return routes


def _shown_flags(data: SummaryData) -> list[tuple[str, str | None]]:
    """(flag, its reason) for every flag that may be written down, most urgent first."""
    return [
        (flag, data.reasons[i] if i < len(data.reasons) else None)
        for i, flag in enumerate(data.red_flags)
        if flag not in PRIVATE_FLAGS
    ]


def _healthdirect() -> str:
    return f"healthdirect on {HEALTHDIRECT_NUMBER}"


def _route_parts(data: SummaryData, flags: list[str]) -> list[Part]:
    sites = advice.SITES
    if data.outcome in RED_FLAG_OUTCOMES and data.red_flags and not flags:
        # every sign is private: a route anyone may read, nothing about what was said
        return [
            Paragraph("Please follow the advice the assistant gave you in the chat.", True),
            Paragraph(
                f"If you or someone else is in danger now, call {EMERGENCY_NUMBER}. Our team is "
                "glad to talk with you too: call us on the number below."
            ),
        ]
    if data.outcome == "emergency":
        return [
            Paragraph(
                f"Call {EMERGENCY_NUMBER} now, or go straight to the nearest emergency department.", True
            ),
            Paragraph("Please don't wait to see if it settles, and don't drive yourself if you feel unwell."),
        ]
    if data.outcome == "urgent_medical":
        detail = []
        if "ottawa_xray_criteria" in flags:
            detail.append(
                "After a recent knee injury like this, an X-ray may be needed to rule out a fracture."
            )
        detail += [
            "Please don't run until it has been checked.",
            f"For nurse advice any time, call {_healthdirect()}. If it gets much worse, or you feel very "
            f"unwell, call {EMERGENCY_NUMBER}.",
        ]
        return [
            Paragraph("See a GP today, or go to an emergency department if you can't get in today.", True),
            Paragraph(" ".join(detail)),
        ]
    if data.outcome == "medical_review":
        return [
            Paragraph("See your GP soon, ideally within the next few days.", True),
            Paragraph(
                "It isn't an emergency, but a doctor should check this first; our physios at "
                f"{sites} can help after that. For nurse advice in the meantime, call "
                f"{_healthdirect()}. Call {EMERGENCY_NUMBER} if weakness or numbness spreads, both "
                "legs are affected, or your bladder or bowel control changes."
            ),
        ]
    if data.outcome == "book_running_assessment":
        return [
            Paragraph(f"Book a running and hip assessment with one of our physios at {sites}.", True),
            Paragraph(_likelihood_line(data)),
            Paragraph(
                f"Stop running and see a GP, or call {_healthdirect()}, if you get swelling, locking, "
                f"numbness or pain at night. In an emergency, call {EMERGENCY_NUMBER}."
            ),
        ]
    return [
        Paragraph(f"Book a standard physio assessment at {sites} to work out what's going on.", True),
        Paragraph(_likelihood_line(data)),
        Paragraph(
            f"If it gets worse, see a GP or call {_healthdirect()}. In an emergency, call {EMERGENCY_NUMBER}."
        ),
    ]


def _next_step(data: SummaryData) -> Section:
    flags = [f for f, _ in _shown_flags(data)]
    parts = _route_parts(data, flags)
    if flags:
        routes = _flag_routes(data)
        parts.append(Subheading("Warning signs you mentioned"))
        parts.append(
            Bullets(
                tuple(
                    f"{_flag_label(f)} ({_ROUTE_WORDS[route]})"
                    if (route := routes.get(f))
                    else _flag_label(f)
                    for f in flags
                )
            )
        )
    return Section("next_step", "Next step", tuple(parts), urgent=data.outcome in RED_FLAG_OUTCOMES)


_LIKELIHOOD_WORDS = {"high": "very typical", "moderate": "fairly typical", "low": "not typical"}


def _likelihood_line(data: SummaryData) -> str:
    words = _LIKELIHOOD_WORDS.get(data.itbs_likelihood or "")
    if words is None:
        return "This is an estimate from your answers, not a diagnosis."
    line = f"How typical of iliotibial band syndrome (ITBS) your story is: {words}."
    if data.outcome == "general_assessment":
        return line + " That's not a worry in itself. It's an estimate from your answers, not a diagnosis."
    return line + " This is an estimate from your answers, not a diagnosis."


def _why(data: SummaryData) -> Section | None:
    # The engine's reasons: one per flag first (private ones left out), then the ITBS lines.
    reasons = [r for _, r in _shown_flags(data) if r]
    if data.outcome not in RED_FLAG_OUTCOMES:
        # no ITBS points next to a route, as in the chat
        reasons += data.reasons[len(data.red_flags) :]
    reasons = [shorten(r, REASON_MAX) for r in reasons[:REASONS_MAX] if r and r.strip()]
    if not reasons:
        return None
    parts: list[Part] = [Bullets(tuple(reasons))]
    if "ottawa_xray_criteria" in data.red_flags:
        parts.append(_short_citations(["stiell1996"]))
    return Section("why", "Why this next step", tuple(parts))


# --- advice -----------------------------------------------------------------------------------


def engine_answers(answers: Mapping[str, Any]) -> TriageAnswers:
    """The few answers the load plan is personalised from, read from the stored record the way
    `actions.slots.answers_from_slots` reads the slots (bot/ must not import actions/)."""
    changes = set(_list(answers.get("training_changes")) or ())
    pct = answers.get("weekly_change_pct")
    downhill = answers.get("downhill_worse")
    return TriageAnswers(
        downhill_worse=downhill if isinstance(downhill, bool) else None,
        weekly_change_pct=float(pct) if _is_number(pct) else None,
        long_run_spike="long_run_spike" in changes,
        more_hills="more_hills" in changes,
    )


def _advice(data: SummaryData) -> Section:
    if data.outcome in RED_FLAG_OUTCOMES:
        parts: tuple[Part, ...] = (
            Paragraph(
                "No exercise or running advice was given, because this needs a medical check first. "
                "Once a doctor has cleared it, our physios can help with the rest."
            ),
        )
    elif data.outcome == "book_running_assessment":
        compression = advice.compression_model(short=True)
        plan = advice.load_plan(engine_answers(data.answers))
        hips = advice.hip_exercises()
        names = [item.split(":", 1)[0] for item in hips.items]
        exercises = ", ".join([names[0]] + [n[:1].lower() + n[1:] for n in names[1:]])
        parts = (
            Subheading("Why it hurts: compression, not friction"),
            Paragraph(compression.text),
            _short_citations(compression.evidence_keys),
            Subheading("Your running for now"),
            Bullets(plan.items),
            _short_citations(plan.evidence_keys),
            Subheading("Hip strength"),
            Paragraph(
                f"{exercises}. In the studies, programs like this ran for about 6 weeks; a physio can "
                "set the right sets and reps. Working hard is fine; stop any exercise that gives you "
                "sharp pain."
            ),
            _short_citations(hips.evidence_keys),
        )
    else:
        parts = (
            Paragraph(
                "Exercises for ITBS weren't suggested, because your answers point to something that "
                "needs a proper look first. The assessment checks the joint, the ligaments, the "
                "cartilage and the kneecap, and gives you a plan that fits what the physio finds. "
                "Until then, keep to activity that doesn't increase the pain."
            ),
        )
    return Section("advice", "Advice from the chat", parts)


# --- booking and contact ----------------------------------------------------------------------

_HANDOFF_REASONS = {
    "booking": ("Booking request", "Reception will contact you to arrange a time."),
    "talk_to_person": ("Asked to talk to someone", "Reception will contact you."),
    "red_flag_follow_up": ("Follow-up after a warning sign", "Reception will contact you to follow up."),
}


def _contact(data: SummaryData, clinic: ClinicDetails) -> Section:
    parts: list[Part] = []
    if data.reference_code:
        request, promise = _HANDOFF_REASONS.get(
            data.handoff_reason or "", ("Request", "Reception will contact you.")
        )
        rows = [("Reference code", data.reference_code), ("Request", request)]
        # No site stored means "either" or never asked: we can't tell, so no line.
        site = next((s.name for s in clinic.sites if s.name.lower() == (data.site or "").lower()), None)
        if site:
            rows.append(("Preferred clinic", site))
        if data.preferred_times and data.preferred_times.strip():
            rows.append(("Preferred times", shorten(data.preferred_times, OWN_WORDS_MAX)))
        parts.append(Rows(tuple(rows)))
        parts.append(Paragraph(f"{promise} Please quote the reference code if you call us."))
    elif data.outcome in RED_FLAG_OUTCOMES:
        parts.append(
            Paragraph(
                'Once a doctor has checked it, our physios can help: call us, or type "book" in the chat.'
            )
        )
    else:
        parts.append(Paragraph('No booking has been made yet. To book, call us, or type "book" in the chat.'))
    clinic_rows = [("Phone", clinic.phone)]
    for site in clinic.sites:
        where = "; ".join(p for p in (site.address, site.hours) if p)
        if where:
            clinic_rows.append((site.name, where))
    return Section("contact", "Booking and contact", tuple(parts), aside=(Rows(tuple(clinic_rows)),))


# --- the whole summary ------------------------------------------------------------------------

_CHANNELS = {"web": "the clinic's website", "telegram": "Telegram"}


def build_content(data: SummaryData, clinic: ClinicDetails) -> SummaryContent:
    """The summary's sections for one finished triage. Unknown outcome → ValueError."""
    if data.outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome: {data.outcome}")
    chat = f"Chat on {day_text(data.day)}"
    if data.channel in _CHANNELS:
        chat += f" ({_CHANNELS[data.channel]})"
    meta = [chat]
    if data.reference_code:
        meta.append(f"Reference {data.reference_code}")
    if data.name and data.name.strip():
        meta.append(f"For {shorten(data.name, NAME_MAX)}")

    private = any(f in PRIVATE_FLAGS for f in data.red_flags)
    told = told_rows(without_own_words(data.answers) if private else data.answers)
    sections = [_next_step(data)]
    if told:
        sections.append(Section("told", "What you told the assistant", (Rows(told),)))
    why = _why(data)
    if why is not None:
        sections.append(why)
    sections += [_advice(data), _contact(data, clinic)]

    return SummaryContent(
        title="Knee pain check: your summary",
        clinic_line=clinic.name,
        meta=tuple(meta),
        intro=(
            "What you told the clinic's chat assistant about your knee, and the next step it suggested. "
            "You're welcome to show it to your GP or physio."
        ),
        sections=tuple(sections),
        footer=(
            "This is not a diagnosis. It records an automated chat: the assistant screens for warning "
            "signs and estimates how typical a story is of iliotibial band syndrome (ITBS). A "
            "physiotherapist or doctor will assess you in person.",
            f"In an emergency call {EMERGENCY_NUMBER}. Nurse advice any time: {_healthdirect()}.",
        ),
        day=data.day,
        withheld_private_sign=private,
    )

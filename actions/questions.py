"""What the assistant asks, in one table: wording, an example answer, buttons, and why it asks.

Buttons send their own title as plain text, so a tap and a typed answer take the same path
through NLU and the parsers in `bot.triage.parsing`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    text: str
    example: str  # shown once when an answer wasn't understood
    buttons: tuple[str, ...]
    why: str  # the clinical purpose, for "why do you ask?"


YES_NO = ("Yes", "No", "Not sure")

TRIAGE_QUESTIONS: dict[str, Question] = {
    "pain_location": Question(
        text="Where on your knee do you feel the pain?",
        example="on the outside of my right knee",
        buttons=(
            "Outside of the knee",
            "Front / around the kneecap",
            "Inside of the knee",
            "Back of the knee",
            "Whole knee",
            "Hip or thigh",
        ),
        why=(
            "Where it hurts is the biggest clue. ITB pain sits on the outside of the knee; pain at "
            "the front, inside or back usually comes from other structures that need a different plan."
        ),
    ),
    "onset": Question(
        text='How did it start: gradually over days or weeks of running, or suddenly with an injury such as a twist, fall, knock or a "pop"?',
        example="it crept up over a few weeks of running",
        buttons=("Gradually, with running", "Suddenly, with an injury"),
        why=(
            "ITB pain builds up gradually with running. Pain that starts with a twist, fall or knock "
            "points to an injury of the joint or a ligament, and after a recent injury we also check "
            "whether an X-ray might be needed."
        ),
    ),
    "injury_recent": Question(
        text="Did the injury happen in the last 7 days?",
        example="yes, it was last Saturday",
        buttons=YES_NO,
        why=(
            "In the first week after a knee injury, a few simple checks (the Ottawa knee rules) tell "
            "whether an X-ray is worth having before anything else."
        ),
    ),
    "can_walk_four_steps": Question(
        text="Since the injury, can you take four steps in a row on that leg, even with a limp?",
        example="yes, I can walk but I'm limping",
        buttons=YES_NO,
        why=(
            "Not being able to take four steps after an injury is one of the Ottawa knee rules: it "
            "means the knee should be checked, possibly with an X-ray, the same day."
        ),
    ),
    "can_bend_90": Question(
        text="Can you bend that knee to a right angle (90°), like sitting on a chair?",
        example="no, it won't bend that far",
        buttons=YES_NO,
        why=(
            "Not being able to bend the knee to 90° after an injury is another Ottawa knee rule "
            "pointing to a same-day check."
        ),
    ),
    "red_flag_screen": Question(
        text=(
            "Safety check: do any of these apply to you right now? Tap any that do, or describe it "
            "in your own words."
        ),
        example="none of these",
        buttons=(
            "Calf pain or swelling with breathlessness or chest pain",
            "Hot, red, swollen knee with fever",
            "Calf pain, swelling or redness in one leg",
            "Knee locked, can't straighten it",
            "Swelled up fast after an injury or a pop",
            "Numbness, pins and needles or foot drop",
            "Pain at night or at rest, weight loss or a lump",
            "None of these",
        ),
        why=(
            "These signs can mean a clot, an infection, a fracture, a nerve problem or something "
            "else that needs a doctor before any exercise advice. I check them for everyone."
        ),
    ),
    "predictable_onset": Question(
        text=(
            "When you run, does the pain come on at a fairly predictable time or distance (say, "
            "always around the 5 km mark) and settle soon after you stop?"
        ),
        example="yes, always at about 4 km and it eases when I walk",
        buttons=YES_NO,
        why=(
            "Pain that arrives at a repeatable point in a run and settles after stopping is one of "
            "the most typical features of ITB syndrome."
        ),
    ),
    "downhill_worse": Question(
        text="Is it worse running downhill?",
        example="yes, downhills are the worst",
        buttons=YES_NO,
        why=(
            "Running downhill keeps the knee longer in the slightly bent position (about 30°) where "
            "the ITB presses hardest on the sensitive tissue under it."
        ),
    ),
    "stairs_descent_pain": Question(
        text="Does it hurt going down stairs?",
        example="only going down, not up",
        buttons=YES_NO,
        why=(
            "Going down stairs bends the knee through the same 30° zone where the ITB compresses the "
            "tissue beneath it, so it often hurts with ITB pain."
        ),
    ),
    "weekly_change_pct": Question(
        text=(
            "Has your running changed lately? Tell me your weekly distance before and now, "
            'in km or miles (e.g. "30 to 45 km a week"), or tap one.'
        ),
        example="I went from 30 to 45 km a week",
        buttons=("About the same", "Up 10–30%", "Up more than 30%", "Less than before"),
        why=(
            "A quick jump in running load is the most common trigger for ITB pain, and it shapes "
            "the plan I suggest for easing back."
        ),
    ),
    "training_changes": Question(
        text=(
            "In the last month, have you done any of these? A single run much longer than your "
            "usual longest, more hills or downhill, or new shoes or a new surface."
        ),
        example="my long run went from 15 to 22 km",
        buttons=(
            "A run much longer than usual",
            "More hills or downhill",
            "New shoes or surface",
            "None of these",
        ),
        why=(
            "One run much longer than anything in the previous month is a well-supported warning "
            "sign for running injuries, and more hills load the outside of the knee."
        ),
    ),
    "other_symptoms": Question(
        text="Any of these as well? Tap any that apply, or describe them.",
        example="it sometimes catches",
        buttons=(
            "Catching, locking or giving way",
            "Pain along the joint line",
            "Hurts around the kneecap sitting or squatting",
            "Worse when sprinting",
            "Changes when I move my back",
            "Stiff for under 30 min in the morning",
            "None of these",
        ),
        why=(
            "These point to other causes of knee pain (cartilage, kneecap, tendons, the back or "
            "arthritis), which need a different kind of assessment."
        ),
    ),
    "age": Question(
        text="Last one, and optional: how old are you? You can tap Skip.",
        example="I'm 42",
        buttons=("Skip",),
        why=(
            "Age changes a few checks: after an injury at 55 or over an X-ray is more often needed, "
            "and from the mid-40s joint stiffness is more likely to be arthritis."
        ),
    ),
}

BOOKING_QUESTIONS: dict[str, Question] = {
    "booking_name": Question(
        text="What name should reception ask for?",
        example="Sam Taylor",
        buttons=(),
        why="So reception knows who they're calling back.",
    ),
    # Asked only when Cliniko books the appointment and the name given was one word: a new
    # Cliniko patient needs a first and a last name (ValidateBookingForm.required_slots).
    "booking_last_name": Question(
        text="And your last name? The clinic's booking system needs a first and a last name to put you in the diary.",
        example="Taylor",
        buttons=(),
        why="The clinic's diary (Cliniko) needs both names for a new patient.",
    ),
    "booking_contact": Question(
        text="What's the best phone number or email to reach you?",
        example="0412 345 678 or sam@example.com",
        buttons=(),
        why="Reception follows up every request personally, by phone or email.",
    ),
    "booking_site": Question(
        text="Which clinic suits you better?",
        example="Kenmore",
        buttons=("Kenmore", "Jindalee", "Either"),
        why="We have physios at both Kenmore and Jindalee; this helps reception offer the right times.",
    ),
    "booking_times": Question(
        text="When are you usually free?",
        example="weekday mornings before 9",
        buttons=("Weekday mornings", "Weekday evenings", "Saturdays", "Any time"),
        why="So reception can suggest a time that works for you first go.",
    ),
    "booking_consent": Question(
        text=(
            "Do you agree to the clinic storing your answers and contact details so reception can "
            "contact you? They're only used for your care, and you can ask me to delete them any time."
        ),
        example="yes, I agree",
        buttons=("Yes, I agree", "No"),
        why="Your answers are health information, so we only keep them with your permission.",
    ),
}

ALL_QUESTIONS: dict[str, Question] = {**TRIAGE_QUESTIONS, **BOOKING_QUESTIONS}
# The Ottawa knee rules asked as form questions (spec §3): they are the check for that flag.
OTTAWA_QUESTIONS = ("can_walk_four_steps", "can_bend_90")


def noted_text(answers: dict[str, object]) -> str:
    """The thank-you for answers given before their question ("going down stairs hurts")."""
    phrases = []
    for slot, value in answers.items():
        if slot == "predictable_onset":
            phrases.append("the pain comes on at a predictable point in your runs")
        elif slot == "training_changes":
            phrases.append("you've done a run much longer than usual")
        elif slot == "stairs_descent_pain":
            phrases.append("going down stairs hurts" if value else "stairs don't bother it")
        elif slot == "downhill_worse":
            phrases.append(
                "running downhill makes it worse" if value else "downhill running doesn't make it worse"
            )
        elif slot == "weekly_change_pct":
            pct = float(value)  # type: ignore[arg-type]
            phrases.append(
                f"your weekly distance went up by about {pct:g} %"
                if pct > 0
                else f"your weekly distance went down by about {-pct:g} %"
                if pct < 0
                else "your weekly distance hasn't changed"
            )
        elif slot == "age":
            phrases.append(f"you're {value}")
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"Thanks, I've noted that {listed}, so I won't ask again."


# --- asking again -------------------------------------------------------------------------------

MOVED_ON = -1  # the previous question was asked three times and noted as "not sure"
EXACT_AGE = -2  # an age band that spans 55 was given after an injury


def question_text(question: Question, attempts: int) -> str:
    if attempts == MOVED_ON:
        return f'Let\'s leave that one as "not sure" and move on. {question.text}'
    if attempts == EXACT_AGE:
        return (
            "After a knee injury it matters whether you're 55 or over (it changes whether an X-ray "
            'is advised). Could you tell me your exact age? For example: "57".'
        )
    if attempts <= 0:
        return question.text
    if attempts == 1:
        return f'Sorry, I didn\'t quite catch that. {question.text} For example: "{question.example}".'
    if question.buttons:
        return (
            "Let's try it with the buttons: tap the one that fits best. "
            'If none fit, type "talk to a person" and our reception team will help.'
        )
    return (
        f'Sorry, I still couldn\'t use that. {question.text} For example: "{question.example}". '
        'If you\'d rather, type "talk to a person".'
    )


def weekly_baseline_question(delta_km: float) -> str:
    """Asked instead of the weekly-change question when only the increase was given."""
    return (
        f"Got it: about {delta_km:g} km a week more than before. Roughly how far were you "
        'running each week before that (e.g. "40 km" or "25 miles")?'
    )

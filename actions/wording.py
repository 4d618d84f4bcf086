"""The action server's own sentences: what the assistant says that is neither a question nor
clinical advice — notices, short answers about the assistant and the clinic, booking and
delete-my-data replies, and the apologies for technical problems.

Where each kind of wording lives is listed in docs/contracts.md ("Where the assistant's wording
lives"): questions in actions/questions.py, clinical content in bot/triage/content.py, what the
rules and stories say in the domain's `utter_*` responses, and the rest here. Functions fill in
the clinic's settings when the message is sent, so a changed phone number needs no restart.
"""

from __future__ import annotations

from bot.settings import get_settings

# --- buttons the actions add (a tap sends its title, so each is also an NLU example) ------------

CHECK_MY_KNEE = "Check my knee"
TALK_TO_A_PERSON = "Talk to a person"
BOOK_AN_ASSESSMENT = "Book an assessment"
SHOW_THE_EVIDENCE = "Show the evidence"
TELL_ME_MORE = "Tell me more"

# --- the start, and the assistant itself -------------------------------------------------------

NOTICE = (
    "Before we start: I'm an automated assistant, not a clinician, so I can't diagnose. "
    "In an emergency call 000. What you tell me is stored securely for the clinic's team to "
    'follow up and is never shared for marketing; type "delete my data" at any time to remove it.'
)

START_OVER = "No problem, let's start again from the first question."

BOT_CHALLENGE = (
    "I'm an automated assistant, not a person or a clinician. Type \"talk to a "
    'person" any time and our reception team will contact you.'
)

WHY_I_ASK = (
    "I ask about where and how your knee hurts to see how typical it is of "
    "ITB syndrome, to catch warning signs that need a doctor, and to give "
    "advice that fits your running. A physio always makes the diagnosis."
)

WHY_I_ASK_OUTSIDE_QUESTIONS = "I ask these questions to point you to the right care."

# --- messages outside what the assistant does --------------------------------------------------

OUT_OF_SCOPE = (
    "Sorry, that's outside what I can help with. I'm here for knee pain in runners: I can ask "
    "about your knee, answer questions about it, or pass you to our reception team."
)

NOT_UNDERSTOOD = (
    "Sorry, I didn't understand that. I can only read English text for now. You could "
    "tell me about your knee, ask a question, or tap a button."
)
NOT_UNDERSTOOD_BUTTONS = (CHECK_MY_KNEE, TALK_TO_A_PERSON)


def other_injury(in_questions: bool) -> str:
    text = (
        "I'm set up for knee pain in runners only, so I can't assess that here. Our physios do "
        "treat other injuries (back, neck, shoulder, ankle, foot and more): call "
        f'{get_settings().clinic_phone} or say "book" and reception will contact you. For an illness, '
        "please see your GP, and call 000 in an emergency."
    )
    if in_questions:
        text += " If your knee hurts too, let's carry on with it."
    return text


def clinic_info() -> str:
    settings = get_settings()
    return (
        "We have two clinics in Brisbane's west:\n"
        f"• Kenmore: {settings.kenmore_hours}\n"
        f"• Jindalee: {settings.jindalee_hours}\n"
        f'Phone {settings.clinic_phone}, or say "book" and reception will contact you.'
    )


# --- after a red flag (the routes themselves are clinical content: bot/triage/content.py) -------

ADVICE_ON_HOLD = (
    "Because of the warning sign you mentioned, please have that checked by a doctor before "
    "starting any exercises or running plan. Once it's been cleared, our physios can help "
    "with the rest. If things get worse, call 000."
)

CARRY_ON = "Carry on with my knee"
NOT_HAPPENING_NOW = (
    "Thank you for letting me know. If it starts again, call 000 straight away; I've kept a note so "
    "the clinic knows. We can carry on with your knee whenever you're ready."
)

NO_INJURY_AFTER_ALL = (
    "Thanks, that helps: no injury, so I'll note that it came on gradually and skip the injury questions."
)

NO_ADVICE_AFTER_RED_FLAG = (
    "I haven't given exercise advice because this needs a medical check first. "
    "For advice any time, healthdirect's nurses are on 1800 022 222. If you'd like "
    "someone from the clinic to contact you, tap below."
)

REASSURED = "Thanks, that's reassuring."

NEED_YES_OR_NO = "Sorry, I need a yes or a no for this one. "  # followed by the question again

# --- booking and "talk to a person" ------------------------------------------------------------

HANDOFF_FOR_BOOKING = (
    "Great. I'll take a few details and reception will contact you to confirm a time "
    "(usually within one business day)."
)

HANDOFF_FOR_DIARY_BOOKING = (
    "Great. I'll take a few details, then show you the free times in the clinic's diary so you "
    "can book one here."
)


def handoff_to_person() -> str:
    return (
        "Of course. I'll pass you to our reception team: they'll contact you, usually "
        f"within one business day. If it can't wait, call the clinic on {get_settings().clinic_phone} (or 000 "
        "in an emergency)."
    )


def booking_details_not_taken() -> str:
    return (
        "Sorry, I couldn't take your details here, so nothing has been saved. Please call "
        f'the clinic on {get_settings().clinic_phone} and reception will book you in, or say "book" to try again.'
    )


def booking_without_consent() -> str:
    return (
        "That's fine: I haven't saved your contact details. If you change your mind, "
        f'say "book", or call the clinic on {get_settings().clinic_phone}.'
    )


def booking_confirmed(name: str, site: str | None, contact: str, reference: str) -> str:
    where = f" at {site.title()}" if site else ""
    return (
        f"Thanks, {name}. Reception has your request{where} and will "
        f"contact you on {contact}. Your reference is "
        f"{reference}. If anything gets worse before then, call {get_settings().clinic_phone}, or "
        "000 in an emergency."
    )


# --- deleting a person's data ------------------------------------------------------------------

DATA_DELETED = "Done: I've deleted your answers, any booking request and this conversation."


def data_not_deleted() -> str:
    return (
        "Sorry, I couldn't delete your data just now because of a technical problem. "
        f"Please try again later, or call the clinic on {get_settings().clinic_phone} "
        "and we'll remove it for you."
    )


# --- technical problems ------------------------------------------------------------------------

SORRY = (
    "Sorry, something went wrong on my side just then, and I've logged it for the team. "
    'You can try again, or type "talk to a person". If this is an emergency, call 000.'
)


def booking_not_saved() -> str:
    return (
        "Sorry, I couldn't pass your details to reception because of a technical problem "
        f"on our side. Please call the clinic on {get_settings().clinic_phone}, or try again later by saying "
        '"book".'
    )


def triage_not_saved() -> str:
    return (
        "I couldn't save your answers just now because of a technical problem on our "
        f"side, so reception can't see them yet. Please call the clinic on "
        f"{get_settings().clinic_phone} if you'd like to follow up."
    )


# --- booking into Cliniko (actions/cliniko_booking.py; the rest is in bot/booking/texts.py) -----

NO_OTHER_TIMES = "I couldn't find any other free times in the next two weeks."
NEED_BOTH_NAMES = (
    "To book you in I need your first and last name, and I only have one of them, so I "
    "haven't booked anything. I've passed the time you chose to reception, and they'll "
    "contact you to confirm it."
)
APPOINTMENT_STAYS = "No problem: your appointment stays as it is."
NO_TIME_TO_MOVE_TO = "I couldn't find another free time, so your appointment stays as it is."


def confirm_cancel(when: str, where: str) -> str:
    return f"Do you want me to cancel your appointment on {when}{where}?"


def nothing_to_move_to() -> str:
    return (
        "I couldn't find another free time in the next two weeks, so your appointment "
        f"stays as it is. Reception can help on {get_settings().clinic_phone}."
    )


def which_new_time(when: str) -> str:
    return f"Your appointment is on {when}. Which new time would suit?"


def no_appointment() -> str:
    return (
        "I can't see an appointment booked in this chat. If you booked another way, please call "
        f"the clinic on {get_settings().clinic_phone} to change or cancel it."
    )

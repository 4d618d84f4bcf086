"""What the assistant says to the person about a real booking in Cliniko.

Every sentence here is read by a patient: plain, warm, short, and honest about what did and did
not happen (nothing is ever said to be booked unless Cliniko confirmed it). Times are in the
clinic's time zone. The clinic's phone comes from settings unless given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.booking.diary import Booking, Offer, Slot
from bot.booking.times import format_button, format_long, format_slot
from bot.settings import get_settings

SITE_NAMES = {"kenmore": "Kenmore", "jindalee": "Jindalee"}

WHAT_TO_BRING = {
    "running": (
        "Please bring the shoes you usually run in and shorts or tights you can jog in. If you "
        "track your runs on a watch or an app, have a recent one handy."
    ),
    "general": (
        "Please wear or bring comfortable clothes you can move in (shorts are ideal for a knee), "
        "and bring any scans or referral letters you have."
    ),
}


def _phone(clinic_phone: str | None) -> str:
    return clinic_phone or get_settings().clinic_phone


def site_name(site: str) -> str:
    return SITE_NAMES.get(site, site.title())


def _when(slot: Slot, tz: ZoneInfo) -> str:
    """ "Tue 15 Dec at 2:00 pm", for a time inside a sentence."""
    return format_slot(slot.starts_at, tz).replace(", ", " at ")


# --- offering times ----------------------------------------------------------------------------


def slot_line(slot: Slot, tz: ZoneInfo, *, with_site: bool = False) -> str:
    """ "Tue 9 Dec, 10:30 am with Alex" (", Kenmore" when both sites are on offer)."""
    where = f", {site_name(slot.site)}" if with_site else ""
    who = f" with {slot.practitioner_name}" if slot.practitioner_name else ""
    return f"{format_slot(slot.starts_at, tz)}{who}{where}"


def slot_button(slot: Slot, tz: ZoneInfo, *, with_site: bool = False) -> str:
    """A short button title: "Tue 9 Dec 10:30am" ("… Kenmore" when both sites are on offer)."""
    where = f" {site_name(slot.site)}" if with_site else ""
    return f"{format_button(slot.starts_at, tz)}{where}"


def offer_message(offer: Offer, tz: ZoneInfo) -> str:
    """The free times in words, with what was filtered (buttons: `slot_button`). For an offer
    with no slots say `no_times()` instead."""
    with_site = len({s.site for s in offer.slots}) > 1
    places = {s.site for s in offer.slots}
    at = f" at {site_name(next(iter(places)))}" if len(places) == 1 else ""
    if offer.fits_preference:
        intro = f"{offer.preference.heading}{at}:"
    else:
        intro = (
            f"I couldn't find any {offer.preference.description} in the next two weeks, "
            f"so here are the soonest free times{at} instead:"
        )
    lines = "\n".join(f"• {slot_line(s, tz, with_site=with_site)}" for s in offer.slots)
    return (
        f"{intro}\n{lines}\n\n"
        'Tap the one you\'d like, or tell me (for example "the Thursday one"). If none of these '
        "suit, just say so and I'll pass your preferred times to reception."
    )


def preference_not_understood() -> str:
    return "I wasn't sure which days or times you meant, so here are the soonest free times."


def no_times() -> str:
    """Nothing free at all: today's reception call-back takes over."""
    return (
        "I couldn't find a free time in the clinic's diary over the next two weeks, so I'll pass "
        "your request and preferred times to reception. They'll contact you to find a time that "
        "works."
    )


def none_suit() -> str:
    return (
        "No problem. I'll pass your request and the times that suit you to reception, and they'll "
        "contact you to find one that works."
    )


def which_one(slots: Sequence[Slot], tz: ZoneInfo) -> str:
    """More than one offered time fits what they said."""
    named = [_when(s, tz) for s in slots]
    times = f"{', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else named[0]
    return f"Which one would you like: {times}? Tap it or type the time."


def not_sure_which() -> str:
    return (
        "Sorry, I couldn't tell which time you meant. Tap one of the times, type it (for example "
        '"Tue 10:30"), or say "none of these suit".'
    )


def need_last_name() -> str:
    return "Thanks. What's your last name? The clinic needs it to set up your file."


# --- booking outcomes --------------------------------------------------------------------------


def slot_taken(slot: Slot, tz: ZoneInfo) -> str:
    """Someone else got the time first (nothing of ours is booked); new times follow."""
    return (
        f"Sorry, someone else has just booked {_when(slot, tz)}, so I haven't booked it for you. "
        "Let's find you another time."
    )


def confirmation(booking: Booking, tz: ZoneInfo, clinic_phone: str | None = None) -> str:
    """Day, date, time, site and address, practitioner, what to bring, how to change or cancel."""
    slot = booking.slot
    where = f"our {site_name(slot.site)} clinic"
    if booking.address:
        where += f" ({booking.address})"
    who = f" with {slot.practitioner_name}" if slot.practitioner_name else ""
    kind = booking.appointment_type_name or "an appointment"
    article = "" if kind == "an appointment" else ("an " if kind[:1].lower() in "aeiou" else "a ")
    return (
        f"You're booked in for {article}{kind} on {format_long(slot.starts_at, tz)} "
        f"at {where}{who}. It takes about {slot.duration_minutes} minutes.\n\n"
        f"{WHAT_TO_BRING.get(slot.kind, WHAT_TO_BRING['general'])}\n\n"
        'To change or cancel, just tell me here ("move my appointment" or "cancel my '
        f'appointment") or call the clinic on {_phone(clinic_phone)}. If your knee gets much worse '
        "before then, call the clinic, or 000 in an emergency."
    )


def moved(booking: Booking, tz: ZoneInfo, clinic_phone: str | None = None) -> str:
    slot = booking.slot
    who = f" with {slot.practitioner_name}" if slot.practitioner_name else ""
    where = f" ({booking.address})" if booking.address else ""
    return (
        f"Done: your appointment is now on {format_long(slot.starts_at, tz)} at our "
        f"{site_name(slot.site)} clinic{where}{who}. If you need to change it again, just tell me, "
        f"or call the clinic on {_phone(clinic_phone)}."
    )


def cancelled(starts_at: datetime, tz: ZoneInfo) -> str:
    return (
        f"Done: I've cancelled your appointment on {format_long(starts_at, tz)}. If you'd like a "
        'new time, just say "book".'
    )


def diary_unavailable(clinic_phone: str | None = None) -> str:
    """Cliniko is down, slow, refusing the key or answering nonsense: nothing was booked. Say it
    once the request is saved for reception (it tells the person it was passed on)."""
    return (
        "Sorry, I can't reach the clinic's diary just now, so I haven't booked anything. I've "
        "passed your details and preferred times to reception, and they'll contact you to confirm "
        f"a time. If it can't wait, call the clinic on {_phone(clinic_phone)}."
    )


def booking_unconfirmed(slot: Slot, tz: ZoneInfo, clinic_phone: str | None = None) -> str:
    """Cliniko stopped answering part-way: the booking may or may not be there."""
    return (
        f"I asked the clinic's diary for {_when(slot, tz)}, but I couldn't confirm "
        "that it went through. Reception will check and contact you to confirm, so please don't "
        f"book again in the meantime. If you'd rather check now, call the clinic on {_phone(clinic_phone)}."
    )


def change_unavailable(clinic_phone: str | None = None) -> str:
    """A cancel or a move could not be done because Cliniko failed: nothing changed."""
    return (
        "Sorry, I can't reach the clinic's diary just now, so your appointment hasn't changed. "
        f"Please try again in a little while, or call the clinic on {_phone(clinic_phone)}."
    )


def already_cancelled() -> str:
    return 'That appointment has already been cancelled. If you\'d like a new time, just say "book".'

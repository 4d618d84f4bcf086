"""Booking fields: contact (phone or email), clinic site and the name reception asks for.

Phone numbers are read by `phonenumbers` (Australian default region; mobiles and landlines
only), emails by `email-validator` (syntax only: no network look-up from the action server).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType

from bot.triage.parsing.text import MAX_SCAN_CHARS, clauses, names_in, parse_yes_no, prep, rx


@dataclass(frozen=True)
class Contact:
    kind: str  # "phone" | "email"
    value: str  # E.164 (+61…) or lower-case email


REGION = "AU"
_PHONE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_EMAIL_CANDIDATE_RE = re.compile(r"[^\s,;:<>()\[\]\"']+@[^\s,;:<>()\[\]\"']+")
_TRAILING_RE = re.compile(r"[.!?]+$")
# "+61 (0)4…": the trunk zero written after the country code
_TRUNK_ZERO_RE = re.compile(r"\+61\s*\(0\)")


def _phone(text: str) -> tuple[int, Contact] | None:
    text = _TRUNK_ZERO_RE.sub("+61 ", text)
    for match in phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.POSSIBLE):
        number = match.number
        if (
            number.country_code == 61
            and phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in _PHONE_TYPES
        ):
            return match.start, Contact(
                "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            )
    # "61 412 345 678": the country code written without its plus sign
    digits = re.sub(r"[\s()-]", "", text)
    if re.fullmatch(r"61[2-478]\d{8}", digits):
        return _phone("+" + digits)
    return None


def _email(text: str) -> tuple[int, Contact] | None:
    for match in _EMAIL_CANDIDATE_RE.finditer(text):
        candidate = _TRAILING_RE.sub("", match.group(0))
        try:
            email = validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            continue
        return match.start(), Contact("email", email.normalized.lower())
    return None


def parse_contact(text: str | None) -> Contact | None:
    """An Australian phone number or an email address, whichever comes first."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS])
    found = [hit for hit in (_email(t), _phone(t)) if hit is not None]
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]


# --- name -------------------------------------------------------------------------------------

MAX_NAME_WORDS = 5
_NAME_WORD_RE = re.compile(r"^[^\W\d_]+(?:['’.-][^\W\d_]*)*\.?$", re.UNICODE)
# Words that make a message an answer or a sentence, not a name.
_NOT_NAME_WORDS = frozenset(
    [
        "yes",
        "yeah",
        "yep",
        "yup",
        "no",
        "nope",
        "nah",
        "not",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "it",
        "it's",
        "its",
        "i",
        "i'm",
        "im",
        "my",
        "me",
        "the",
        "and",
        "but",
        "or",
        "is",
        "are",
        "was",
        "it's",
        "does",
        "do",
        "doesn't",
        "catch",
        "catches",
        "give",
        "gives",
        "way",
        "hurt",
        "hurts",
        "pain",
        "knee",
        "sure",
        "maybe",
        "thanks",
        "thank",
        "please",
        "ok",
        "okay",
        "hi",
        "hello",
        "hey",
        "none",
        "skip",
        "call",
        "phone",
        "email",
        "number",
    ]
)


def parse_name(text: str | None) -> str | None:
    """A person's name ("Sam Taylor", "Dr Anne O'Neil", "José"); None for sentences, answers
    ("no, it doesn't catch"), numbers or emails."""
    if not text:
        return None
    name = " ".join(unicodedata.normalize("NFKC", text[:200]).split()).strip(" .!,")
    name = re.sub(
        r"^(?:(?:my name is|my name's|name is|name's|it's|its|i'm|im|i am|call me)\s+)", "", name, flags=re.I
    )
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS or len(name) > 80:
        return None
    if any(not _NAME_WORD_RE.match(w) for w in words):
        return None
    if any(w.lower().strip(".") in _NOT_NAME_WORDS for w in words) or parse_yes_no(name) is not None:
        return None
    return name


# --- site -------------------------------------------------------------------------------------

_SITE_RES: dict[str, re.Pattern[str]] = {
    "kenmore": rx(r"\b(?:kenmore|ken more|kenmor|kenmoore|kenmure)\b"),
    "jindalee": rx(r"\b(?:jindalee|jinda lee|jindale|jindallee|jindalie|jindaly|jindaleee)\b"),
}


def parse_site(text: str | None) -> str | None:
    """ "kenmore" | "jindalee"; None when neither or both are chosen."""
    found: set[str] = set()
    for clause in clauses(prep(text), commas=True):  # "not Kenmore, Jindalee"
        found |= names_in(clause, _SITE_RES)[0]
    return found.pop() if len(found) == 1 else None

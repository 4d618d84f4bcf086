"""Free text (or button text) → slot values: the public entry of the parsers.

Keyword and regular-expression rules, so every decision can be read and tested. Every
function returns None when the text is unclear, so the form can ask again with buttons.
The rules live in one module per concern:

- `text`: normalising and typo fixing, negation, "none of these", yes / no / not sure / skip;
- `pain_pattern`: Q1–Q4 (location, onset, pattern in a run, downhill, stairs);
- `mileage`: Q5 (weekly distance, training changes);
- `red_flags`: the spec §3 safety net (concepts, negation scopes, signs across messages);
- `symptoms`: spec §4 pointer symptoms;
- `age`: Q7 and the Ottawa recent-injury question;
- `booking`: contact (phonenumbers, email-validator), site and name.

Safety and speed rules used throughout: only the first `MAX_SCAN_CHARS` characters are scanned
and no pattern has nested unbounded repeats, so a 5,000-character paste stays fast; when in
doubt about a red flag we lean towards asking or flagging it.
"""

from bot.triage.parsing.age import parse_age, parse_injury_recent
from bot.triage.parsing.booking import Contact, parse_contact, parse_name, parse_site
from bot.triage.parsing.mileage import MileageChange, parse_training_changes, parse_weekly_change
from bot.triage.parsing.pain_pattern import (
    denies_injury,
    parse_downhill,
    parse_location,
    parse_onset,
    parse_predictable_onset,
    parse_stairs,
)
from bot.triage.parsing.red_flags import find_red_flags, parse_red_flags
from bot.triage.parsing.symptoms import parse_symptoms
from bot.triage.parsing.text import MAX_SCAN_CHARS, MILE_KM, is_skip, is_unsure, parse_yes_no

__all__ = [
    "MAX_SCAN_CHARS",
    "MILE_KM",
    "denies_injury",
    "Contact",
    "MileageChange",
    "find_red_flags",
    "is_skip",
    "is_unsure",
    "parse_age",
    "parse_contact",
    "parse_downhill",
    "parse_injury_recent",
    "parse_location",
    "parse_name",
    "parse_onset",
    "parse_predictable_onset",
    "parse_red_flags",
    "parse_site",
    "parse_stairs",
    "parse_symptoms",
    "parse_training_changes",
    "parse_weekly_change",
    "parse_yes_no",
]

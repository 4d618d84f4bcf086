"""Q7 age, and the Ottawa question: was the injury in the last 7 days?"""

from __future__ import annotations

import re

from bot.triage.parsing.text import is_skip, parse_yes_no, prep, rx, words_to_numbers

# --- Q7 age -----------------------------------------------------------------------------------

_AGE_MIN, _AGE_MAX = 10, 110
_DECADE_RE = rx(r"\b(early|mid|late)?[ -]?(\d)0'?s\b")
_UNDER_RE = rx(r"\b(?:under|below|less than|younger than)\s?(\d{2,3})\b")
_OVER_RE = rx(
    r"\b(?:over|above|older than|more than)\s?(\d{2,3})\b"
    r"|\b(\d{2,3})\s?(?:\+|or (?:over|older|more|above))"
)
_BAND_RE = rx(r"\b(\d{2,3})\s?(?:-|to)\s?(\d{2,3})\b")
_AGE_CONTEXT_RE = rx(
    r"\b(?:i'm|im|i am|aged|age|age is|turning|turned|just turned)\s?(\d{2,3})\b"
    r"|\b(\d{2,3})\s?(?:years?|yrs?|yo|y/o|y\.o\.)\b"
)
_NOT_AGE_UNIT_RE = rx(
    r"^\s?(?:k|km|kms|kg|kgs|kilo\w*|mi|miles?|min|mins|minutes?|%|percent|cm|m\b|days?"
    r"|weeks?|months?|hours?)"
)


def _age_ok(n: int) -> int | None:
    return n if _AGE_MIN <= n <= _AGE_MAX else None


_DECADE_WORDS_RE = rx(r"\b(twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies\b")
_DECADE_WORDS = {
    "twent": "20",
    "thirt": "30",
    "fort": "40",
    "fift": "50",
    "sixt": "60",
    "sevent": "70",
    "eight": "80",
    "ninet": "90",
}


def parse_age(text: str | None) -> int | None:
    """Age in years (10..110). Bands give the value that keeps the 45/55 thresholds right."""
    t = _DECADE_WORDS_RE.sub(lambda m: _DECADE_WORDS[m.group(1)] + "s", prep(text))
    t = words_to_numbers(t)
    if not t or is_skip(text):
        return None
    m = _AGE_CONTEXT_RE.search(t)
    if m:
        return _age_ok(int(m.group(1) or m.group(2)))
    m = _DECADE_RE.search(t)
    if m and m.group(2) in "123456789":
        base = int(m.group(2)) * 10
        # "mid 50s" → 55 (Ottawa threshold is crossed in the middle of the decade).
        return _age_ok(base + {"early": 1, "mid": 5, "late": 7}.get(m.group(1) or "", 0))
    m = _BAND_RE.search(t)
    if m:
        return _age_ok(int(m.group(1)))  # "45–54" → 45: the lower bound
    m = _OVER_RE.search(t)
    if m:
        return _age_ok(int(m.group(1) or m.group(2)))  # "55+" → 55
    m = _UNDER_RE.search(t)
    if m:
        return _age_ok(int(m.group(1)) - 1)  # "under 45" → 44: below the threshold
    numbers = [n for n in re.finditer(r"\b(\d{1,3})\b", t) if not _NOT_AGE_UNIT_RE.search(t[n.end() :])]
    if len(numbers) == 1:
        return _age_ok(int(numbers[0].group(1)))
    return None


# --- Ottawa: recent injury --------------------------------------------------------------------

_RECENT_RE = rx(
    r"\b(?:today|yesterday|this morning|this afternoon|this arvo|last night|tonight|just now"
    r"|earlier today|this week|on the weekend|at the weekend|over the weekend|this weekend"
    r"|last weekend|a few days ago|few days ago|couple of days ago|couple days ago|days ago"
    r"|last week|a week ago|within the (?:last|past) (?:week|7 days)|less than a week"
    r"|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|the other day)\b"
)
_OLD_RE = rx(
    r"\b(?:fortnight|weeks ago|last month|months? ago|years? ago|a while ago|ages ago"
    r"|long time ago|over a week|more than a week|a week and a half|last year|back in"
    r"|no injury|wasn't injured|didn't injure|not injured|never injured|no,? not recently)\b"
)
_DAYS_AGO_RE = rx(r"\b(\d{1,3}|a|an) (day|days|week|weeks|month|months|year|years) ago\b")


def parse_injury_recent(text: str | None) -> bool | None:
    """Was there a knee injury within the last 7 days? "yesterday" → True; "a month ago" → False."""
    t = words_to_numbers(prep(text))
    if not t:
        return None
    verdicts = set()
    for m in _DAYS_AGO_RE.finditer(t):
        n = 1 if m.group(1) in ("a", "an") else int(m.group(1))
        unit = m.group(2).rstrip("s")
        days = n * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
        verdicts.add(days <= 7)
    t_rest = _DAYS_AGO_RE.sub(" ", t)
    if _RECENT_RE.search(t_rest):
        verdicts.add(True)
    if _OLD_RE.search(t_rest):
        verdicts.add(False)
    if verdicts:
        # Any recent injury wins: an unneeded X-ray question is safer than a missed fracture.
        return True in verdicts
    return parse_yes_no(t)


def injury_time_stated(text: str | None) -> bool | None:
    """Like `parse_injury_recent`, but only when the text says when ("last month", "yesterday"):
    for a story told before the question ("I twisted my knee landing awkwardly last month")."""
    t = words_to_numbers(prep(text))
    if not t or not (_DAYS_AGO_RE.search(t) or _RECENT_RE.search(t) or _OLD_RE.search(t)):
        return None
    return parse_injury_recent(t)

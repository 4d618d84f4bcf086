"""Q5: weekly distance before and now (km or miles), and other recent training changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.parsing.text import MILE_KM, is_negated, is_none_answer, names_in, prep, rx, words_to_numbers

# --- Q5 weekly distance -----------------------------------------------------------------------


@dataclass(frozen=True)
class MileageChange:
    before_km: float | None
    after_km: float | None
    delta_km: float | None
    pct: float | None  # None when only a delta or a direction was given
    direction: str | None = None  # "up" | "down" | "same" (added: "Less than before" has no number)

    def __post_init__(self) -> None:
        if self.direction is None:
            object.__setattr__(self, "direction", _direction(self.pct, self.delta_km))


def _direction(pct: float | None, delta: float | None) -> str | None:
    value = pct if pct is not None else delta
    if value is None:
        return None
    return "up" if value > 0 else "down" if value < 0 else "same"


_UNITS = {
    "k": 1.0,
    "km": 1.0,
    "kms": 1.0,
    "kilometre": 1.0,
    "kilometres": 1.0,
    "kilometer": 1.0,
    "kilometers": 1.0,
    "klick": 1.0,
    "klicks": 1.0,
    "mi": MILE_KM,
    "mile": MILE_KM,
    "miles": MILE_KM,
    "mls": MILE_KM,
}
_UNIT = r"(k|km|kms|kilometres?|kilometers?|klicks?|mi|miles?|mls)?"
_NUM = r"(\d{1,4}(?:\.\d{1,2})?)"
_PER_WEEK = r"(?:\s?(?:/|a|per|each|every)\s?(?:wk|week|weeks))?"
_ARROW = r"\s?(?:to|->|→|=>|>|up to|then|and now|now|into)\s?"


def _km(value: str, unit: str | None) -> float:
    return float(value) * _UNITS.get(unit or "km", 1.0)


def _r1(x: float) -> float:
    return round(x, 1)


_TWO_NUMBERS_RE = rx(r"\b" + _NUM + r"\s?" + _UNIT + _PER_WEEK + _ARROW + _NUM + r"\s?" + _UNIT + r"\b")
_FROM_RANGE_RE = rx(
    r"\b(?:from|went|gone|increased|jumped|upped|bumped|ramped|dropped|decreased|cut)\s?"
    r"(?:from\s?)?" + _NUM + r"\s?" + _UNIT + r"\s?-\s?" + _NUM + r"\s?" + _UNIT + r"\b"
)
_WAS_NOW_RE = rx(
    r"\b(?:was|were|used to|usually|normally|before)\b[^0-9]{0,30}?"
    + _NUM
    + r"\s?"
    + _UNIT
    + r"\b[^0-9]{0,40}?\b(?:now|currently|these days|lately|this week)\b[^0-9]{0,20}?"
    + _NUM
    + r"\s?"
    + _UNIT
    + r"\b"
)
_PCT_WORD = r"(?:%|percent|per cent)"
_PCT_RANGE_RE = rx(r"(\d{1,3}(?:\.\d)?)\s?" + _PCT_WORD + r"?\s?(?:-|to)\s?(\d{1,3}(?:\.\d)?)\s?" + _PCT_WORD)
_PCT_RE = rx(r"(\d{1,4}(?:\.\d{1,2})?)\s?(?:%|percent|per cent|pc\b)")
_DOWN_WORDS_RE = rx(
    r"\b(?:down|less|fewer|lower|decreas\w*|reduc\w*|cut|dropp?\w*|backed off|back off|halved"
    r"|lost|shorter)\b"
)
_MULTIPLIERS: tuple[tuple[str, float], ...] = (
    (r"\b(?:tripled|triple|three times)\b", 200.0),
    (r"\b(?:doubled|double|twice as (?:much|far|many)|2x|two times)\b", 100.0),
    (r"\b(?:1\.5 ?x|one and a half times|50 ?% more)\b", 50.0),
    (r"\b(?:halved|half as (?:much|far)|cut (?:it )?in half)\b", -50.0),
)
_DELTA_AFTER_RE = rx(
    r"\b" + _NUM + r"\s?" + _UNIT + _PER_WEEK + r"\s?(?:a week |per week )?(more|extra|further"
    r"|additional|longer|less|fewer|shorter)\b"
)
_DELTA_BEFORE_RE = rx(
    r"\b(added|add|adding|an extra|extra|another|increased by|up by|upped (?:it )?by|went up by"
    r"|jumped by|bumped (?:it )?up by|decreased by|down by|cut (?:it )?by|reduced (?:it )?by"
    r"|dropped (?:it )?by|cut back by)\s?(?:about|around|roughly|approximately|~|nearly|almost)?"
    r"\s?" + _NUM + r"\s?" + _UNIT + r"\b"
)
_SAME_RE = rx(
    r"\b(?:about the same|the same|same as (?:usual|before|normal|always|ever)|no change"
    r"|not changed|hasn't (?:really )?changed|hasnt changed|haven't changed|havent changed"
    r"|unchanged|nothing (?:really |much )?changed|nothing has changed|no different|steady"
    r"|consistent|same|no increase"
    r"|didn't change|didnt change|hasn't gone up|hasnt gone up|not really)\b"
)
_UP_WORDS_RE = rx(
    r"\b(?:more|increas\w*|upped|up|ramped|bumped|jumped|higher|longer|extra|heaps more"
    r"|a lot more|added)\b"
)
_MAX_WEEKLY_KM = 500.0


def _change_from(before: float, after: float) -> MileageChange | None:
    if before > _MAX_WEEKLY_KM or after > _MAX_WEEKLY_KM:
        return None
    pct = _r1((after - before) / before * 100.0) if before > 0 else None
    return MileageChange(_r1(before), _r1(after), _r1(after - before), pct)


def _two_numbers(t: str) -> MileageChange | None:
    for pattern in (_TWO_NUMBERS_RE, _FROM_RANGE_RE, _WAS_NOW_RE):
        m = pattern.search(t)
        if not m:
            continue
        b, bu, a, au = m.groups()
        if "%" in t[m.end() : m.end() + 2]:
            continue  # "10 to 30%" is a percent range, not distances
        unit = bu or au  # "30 to 45 k a week": the unit written once applies to both
        return _change_from(_km(b, bu or unit), _km(a, au or unit))
    return None


def _percent(t: str) -> MileageChange | None:
    m = _PCT_RANGE_RE.search(t)
    if m:
        low, high = float(m.group(1)), float(m.group(2))
        pct = (low + high) / 2.0  # a button range like "Up 10–30%": take the middle
        start = m.start()
    else:
        m = _PCT_RE.search(t)
        if not m:
            return None
        pct = float(m.group(1))  # "more than 30%": the stated bound
        start = m.start()
    if pct > 1000:
        return None
    if _DOWN_WORDS_RE.search(t[max(0, start - 30) : start]) or _DOWN_WORDS_RE.search(
        t[m.end() : m.end() + 20]
    ):
        pct = -pct
    return MileageChange(None, None, None, _r1(pct))


def _multiplier(t: str) -> MileageChange | None:
    for pattern, pct in _MULTIPLIERS:
        if re.search(pattern, t):
            return MileageChange(None, None, None, pct)
    return None


def _delta(t: str) -> MileageChange | None:
    m = _DELTA_AFTER_RE.search(t)
    if m:
        value, unit, word = m.groups()
        sign = -1.0 if word in ("less", "fewer", "shorter") else 1.0
    else:
        m = _DELTA_BEFORE_RE.search(t)
        if not m:
            return None
        word, value, unit = m.groups()
        sign = -1.0 if re.search(r"decreas|down|cut|reduc|dropp", word) else 1.0
    delta = sign * _km(value, unit)
    if abs(delta) > _MAX_WEEKLY_KM:
        return None
    return MileageChange(None, None, _r1(delta), None)


def parse_weekly_change(text: str | None) -> MileageChange | None:
    """Weekly distance before vs now. "went from 30 to 45 k a week" → pct +50."""
    t = words_to_numbers(prep(text))
    if not t:
        return None
    for reader in (_two_numbers, _percent, _multiplier, _delta):
        change = reader(t)
        if change is not None:
            return change
    if _SAME_RE.search(t):
        return MileageChange(None, None, 0.0, 0.0)
    if _DOWN_WORDS_RE.search(t):
        return MileageChange(None, None, None, None, direction="down")
    if _UP_WORDS_RE.search(t) and not is_negated(t, _UP_WORDS_RE.search(t).start()):
        return MileageChange(None, None, None, None, direction="up")
    return None


# --- Q5 training changes ----------------------------------------------------------------------

_TRAINING_RES: dict[str, re.Pattern[str]] = {
    "long_run_spike": rx(
        r"\b(?:(?<!in the )long(?:er|est)? runs?|much longer"
        r"|longer than (?:usual|normal|ever|before|i)"
        r"|longest|half[- ]?marathon|marathon|ultra|big run|long one|further than (?:ever|usual"
        r"|normal|before|i)|farther than|new distance|distance pb|first (?:\d+ ?k|\d+ ?km"
        r"|half|marathon|ultra|trail race)|run much longer|extra long|really long run)\b"
    ),
    "more_hills": rx(
        r"\b(?:hills?|hilly|downhills?|uphills?|down ?hills?|descents?|elevation|vert"
        r"|mountains?|mt coot-?tha|coot-?tha|inclines?|slopes?|stair (?:sessions?|repeats?))\b"
    ),
    "new_shoes_or_surface": rx(
        r"\b(?:shoes?|sneakers?|trainers|new runners|pair of runners|my runners|carbon|plated"
        r"|insoles?|orthotics?|surfaces?|track|treadmill|concrete|road|roads|bitumen|sand|beach"
        r"|grass|trails?|camber|footpath|pavement|gravel|asphalt)\b"
    ),
}


def parse_training_changes(text: str | None) -> frozenset[str] | None:
    """Subset of long_run_spike / more_hills / new_shoes_or_surface; empty for "none"."""
    t = prep(text)
    if not t:
        return None
    found, any_negated = names_in(t, _TRAINING_RES)
    if found:
        return frozenset(found)
    if any_negated or is_none_answer(t) or _SAME_RE.search(t):
        return frozenset()
    return None

"""Pointer symptoms (spec §4): what suggests a cause other than ITBS."""

from __future__ import annotations

import re

from bot.triage.parsing.text import is_none_answer, names_in, prep, rx

# --- pointer symptoms -------------------------------------------------------------------------

_STIFF_LONG_RE = rx(
    r"\b(?:(?:an?|one|two|few|couple of|\d+) hours?|all morning|most of the morning|half the"
    r" morning|till lunch|until lunch|(?:over|more than|longer than) (?:30|half an hour)"
    r"|(?:3[1-9]|[4-9]\d|\d{3}) ?(?:mins?|minutes))\b"
)
_SYMPTOM_RES: dict[str, re.Pattern[str]] = {
    "mechanical": rx(
        r"\b(?:catch(?:es|ing)?|lock|locks|locking|locks up"
        r"|locked up (?:and|then) (?:frees|unlocks)"
        r"|giv(?:es|ing) way|gave way|give way|gives out|gave out|giving out|buckl(?:es|ed|ing)"
        r"|unstable|instability|clunk(?:s|ing)?)\b"
    ),
    "joint_line_pain": rx(r"\b(?:joint[- ]line|along the joint|in the joint line|between the bones)\b"),
    "twist_or_landing_injury": rx(
        r"\b(?:twist(?:ed|ing)?|landed (?:awkwardly|badly|wrong|funny|on it)|awkward landing"
        r"|bad landing|pivot(?:ed|ing)?|rolled (?:it|my knee)|jumped and landed"
        r"|changed direction)\b"
    ),
    "blow_to_inside_of_knee": rx(
        r"\b(?:hit|knock(?:ed)?|kicked|blow|whack(?:ed)?|bang(?:ed)?|struck|tackled?|bumped)"
        r"(?: [a-z]+){0,3} (?:on |to |from )?(?:the )?(?:inside|inner|medial)"
        r"|\b(?:blow|knock|hit|kick|whack) to the inside\b"
    ),
    "outer_ligament_pain": rx(
        r"\b(?:outer|outside|lateral) (?:collateral )?ligament|\blcl\b|\bligament on the outside\b"
    ),
    "kneecap_sitting_squatting": rx(
        r"\b(?:squat(?:s|ting)?|sitting (?:for (?:long|a while|ages|too long)|still)|after sitting"
        r"|sit(?:ting)? (?:in the car|at (?:my|a|the) desk|through a movie)(?: for (?:long|ages))?"
        r"|(?:getting|get|stand(?:ing)?) up from (?:a |the )?(?:chair|sitting|seat|couch)"
        r"|kneeling|movie|cinema|around the (?:kneecap|knee cap)|kneecap (?:hurts|pain)"
        r"|behind the (?:kneecap|knee cap)|(?:sitting|sit) (?:or|and) squat)\w*"
    ),
    "worse_sprinting": rx(
        r"\b(?:sprint(?:s|ing)?|striding out|stride outs?|strides|speed ?work|intervals"
        r"|running fast|fast running|fast runs?|track sessions?|when i speed up|kick at the end)\b"
    ),
    "back_movement_changes": rx(
        r"\b(?:(?:move|moving|bend|bending|twist|twisting|arch|arching|stretch|stretching) (?:my )?"
        r"(?:lower )?back|back (?:movement|movements|pain|ache|is sore|hurts)|lower back|low back"
        r"|sciatica|from my back|lumbar|spine)\b"
    ),
    "pins_and_needles": rx(r"\b(?:pins (?:and|&|n) needles|tingl(?:e|es|ing|y)|numb|numbness)\b"),
    "morning_stiffness_short": rx(
        r"\b(?:stiff(?:ness)?|tight) (?:for |in the |first thing |when i (?:get|wake) up|of a "
        r"|after waking|on waking|each |every |in mornings)|\bmorning stiffness\b"
        r"|\bstiff (?:when i|after i) (?:wake|get up)"
    ),
}


def parse_symptoms(text: str | None) -> frozenset[str] | None:
    """Pointer symptom names (contracts); empty set for "none of these", None if unclear."""
    t = prep(text)
    if not t:
        return None
    found, any_negated = names_in(t, _SYMPTOM_RES)
    if "morning_stiffness_short" in found:
        mentions_morning = re.search(r"\b(?:morning|mornings|wake|waking|get up|getting up)\b", t)
        if not mentions_morning or _STIFF_LONG_RE.search(t):
            found.discard("morning_stiffness_short")  # ≤ 30 min only (NICE NG226)
            any_negated = True  # answered, just not the short kind
    if "mechanical" in found and re.search(r"\bcatch(?:es|ing)? my toes?\b", t):
        found.discard("mechanical")  # toe-catching is a nerve sign, not a knee catch
    if found:
        return frozenset(found)
    if any_negated or is_none_answer(t):
        return frozenset()
    return None

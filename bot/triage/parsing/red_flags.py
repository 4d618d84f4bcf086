from __future__ import annotations

import re

from bot.triage.parsing.text import clauses, find, is_negated, is_none_answer, prep, rx

# --- Q6 red flags -----------------------------------------------------------------------------

_SIGN = (
    r"(?:pain|painful|sore|soreness|ache|aches|aching|hurts?|hurting|tender|tenderness"
    r"|swollen|swelling|swelled|puffy|red|redness|warm|warmth|hot|throbbing|throbs)"
)
_GAP = r"(?:(?!(?:not|no|never|isn't|isnt)\b)[a-z']+ ){0,3}"
_CALF_RE = rx(
    r"\b(?:calf|calves) (?:pain|swelling|tenderness|redness|ache|soreness|is swollen)\b"
    r"|\b" + _SIGN + r"(?: (?:and|or) [a-z]+){0,2},? (?:in|of|at|on|behind|around|down)"
    r" (?:my |the |one |your |his |her )?(?:left |right |lower )?(?:calf|calves)\b"
    r"|\b(?:calf|calves) " + _GAP + r"(?:is|are|feels|feel|looks|got|gets|went|has been|was"
    r"|been|has gone|is getting) " + _GAP + _SIGN + r"\b"
    r"|\b(?:calf|calves) (?:hurts|aches|is killing|throbs|feels hot|feels warm)\b"
    r"|\b" + _SIGN + r"(?:,? (?:and |or )?" + _SIGN + r"){0,3} (?:left |right |lower )?"
    r"(?:calf|calves)\b"
    r"|\b(?:swollen|swelling|red|redness|warm|warmth|puffy|pain)\b[^.;!?]{0,25}\bone leg\b"
    r"|\bone leg\b[^.;!?]{0,20}\b(?:swollen|red|warm|puffy|bigger|fatter)\b"
)
_BREATH_RE = rx(
    r"\b(?:breathless(?:ness)?|short of breath|shortness of breath|out of breath"
    r"|(?:can't|cannot|can not|hard to|trouble|difficulty|struggling to|struggle to) (?:catch my )?"
    r"breath(?:e|ing)?|breathing (?:is )?(?:hard|difficult|trouble)|coughing (?:up )?blood"
    r"|puffed|winded)\b"
)
_CHEST_RE = rx(
    r"\b(?:chest (?:pain|tightness|pressure|hurts|is tight|feels tight)|pain in (?:my |the )?chest"
    r"|tight chest|tightness in (?:my |the )?chest|crushing chest)\b"
)
_FEVER_RE = rx(
    r"\b(?:fever|feverish|febrile|(?:a |high |running a )temperature|high temp|temps?"
    r"|shivers|shivering|shivery|chills|rigors|sweats|sweating at night"
    r"|feel(?:ing|s)? (?:really |very |quite |so |pretty |a bit |a little |kind of |super )?"
    r"(?:unwell|sick|crook|rotten|awful"
    r"|terrible|ill|flu-?ish|fluey)|flu[- ]?like|generally unwell|off colour|run down)\b"
)
_INFLAMED_RE = rx(r"\b(?:hot|warm|red|redness|swollen|swelling|puffy|inflamed)\b")
_HOT_RE = rx(r"\b(?:hot|warm|warmth)\b")
_RED_RE = rx(r"\b(?:red|redness|reddish)\b")
_SWOLLEN_RE = rx(r"\b(?:swollen|swelling|puffy)\b")
_LOCKED_RE = rx(
    r"\b(?:can't|cant|cannot|can not|unable to|won't|wont|will not|couldn't|couldnt|not able to)"
    r" (?:fully |completely |properly |all the way )?(?:straighten|extend|unlock|get (?:it|my knee"
    r"|the knee) (?:straight|to straighten))"
    r"|\bstuck (?:bent|in a bent|at an angle)|\b(?:locked|stuck) (?:bent|in place|solid|up"
    r"|at an angle)\b|\bwon't straighten\b"
)
_KNEE_LOCKED_RE = rx(r"\bkne+(?:'s| is| has| got| gets| keeps)?(?: [a-z]+)? (?:locked|stuck)\b")
_FREES_RE = rx(
    r"\b(?:frees|freed|free up|unlocks|unlocked|clicks back|comes free|came free|pops back"
    r"|then (?:it's )?fine|goes away|sometimes|now and then|occasionally|then it's ok)\b"
)
_SWELL_RE = rx(r"\b(?:swell(?:ed|s|ing)?|swollen|ballooned|balloon|puffed up|blew up|blown up|came up)\b")
_FAST_RE = rx(
    r"\b(?:fast|quickly|quick|rapid(?:ly)?|straight away|right away|immediately|instantly"
    r"|within (?:an?|a few|a couple of|two|\d+) (?:hours?|minutes?)|in (?:an?|a few|a couple of"
    r"|\d+) (?:hours?|minutes?)|that (?:night|evening|day)|within minutes|like a balloon"
    r"|within hours|in hours)\b"
)
_POP_RE = rx(r"\b(?:pop|popped|popping sound|heard a (?:crack|snap)|felt a (?:snap|crack|tear)|snapped)\b")
_NERVE_RE = rx(
    r"\b(?:numb|numbness|pins (?:and|&|n) needles|pins and needles|tingl(?:e|es|ing|y)"
    r"|foot drop|drop foot|dropped foot|foot (?:slaps|slapping|drops)|(?:can't|cannot|can not"
    r"|unable to|hard to) (?:lift|raise|pull up) (?:my |the )?(?:foot|toes|ankle)"
    r"|catching my toes|tripping over my (?:foot|toes)|weak (?:foot|ankle)|dead leg"
    r"|electric (?:shocks?|zaps?))\b"
)
_NIGHT_PAIN_RE = rx(
    r"\b(?:pain|ache|aches|aching|hurts?|hurting|sore|throbs?|throbbing)\b"
    r"(?: (?!(?:but|except|not|no|never|eases|settles|goes|stops|better|fine|ok|okay|improves"
    r"|disappears|gone|until|till)\b)[a-z']+){0,3}"
    r" (?:at night|during the night|overnight|in bed|at rest|when resting|while resting"
    r"|when i rest|when i'm resting|even resting|even at rest|lying down|lying in bed"
    r"|when sitting still|all night)\b"
    r"|\b(?:night|rest|resting|night-?time) (?:pain|ache|aching)\b"
    r"|\b(?:wakes|woke|waking|keeps) me (?:up|awake)\b|\bkeeping me awake\b"
    r"|\b(?:lump|lumps|a mass)\b"
)
_WEIGHT_LOSS_RE = rx(
    r"\b(?:weight loss|lost (?:a lot of |some |heaps of |a bunch of |\d+ ?kg of )?weight"
    r"|losing weight|(?:lost|dropped) \d+ ?(?:kg|kgs|kilos?)|dropped (?:a lot of )?weight)\b"
)
_INTENDED_WEIGHT_RE = rx(
    r"\b(?:on purpose|dieting|diet|trying to|intentional(?:ly)?|deliberately|meant to)\b"
)


def _detect_red_flags(t: str) -> tuple[frozenset[str], bool]:
    """(affirmed flags, whether any flag wording was negated)."""
    flags: set[str] = set()
    negs: list[bool] = []

    def hit(pattern: re.Pattern[str], where: str = t) -> bool:
        affirmed, negated = find(where, pattern)
        negs.append(negated)
        return affirmed

    calf = hit(_CALF_RE)
    breath = hit(_BREATH_RE)
    chest = hit(_CHEST_RE)
    if (calf and breath) or chest:
        # Chest pain on its own is treated as an emergency too: never a normal running symptom.
        flags.add("calf_pain_with_breathlessness")
    elif calf:
        flags.add("calf_dvt_signs")

    # Inflammation words that belong to a calf phrase don't count for the knee.
    knee_text = _CALF_RE.sub(" ", t)
    fever = hit(_FEVER_RE)
    inflamed = hit(_INFLAMED_RE, knee_text)
    hot, red, swollen = (hit(p, knee_text) for p in (_HOT_RE, _RED_RE, _SWOLLEN_RE))
    if (fever and inflamed) or (hot and red and swollen):
        flags.add("hot_swollen_knee_with_fever")

    # "My knee locked" counts, unless it is the catching kind that frees itself (mechanical).
    knee_locked = any(hit(_KNEE_LOCKED_RE, c) for c in clauses(t) if not _FREES_RE.search(c))
    if hit(_LOCKED_RE) or knee_locked:
        flags.add("locked_knee")

    fast = False
    for clause in clauses(t):
        m = _SWELL_RE.search(clause)
        if m and _FAST_RE.search(clause) and not is_negated(clause, m.start()):
            fast = True
    if hit(_SWELL_RE) and (fast or hit(_POP_RE) or "balloon" in t):
        flags.add("rapid_swelling_after_injury")

    if hit(_NERVE_RE):
        flags.add("nerve_symptoms")

    weight = hit(_WEIGHT_LOSS_RE) and not _INTENDED_WEIGHT_RE.search(t)
    if hit(_NIGHT_PAIN_RE) or weight:
        flags.add("night_rest_pain_weight_loss_lump")
    return frozenset(flags), any(negs)


def find_red_flags(text: str | None) -> frozenset[str]:
    """Red flags named anywhere in a message (any turn of the chat). Never None."""
    flags, _ = _detect_red_flags(prep(text))
    return flags


def parse_red_flags(text: str | None) -> frozenset[str] | None:
    """Answer to the red-flag screen: flags, empty set for "none of these", None if unclear."""
    t = prep(text)
    if not t:
        return None
    flags, any_negated = _detect_red_flags(t)
    if flags:
        return flags
    if any_negated or is_none_answer(t):
        return frozenset()
    return None

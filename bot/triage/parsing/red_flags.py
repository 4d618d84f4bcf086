"""The red-flag safety net (spec §3): concepts, negation scopes, signs that add up across messages.

How a message is read, recall first:

1. **Normalised** (`text.prep`): lower case, typos fixed ("swolen", "feaver", "calve",
   "numbnes", "strighten").
2. **Split into chat segments.** Chat has few full stops, so a negation's scope ends at any
   comma, colon, dash or "+", and at "but", "just", "only", "though", "except" and an "and" that
   starts a new clause (ConText-style termination, tuned for chat): "no injury, calf is swollen"
   and "not numb just tingly" affirm the swelling and the tingling. A comma list right after a
   negation ("no numbness, tingling or weakness") stays negated.
3. **Negation triggers** (NegEx-style, forward scope, at most `SCOPE_WORDS` words): no, not,
   never, don't… An interjection "no" / "nah" answering something else ("No I can't straighten
   it", "nah mate, …") is not a trigger, and "without" is not one either ("I can't walk far
   without calf pain"). "Not sure"/"maybe" mark what follows as uncertain instead.
4. **Concepts** per sign — body part plus symptom for the calf, the knee and the foot, with
   lemmas, plurals, Australian and casual words ("puffed out", "crook", "SOB").
5. **Signs combine** (`flags_from_signs`): calf + breathlessness/chest pain → emergency, also
   when they arrive in different messages (the safety net keeps the signs of the conversation).
6. **Uncertain** readings (a weak calf word, swelling after an injury without a time, a knee
   that "locked up", weight lost with no reason given, a negation that was unsure) are not
   dropped: the safety net asks one short yes/no question about that sign (`CONFIRM_QUESTIONS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.parsing.red_flag_model import classifier_flags
from bot.triage.parsing.text import is_none_answer, prep, rx

SCOPE_WORDS = 8

# --- segments and negation scopes -------------------------------------------------------------

_HARD_BREAK_RE = rx(r"[.;!?\n]+")
# Where a negation stops in chat: punctuation and contrast / restriction words.
_SOFT_BREAK_RE = rx(
    r"\s*(?:[,:+&/]|\s-\s|--)\s*"
    r"|\s+(?:but|just|only|though|although|however|except|apart from|whereas|while|plus|also"
    r"|then|now|so|because|cause|cos|and then|and now|and also)\s+"
    r"|\s+and\s+(?=(?:i|i'm|im|i've|ive|i'd|my|it|it's|its|there|there's|this|that|when|now|the"
    r"|calf|calves|leg|knee|foot|chest|he|she)\b)"
)
_NEG_TRIGGER_RE = rx(
    r"\b(?:no|not|never|none|nor|neither|nothing|nil|zero|nope|nah|denies|deny|denied"
    r"|don't|dont|do not|doesn't|doesnt|does not|didn't|didnt|did not|haven't|havent|have not"
    r"|hasn't|hasnt|has not|hadn't|hadnt|isn't|isnt|is not|wasn't|wasnt|aren't|arent|weren't"
    r"|werent|free of|negative for|absence of|ruled out)\b"
)
# "No I can't…", "nah mate, …": an answer to something else, not a negation of what follows.
_INTERJECTION_RE = rx(
    r"^(?:no+|nah|nope)\b(?=\s+(?:i|i'm|im|i've|ive|my|it|it's|its|the|mate|but|actually|well"
    r"|sorry|wait|because|cos|though|that|there|there's|this|he|she|we|you|ok|okay|thanks)\b|\s*$)"
)
# Phrases that look like negations but negate nothing that follows.
_PSEUDO_NEG_RE = rx(
    r"\b(?:not that i (?:know|knew|can think) of|not that i'?ve noticed|no doubt|not only|not just"
    r"|no idea why|not sure why|no reason|not trying to|not trying|without trying|not meaning to"
    r"|no matter|nothing (?:helps|works|seems to help)|not (?:getting|got) (?:any )?better"
    r"|doesn't (?:help|go away|settle|ease|improve|get better)|not going away|not improving"
    r"|never had (?:this|it|that|anything like (?:this|it)) before|no injury|no fall|wasn't injured"
    r"|didn't (?:injure|hurt|twist|fall)[a-z ]{0,12})\b"
)
_UNSURE_TRIGGER_RE = rx(
    r"\b(?:not (?:sure|certain)|unsure|maybe|might|possibly|perhaps|i think|think so|probably"
    r"|i guess|could be|dunno|not really sure|idk)\b"
)


@dataclass(frozen=True)
class _Segment:
    text: str
    start: int  # offset in the normalised message
    sentence: int  # index of the sentence it belongs to


def _segments(t: str) -> list[_Segment]:
    out: list[_Segment] = []
    pos = 0
    for sentence_no, sentence in enumerate(_HARD_BREAK_RE.split(t)):
        s_start = t.find(sentence, pos) if sentence else pos
        pos = s_start + len(sentence)
        last = 0
        for m in list(_SOFT_BREAK_RE.finditer(sentence)) + [None]:
            end = m.start() if m else len(sentence)
            piece = sentence[last:end]
            if piece.strip():
                out.append(_Segment(piece, s_start + last, sentence_no))
            last = m.end() if m else len(sentence)
    return out


_CLAUSE_WORD_RE = rx(
    r"\b(?:i|i'm|im|i've|my|it|it's|its|is|are|was|were|has|have|had|been|feels?|got|gets|went"
    r"|keeps?|looks?|there|can't|cant|can|since|now)\b"
)


def _scopes(t: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(negated spans, uncertain spans) as offsets into `t`."""
    negated: list[tuple[int, int]] = []
    unsure: list[tuple[int, int]] = []
    segments = _segments(t)
    carry = False  # a negation continuing over a comma list: "no numbness, tingling or weakness"
    for i, seg in enumerate(segments):
        text = seg.text
        masked = _PSEUDO_NEG_RE.sub(lambda m: " " * len(m.group(0)), text)
        if _INTERJECTION_RE.search(masked.strip()):
            lead = re.match(r"\s*(?:no+|nah|nope)\b", masked)
            if lead:
                masked = " " * lead.end() + masked[lead.end() :]
        if carry and not _CLAUSE_WORD_RE.search(text) and len(text.split()) <= 5:
            negated.append((seg.start, seg.start + len(text)))
            continue
        carry = False
        # "not sure if it's numb" is unsure, not negated
        for m in _NEG_TRIGGER_RE.finditer(
            re.sub(r"\bnot (?:really )?(?:sure|certain)\b", lambda x: " " * len(x.group(0)), masked)
        ):
            end = _scope_end(text, m.end())
            negated.append((seg.start + m.end(), seg.start + end))
            nxt = segments[i + 1] if i + 1 < len(segments) else None
            # a list after the negation: the next pieces name more of what is absent
            if nxt is not None and nxt.sentence == seg.sentence and re.search(r"\b(?:or|nor)\b", nxt.text):
                carry = True
        for m in _UNSURE_TRIGGER_RE.finditer(masked):
            unsure.append((seg.start + m.end(), seg.start + _scope_end(text, m.end())))
    return negated, unsure


def _scope_end(text: str, start: int) -> int:
    words = list(re.finditer(r"\S+", text[start:]))
    if len(words) > SCOPE_WORDS:
        return start + words[SCOPE_WORDS - 1].end()
    return len(text)


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


# --- concepts ---------------------------------------------------------------------------------

_PAIN = (
    r"pain|pains|painful|sore|soreness|ache|aches|aching|achy|hurts?|hurting|tender|tenderness"
    r"|throb(?:s|bing)?|killing me|agony|stabbing|sharp"
)
_SWELL = (
    r"swollen|swelling|swelled|swell|swells|puffy|puffed up|puffed|puffiness|fat|fatter|bigger"
    r"|larger|huge|inflamed|blown up|blew up|ballooned|engorged|oedema|edema|effusion"
)
_WARM_RED = r"hot|warm|warmth|red|redness|reddish|angry|burning hot"
_WEAK_CALF = (
    r"tight|tightness|hard|knot|knotted|lump|heavy|heaviness|cramp|cramps|cramping|cramped|funny"
    r"|weird|strange|not right|off|tense|firm|bruised|bruise|sausage"
)

_CALF_BODY_RE = rx(
    r"\b(?:calf|calfs|calves|calf's|back of (?:my |the )?(?:lower )?leg|gastrocs?|gastrocnemius)\b"
)
_BOTH_CALVES_SORE_RE = rx(r"\b(?:calves|both calfs|both calves|both legs)\b")
_CALF_SWELL_RE = rx(r"\b(?:" + _SWELL + "|" + _WARM_RED + r")\b")
_LEG_BODY_RE = rx(r"\b(?:(?:lower|whole|left|right|one) (?:lower )?leg|leg|legs|ankle and calf|one side)\b")
_CALF_SYMPTOM_RE = rx(r"\b(?:" + _PAIN + "|" + _SWELL + "|" + _WARM_RED + r")\b")
_LEG_SYMPTOM_RE = rx(r"\b(?:" + _SWELL + "|" + _WARM_RED + r")\b")
_WEAK_CALF_RE = rx(r"\b(?:" + _WEAK_CALF + r")\b")
_ONE_LEG_BIGGER_RE = rx(
    r"\bone (?:leg|calf|side)\b[a-z' ]{0,30}\b(?:bigger|fatter|larger|swollen|puffier|thicker)\b"
    r"|\b(?:bigger|fatter|larger|swollen|thicker) than the other\b"
)
_BREATH_RE = rx(
    r"\b(?:breathless(?:ness)?|breathlessness|sob|short of breath|shortness of breath|out of breath"
    r"|short of air|(?:can't|cant|cannot|can not|couldn't|couldnt|hard to|trouble|difficulty"
    r"|difficult to|struggling to|struggle to|unable to) (?:catch (?:my|a) |get (?:my|a) (?:full )?"
    r"|take a (?:deep |full )?)?(?:breath|breathe|breathing)|breathing (?:is |feels )?(?:hard"
    r"|difficult|off|short|laboured|labored|funny|weird)|gasping|gasp|winded|puffed out|puffing"
    r"|puffed|huffing|dyspnoea|dyspnea|cough(?:ed|ing|s)? (?:up )?(?:a (?:bit|little) of |some )?blood"
    r"|breath(?:ing)? (?:is |feels )?(?:short|shallow)|no air|air hungry)\b"
)
_CHEST_RE = rx(
    r"\bchest (?:pain|pains|hurts|hurting|is (?:tight|sore|hurting)|feels (?:tight|heavy|sore)"
    r"|tightness|pressure|ache|aches|is aching)\b|\b(?:pain|pains|tightness|pressure|ache|hurts?)"
    r" (?:in|across|on) (?:my |the )?chest\b|\btight chest\b|\bcrushing\b|\bchest\b(?= [a-z ]{0,20}"
    r"(?:breathe|breath))"
    r"|\b(?:tight|tightness|pressure|heavy|heaviness|pain|sore|hurts?) (?:across|in|on|around) (?:my |the )?chest\b"
    r"|\b(?:pain|hurts?|sharp|stabbing|catch(?:es)?) (?:when|as|if) i (?:breathe|breath|take a (?:deep |big )?breath)"
    r"(?: in| deeply| deep)?\b"
)
_FEVER_RE = rx(
    r"\b(?:fever|fevers|feverish|fevery|febrile|pyrexia|(?:a |high |running a |got a )?temperature"
    r"|high temp|a temp|temp of|temps|3[89](?:\.\d)? ?(?:degrees|°|c)?(?= |$)|chills|chilly|shivers|shivering"
    r"|shivery|shakes|shaking|rigors|sweats|sweating|night sweats|unwell|crook|rotten|flu|fluey"
    r"|flu-?ish|flu-?like|off colour|off color|run down|rundown|coming down with"
    r"|(?:feel|feeling|felt|feels) (?:really |very |quite |so |pretty |a bit |a little |kind of "
    r"|super )?(?:sick|ill|awful|terrible|lousy|horrible))\b(?! of)"
)
_KNEE_INFLAMED_RE = rx(
    r"\b(?:hot|warm|warmth|red|redness|reddish|angry|swollen|swelling|swelled|puffy|puffed up"
    r"|inflamed|blown up|blew up|big)\b"
)
_KNEE_HOT_RE = rx(r"\b(?:hot|warm|warmth|burning)\b")
_KNEE_RED_RE = rx(r"\b(?:red|redness|reddish|angry)\b")
_KNEE_SWOLLEN_RE = rx(r"\b(?:swollen|swelling|swelled|puffy|puffed up|blown up|blew up|big|inflamed)\b")

_LOCKED_RE = rx(
    r"\b(?:can't|cant|cannot|can not|unable to|won't|wont|will not|couldn't|couldnt|not able to"
    r"|doesn't|doesnt|does not|isn't able to|struggle to|struggling to)"
    r" (?:fully |completely |properly |quite )?(?:straighten|strighten|extend|unlock|straigthen"
    r"|get (?:it|my (?:knee|leg)|the (?:knee|leg)) (?:fully |all the way |completely )?straight"
    r"|go (?:fully |all the way )?straight|bend (?:it )?(?:or|and) straighten)"
    r"|\bunable to achieve full extension\b|\bno full extension\b"
    r"|\bstuck (?:bent|in a bent|at (?:an angle|about|\d)|at (?:a|an) )"
    r"|\b(?:locked|stuck|jammed) (?:bent|in (?:place|a bent|position)|solid|at an angle"
    r"|since|for)"
    r"|\b(?:it's|its|it is|kne+'s|kne+ is|kne+ has|has been|it has|been|is) (?:been )?(?:locked|jammed)"
    r"(?! (?:up )?(?:once|sometimes|occasionally|then|and (?:then )?(?:frees|unlocks)))"
    r"|\bwon't (?:unlock|straighten)\b|\b(?:locked|jammed)$"
)
_LOCKED_WEAK_RE = rx(r"\b(?:locked up|locked|locking|locks up|got stuck|gets stuck|jammed)\b")
_FREES_RE = rx(
    r"\b(?:frees|freed|free up|unlocks|unlocked|clicks back|comes free|came free|pops back"
    r"|then (?:it's )?fine|goes away|sometimes|now and then|occasionally|then it's ok|once or twice)\b"
)

_SWELLING_RE = rx(
    r"\b(?:swell(?:ed|s|ing)?|swollen|ballooned|balloon|puffed up|blew up|blown up|came up"
    r"|went up|huge|massive|got big|effusion|fluid)\b"
)
_FAST_RE = rx(
    r"\b(?:fast|quickly|quick|rapid(?:ly)?|straight away|right away|immediately|immediate|instantly"
    r"|straight after|right after|within (?:an?|a few|a couple(?: of)?|two|half an|\d+) (?:hours?"
    r"|hrs?|minutes?|mins?)|in (?:an?|a few|a couple(?: of)?|half an|\d+) (?:hours?|hrs?|minutes?|mins?)"
    r"|that (?:night|evening|day|afternoon)|within minutes|within hours|in hours|like a balloon"
    r"|ballooned|the same day|same day)\b"
)
_POP_RE = rx(
    r"\b(?:pop|popped|popping|went pop|heard a (?:crack|snap|click)|felt a (?:snap|crack|tear|pop)"
    r"|snapped|snap|crack|cracked|tore|torn)\b"
)
_SLOW_RE = rx(r"\b(?:slowly|gradually|over (?:a few|several|the next) days|next day|days later)\b")
_INJURY_RE = rx(
    r"\b(?:injur(?:y|ed|ies)|twist(?:ed|ing)?|fell|fall|fallen|landed|landing|rolled|rolling it"
    r"|tackled?|tackle|hit|whacked|knocked|crashed|collided|came off|tripped|slipped|went over"
    r"|pivot(?:ed|ing)?|changed direction|kicked|accident|happened|hurt it|stacked it|bumped)\b"
)

_NERVE_RE = rx(
    r"\b(?:numb|numbness|numbnes|numbish|pins (?:and|&|n|'n') needles|pins and needles|tingl(?:e|es"
    r"|ing|y)|paraesthesia|paresthesia|parasthesia|foot drop|drop foot|dropped foot"
    r"|foot (?:slaps|slapping|drops|flops|is floppy|feels floppy|feels weak|is weak)"
    r"|floppy foot|weak (?:foot|ankle)|foot (?:keeps |kept )?(?:catching|catches|dragging|drags|scuffs"
    r"|scuffing)|toes? (?:keep |kept )?(?:drag|dragging|catch|catching|scuff|scuffing)"
    r"|(?:catching|catch|scuffing|dragging) my (?:toes?|foot)|trip(?:ping)? over my (?:foot|toes)"
    r"|(?:can't|cannot|can not|unable to|hard to|trouble|struggling to|struggle to|weakness|weak)"
    r" (?:lift(?:ing)?|rais(?:e|ing)|pull(?:ing)? up|pick(?:ing)? up|pull(?:ing)?) (?:my |the )?(?:foot|toes|ankle)"
    r"|scuff(?:s|ing)? (?:on )?the (?:ground|floor)|drag(?:s|ging)? on the (?:ground|floor)"
    r"|dead leg|leg (?:feels|is|went) dead|feels dead|electric (?:shocks?|zaps?|feeling)|shooting"
    r" (?:pain|pains) down|lost (?:the )?feeling|no feeling|can't feel (?:my )?(?:foot|toes|leg))\b"
)
_NIGHT_RE = rx(
    r"\b(?:at night|at nite|during the night|in the night|overnight|all night|in bed|night ?time"
    r"|at rest|when resting|while resting|when i rest|when i'm resting|even resting|when i'm lying"
    r"|lying down|lying in bed|sitting still|doing nothing|even at rest|resting|asleep)\b"
)
_NIGHT_PAIN_ONLY_RE = rx(
    r"\b(?:wakes? me|woke me|waking me|wake up (?:in the night )?(?:with|from|because)|keeps? me (?:up|awake)"
    r"|keeping me (?:up|awake)|can't sleep|cant sleep|couldn't sleep|unable to sleep|trouble sleeping"
    r"|night pain|rest pain|night-time pain|nighttime pain|worse at night|worst at night"
    r"|wakes? up in the night|wake in the night|even (?:when|while) (?:i'm |i am )?(?:resting|lying"
    r"|sitting)|even at rest|even resting|even in bed)\b"
)
_PAIN_WORD_RE = rx(r"\b(?:" + _PAIN + r"|worse|worst|bad|constant|it|bothers?|there|aching)\b")
_LUMP_RE = rx(r"\b(?:lump|lumps|bump|bumps|a mass|a growth|hard knot|lumpy)\b")
_WEIGHT_LOSS_RE = rx(
    r"\b(?:weight loss|lost (?:a lot of |some |heaps of |a bunch of |a fair bit of |about |around"
    r" |nearly |almost |over |like )?(?:\d+ ?(?:kg|kgs|kilos?|kilograms?|pounds|lbs) (?:of )?)?weight"
    r"|losing weight|(?:lost|dropped|losing|down) (?:about |around |nearly |almost |over |like )?"
    r"\d+ ?(?:kg|kgs|kilos?|kilograms?|pounds|lbs)|dropped (?:a lot of |heaps of |some )?weight"
    r"|weight (?:has )?(?:dropped|fallen|gone down))\b"
)
_UNINTENDED_RE = rx(
    r"\b(?:not trying|without trying|without meaning to|not meaning to|not on purpose|don't know why"
    r"|dont know why|no idea why|not sure why|unexplained|for no reason|no reason|unintentional"
    r"|unintended|not dieting|haven't been dieting|wasn't trying)\b"
)
_INTENDED_RE = rx(
    r"\b(?:on purpose|dieting|diet|deliberately|intentional(?:ly)?|meant to|cutting|trying to lose)\b"
)

_RECENT_RE = rx(
    r"\b(?:today|yesterday|this morning|this arvo|this afternoon|last night|tonight|earlier"
    r"|on the weekend|at the weekend|over the weekend|this weekend|last weekend|(?:a )?(?:few|couple"
    r"(?: of)?|two|three|four|five|six|2|3|4|5|6) days ago|days ago|this week|the other day|just now"
    r"|(?:on |last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
)
_CANT_WALK_RE = rx(
    r"\b(?:(?:can't|cant|cannot|can not|unable to|couldn't|couldnt|not able to) (?:even )?"
    r"(?:walk|weight ?bear|bear weight|put (?:any )?weight|stand|take (?:\d|four|a|more than)"
    r"|put my foot down|step)|barely walk|can hardly walk|can only hop|hopping|on crutches|crutches"
    r"|(?:can't|cant|cannot|can not|unable to|won't|wont) (?:fully )?bend|won't go to 90"
    r"|can't bend it to 90|not able to bend)\b"
)
_AGE_RE = rx(r"\b(?:i'm|im|i am|aged?)\s?(\d{2,3})\b|\b(\d{2,3})\s?(?:years? old|yo|y/o)\b")

# The sign names the conversation remembers (`red_flag_signs` slot) and combines.
SIGNS = (
    "calf",
    "breath",
    "chest",
    "fever",
    "knee_hot",
    "knee_red",
    "knee_swollen",
    "swelling",
    "fast",
    "pop",
    "locked",
    "nerve",
    "night",
    "ottawa",
)

# One short yes/no question per flag, asked when a sign is named but not certain.
CONFIRM_QUESTIONS: dict[str, str] = {
    "calf_pain_with_breathlessness": (
        "Quick safety check: do you have calf pain or swelling together with breathlessness or chest "
        "pain right now?"
    ),
    "hot_swollen_knee_with_fever": (
        "Quick safety check: is your knee hot, red or swollen, and do you have a fever or feel "
        "generally unwell?"
    ),
    "ottawa_xray_criteria": (
        "Quick safety check: did this injury happen in the last 7 days, and since then are you "
        "unable to take four steps or bend the knee to a right angle?"
    ),
    "calf_dvt_signs": ("Quick safety check: is one of your calves painful, swollen, warm or red right now?"),
    "locked_knee": "Quick safety check: is your knee stuck right now, so you can't straighten it fully?",
    "rapid_swelling_after_injury": (
        'Quick safety check: did the knee swell up within a few hours of an injury or a "pop"?'
    ),
    "nerve_symptoms": (
        "Quick safety check: do you have numbness, pins and needles, or trouble lifting your foot "
        "(it catches or slaps when you walk)?"
    ),
    "night_rest_pain_weight_loss_lump": (
        "Quick safety check: do you have pain at night or at rest, weight loss you can't explain, or a lump?"
    ),
}


@dataclass(frozen=True)
class Findings:
    flags: frozenset[str]  # affirmed red flags (from this message alone, signs combined)
    uncertain: frozenset[str]  # flags named but not certain: ask one yes/no question
    signs: frozenset[str]  # affirmed signs, for combining across the conversation
    negated: bool  # some red-flag wording was negated ("no chest pain")


class _Reader:
    def __init__(self, t: str) -> None:
        self.t = t
        self.neg, self.unsure = _scopes(t)
        self.negated_any = False

    def state(self, pos: int) -> str:
        if _inside(pos, self.neg):
            self.negated_any = True
            return "negated"
        if _inside(pos, self.unsure):
            return "unsure"
        return "affirmed"

    def matches(
        self, pattern: re.Pattern[str], text: str | None = None, offset: int = 0
    ) -> list[tuple[re.Match[str], str]]:
        return [
            (m, self.state(offset + m.start())) for m in pattern.finditer(self.t if text is None else text)
        ]

    def any(self, pattern: re.Pattern[str]) -> str | None:
        """ "affirmed" beats "unsure" beats "negated"; None when not named."""
        states = {s for _, s in self.matches(pattern)}
        for s in ("affirmed", "unsure", "negated"):
            if s in states:
                return s
        return None


_OTHER_BODY_RE = rx(
    r"\b(?:knee|knees|kneecap|foot|feet|hip|thigh|ankle|shin|back(?! of)|chest|hamstring|quad|quads|itb|toe|toes)\b"
)


def _near(body: re.Match[str], symptom: re.Match[str], t: str, words: int = 7) -> bool:
    """Close, in one sentence, and the symptom not about another body part ("knee pain, calf ok")."""
    between = (
        t[body.end() : symptom.start()] if body.start() < symptom.start() else t[symptom.end() : body.start()]
    )
    if _HARD_BREAK_RE.search(between) or len(between.split()) > words or _OTHER_BODY_RE.search(between):
        return False
    owner = " ".join(t[: symptom.start()].split()[-2:])  # "knee pain, calf ok"
    return not (symptom.start() < body.start() and _OTHER_BODY_RE.search(owner))


def _body_sign(r: _Reader, body: re.Pattern[str], symptom: re.Pattern[str]) -> str | None:
    """A body part and a symptom close together, both affirmed (or one of them unsure)."""
    best: str | None = None
    for bm, bstate in r.matches(body):
        for sm, sstate in r.matches(symptom):
            if bm.start() == sm.start() or not _near(bm, sm, r.t):
                continue
            if "negated" in (bstate, sstate):
                continue
            state = "affirmed" if bstate == sstate == "affirmed" else "unsure"
            if state == "affirmed":
                return state
            best = state
    return best


def _detect(t: str) -> tuple[set[str], set[str], bool]:
    """(affirmed signs, unsure signs, negated wording seen)."""
    r = _Reader(t)
    signs: set[str] = set()
    unsure: set[str] = set()

    def add(name: str, state: str | None) -> None:
        if state == "affirmed":
            signs.add(name)
        elif state == "unsure":
            unsure.add(name)

    calf = _body_sign(r, _CALF_BODY_RE, _CALF_SYMPTOM_RE)
    if calf == "affirmed" and _BOTH_CALVES_SORE_RE.search(t) and not _CALF_SWELL_RE.search(t):
        calf = "unsure"  # both calves sore after a session: usually training soreness, so ask
    leg = _body_sign(r, _LEG_BODY_RE, _LEG_SYMPTOM_RE)
    if _ONE_LEG_BIGGER_RE.search(t):
        leg = leg or r.state(_ONE_LEG_BIGGER_RE.search(t).start())
    add("calf", calf if calf == "affirmed" else leg if leg == "affirmed" else calf or leg)
    if "calf" not in signs:
        weak = _body_sign(r, _CALF_BODY_RE, _WEAK_CALF_RE)
        if weak is not None:
            unsure.add("calf")
    add("breath", r.any(_BREATH_RE))
    add("chest", r.any(_CHEST_RE))
    add("fever", r.any(_FEVER_RE))

    # Inflammation words that belong to the calf or leg don't count for the knee.
    knee_t = _CALF_BODY_RE.sub(lambda m: "#" * len(m.group(0)), t)
    for pattern_name, pattern in (
        ("knee_hot", _KNEE_HOT_RE),
        ("knee_red", _KNEE_RED_RE),
        ("knee_swollen", _KNEE_SWOLLEN_RE),
    ):
        states = {
            r.state(m.start())
            for m in pattern.finditer(knee_t)
            if not _CALF_BODY_RE.search(t[max(0, m.start() - 30) : m.end() + 30])
        }
        add(pattern_name, "affirmed" if "affirmed" in states else "unsure" if "unsure" in states else None)

    # Locked: "can't straighten it" / "it's locked"; a knee that locks now and then and frees is
    # the mechanical pointer of spec §4, not this flag.
    frees = _FREES_RE.search(t)
    locked = r.any(_LOCKED_RE)
    if locked == "affirmed" and frees and not re.search(r"won't|wont|can't|cant|cannot|unable", t):
        locked = "unsure"
    add("locked", locked)
    if locked is None and not frees and r.any(_LOCKED_WEAK_RE) == "affirmed":
        unsure.add("locked")

    swelling = r.any(_SWELLING_RE)
    add("swelling", swelling)
    add("fast", r.any(_FAST_RE) if swelling else None)
    add("pop", r.any(_POP_RE))
    if (
        swelling == "affirmed"
        and "fast" not in signs
        and "pop" not in signs
        and r.any(_INJURY_RE) == "affirmed"
        and not _SLOW_RE.search(t)
    ):
        unsure.add("fast")  # swelling after an injury, no time given: ask whether within hours

    add("nerve", r.any(_NERVE_RE))

    night = None
    for m, state in r.matches(_NIGHT_RE):
        window = t[max(0, m.start() - 50) : m.start()]
        clause = re.split(r"[.;!?,]|\bbut\b|\bfine\b|\bok\b|\beases?\b|\bsettles?\b|\bbetter\b", window)[-1]
        if _PAIN_WORD_RE.search(clause) or re.search(
            r"\b(?:pain|hurts?|aches?|aching|throbs?|throbbing|worse)\b", t[m.end() : m.end() + 25]
        ):
            if (
                re.search(
                    r"\b(?:fine|ok|okay|eases|settles|better|no pain|goes away|gone)\b",
                    t[m.start() - 25 : m.end() + 15],
                )
                and state == "affirmed"
            ):
                continue
            if "foam rolling" in clause:
                continue
            night = state if night != "affirmed" else night
    add("night", night)
    add("night", r.any(_NIGHT_PAIN_ONLY_RE))
    add("night", r.any(_LUMP_RE))
    weight = r.any(_WEIGHT_LOSS_RE)
    if weight == "affirmed":
        if _UNINTENDED_RE.search(t):
            signs.add("night")
        elif _INTENDED_RE.search(t):
            pass
        else:
            unsure.add("night")  # weight lost, no reason given: ask
    elif weight == "unsure":
        unsure.add("night")

    # Ottawa from a message: an injury, recent, and cannot walk / bend (or aged 55+).
    injury = r.any(_INJURY_RE) == "affirmed"
    cant = r.any(_CANT_WALK_RE) == "affirmed"
    age_m = _AGE_RE.search(t)
    old = bool(age_m) and int(age_m.group(1) or age_m.group(2)) >= 55
    if injury and (cant or old):
        if _RECENT_RE.search(t):
            signs.add("ottawa")
        elif cant:
            unsure.add("ottawa")

    unsure -= signs
    return signs, unsure, r.negated_any


def flags_from_signs(signs: frozenset[str] | set[str]) -> frozenset[str]:
    """The spec §3 flags that a set of signs (one message or a whole conversation) adds up to."""
    s = set(signs)
    flags: set[str] = set()
    if ("calf" in s and "breath" in s) or "chest" in s:
        # Chest pain on its own is treated as an emergency too: never a normal running symptom.
        flags.add("calf_pain_with_breathlessness")
    elif "calf" in s:
        flags.add("calf_dvt_signs")
    knee = {"knee_hot", "knee_red", "knee_swollen"} & s
    if ("fever" in s and knee) or len(knee) == 3:
        flags.add("hot_swollen_knee_with_fever")
    if "ottawa" in s:
        flags.add("ottawa_xray_criteria")
    if "locked" in s:
        flags.add("locked_knee")
    if "swelling" in s and ("fast" in s or "pop" in s):
        flags.add("rapid_swelling_after_injury")
    if "nerve" in s:
        flags.add("nerve_symptoms")
    if "night" in s:
        flags.add("night_rest_pain_weight_loss_lump")
    return frozenset(flags)


def _uncertain_flags(signs: set[str], unsure: set[str]) -> set[str]:
    """Flags that an unsure sign would add if the person confirmed it (one question each)."""
    certain = flags_from_signs(signs)
    out: set[str] = set()
    for sign in unsure:
        extra = flags_from_signs(signs | {sign}) - certain
        if not extra and sign in _SIGN_FLAG:
            extra = {_SIGN_FLAG[sign]} - certain  # a sign that is a flag on its own
        out |= extra
    # hot and swollen (two of the three) without a fever: ask about the fever
    if len({"knee_hot", "knee_red", "knee_swollen"} & signs) >= 2:
        out.add("hot_swollen_knee_with_fever")
    return out - certain


_SIGN_FLAG = {
    "calf": "calf_dvt_signs",
    "chest": "calf_pain_with_breathlessness",
    "ottawa": "ottawa_xray_criteria",
    "locked": "locked_knee",
    "fast": "rapid_swelling_after_injury",
    "nerve": "nerve_symptoms",
    "night": "night_rest_pain_weight_loss_lump",
}


# The person says the sign is absent or fine: the trained net is not asked to second-guess that.
_REASSURED_RE = rx(
    r"\b(?:fine|ok|okay|normal|all good|no problems?|no worries|can (?:walk|straighten|bend|sleep)"
    r"|(?:haven't|havent|have not|hasn't|didn't|don't|dont) (?:lost|had|got|have|noticed))\b"
)


def read_red_flags(text: str | None, earlier_signs: frozenset[str] = frozenset()) -> Findings:
    """Everything the safety net needs from one message, given the signs seen earlier in the
    conversation: flags (combined with the earlier signs), uncertain flags, this message's signs."""
    t = prep(text)
    if not t:
        return Findings(frozenset(), frozenset(), frozenset(), False)
    signs, unsure, negated = _detect(t)
    combined = set(signs) | set(earlier_signs)
    flags = flags_from_signs(combined)
    uncertain = _uncertain_flags(combined, unsure) - flags
    if not negated and not _REASSURED_RE.search(t):
        # the trained net: phrasing no rule was written for; confirmed by the yes/no question
        uncertain |= set(classifier_flags(t)) - flags

    return Findings(flags, frozenset(uncertain), frozenset(signs), negated)


def find_red_flags(text: str | None) -> frozenset[str]:
    """Red flags named anywhere in a message (any turn of the chat). Never None."""
    t = prep(text)
    if not t:
        return frozenset()
    signs, _, _ = _detect(t)
    return flags_from_signs(signs)


def parse_red_flags(text: str | None) -> frozenset[str] | None:
    """Answer to the red-flag screen: flags, empty set for "none of these", None if unclear
    (including a sign named but not certain: the safety net asks about it)."""
    t = prep(text)
    if not t:
        return None
    signs, unsure, negated = _detect(t)
    flags = flags_from_signs(signs)
    if flags:
        return flags
    if _uncertain_flags(signs, unsure):
        return None
    if negated or is_none_answer(t):
        return frozenset()
    return None

"""Free text (or button text) → slot values for the triage questions.

Keyword and regular-expression rules only, so every decision can be read and tested. Every
function returns None when the text is unclear, so the form can ask again with buttons.

Safety and speed rules used throughout:
- Only the first `MAX_SCAN_CHARS` characters are scanned, and no pattern has nested unbounded
  repeats, so a 5,000-character paste stays fast.
- Red flags and symptoms are negation-aware ("no chest pain", "I don't have numbness").
- When in doubt about a red flag we lean towards flagging it: a needless GP visit costs far less
  than a missed clot or infection.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_SCAN_CHARS = 1000
MILE_KM = 1.609

# --- normalising ------------------------------------------------------------------------------

# Typo fixing: exact map for frequent short slips, then a careful fuzzy match for long words.
_TYPOS: dict[str, str] = {
    "kne": "knee",
    "knne": "knee",
    "kneee": "knee",
    "nee": "knee",
    "stiars": "stairs",
    "sairs": "stairs",
    "staris": "stairs",
    "stirs": "stairs",
    "ouside": "outside",
    "outsie": "outside",
    "outisde": "outside",
    "outsdie": "outside",
    "otuside": "outside",
    "insdie": "inside",
    "inisde": "inside",
    "fron": "front",
    "fornt": "front",
    "hil": "hill",
    "hils": "hills",
    "yse": "yes",
    "yess": "yes",
    "yea": "yeah",
    "noo": "no",
    "nooo": "no",
    "feaver": "fever",
    "fevor": "fever",
    "fevr": "fever",
    "swolen": "swollen",
    "swollon": "swollen",
    "sweling": "swelling",
    "swolled": "swelled",
    "calve": "calf",
    "kalf": "calf",
    "straigten": "straighten",
    "strait": "straight",
    "gradualy": "gradually",
    "graduly": "gradually",
    "sudenly": "suddenly",
    "suddently": "suddenly",
    "suddnly": "suddenly",
    "kms": "km",
    "klms": "km",
    "milage": "mileage",
    "mileage": "mileage",
    "persent": "percent",
    "precent": "percent",
    "kenmoor": "kenmore",
    "jindali": "jindalee",
    "jindally": "jindalee",
}

# Long, distinctive words worth fuzzy-matching. Short words are too easy to confuse.
_FUZZY_VOCAB: tuple[str, ...] = (
    "outside",
    "kneecap",
    "gradually",
    "suddenly",
    "downhill",
    "downstairs",
    "numbness",
    "swelling",
    "breathless",
    "breathlessness",
    "tingling",
    "kenmore",
    "jindalee",
    "predictable",
    "kilometres",
    "kilometers",
    "stiffness",
    "sprinting",
    "straighten",
    "yesterday",
    "iliotibial",
    "catching",
    "locking",
)
# Real words one typo away from a vocabulary word: leave them alone.
_PROTECTED: frozenset[str] = frozenset(
    {
        "outsider",
        "outsides",
        "looking",
        "watching",
        "matching",
        "patching",
        "hatching",
        "latching",
        "selling",
        "spelling",
        "smelling",
        "dwelling",
        "printing",
        "straight",
        "straighter",
        "stillness",
        "mingling",
        "jingling",
        "tinkling",
        "tickling",
        "rocking",
        "locating",
        "knocking",
        "docking",
        "gradual",
        "sudden",
        "kilometre",
        "kilometer",
        "downhills",
        "yesterdays",
        "unlocking",
        "breathes",
        "lacking",
        "licking",
        "caching",
        "outsiders",
        "tiling",
        "straightest",
        "kenmare",
    }
)


@lru_cache(maxsize=4096)
def _fix_word(word: str) -> str:
    if word in _TYPOS:
        return _TYPOS[word]
    if len(word) < 6 or word in _PROTECTED or word in _FUZZY_VOCAB:
        return word
    # Typos rarely hit the first letter; requiring it avoids many false corrections.
    candidates = [v for v in _FUZZY_VOCAB if v[0] == word[0] and abs(len(v) - len(word)) <= 2]
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.85)
    return match[0] if match else word


_WORD_RE = re.compile(r"[a-z]+")
_DASHES_RE = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")


def _prep(text: str | None) -> str:
    """Lower-case, bounded, typo-fixed text. Emoji and other symbols are kept but harmless."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS]).lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = _DASHES_RE.sub("-", t)
    t = _WORD_RE.sub(lambda m: _fix_word(m.group(0)), t)
    return _SPACES_RE.sub(" ", t).strip()


# --- negation ---------------------------------------------------------------------------------

# Where a negation stops applying: sentence ends, contrast words, and "and" that starts a new
# clause ("no fever and my calf is swollen").
_CLAUSE_BREAK_RE = re.compile(
    r"[.;!?\n]|\b(?:but|however|although|though|except|whereas|while|apart from)\b"
    r"|\band\s+(?=(?:i|i'm|im|i've|ive|my|it|it's|its|there|now|also|then|this|that|when)\b)"
    r"|,\s*(?=(?:it's|its|it is|i'm|im|i am|i've|i have|my|there's|there is|rather|actually"
    r"|more like|mostly|mainly|just)\b)"
)
_COMMA_RE = re.compile(r",")
_NEG_WORDS: frozenset[str] = frozenset(
    {
        "no",
        "not",
        "never",
        "without",
        "none",
        "nor",
        "neither",
        "nothing",
        "zero",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "didn't",
        "didnt",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "hadn't",
        "hadnt",
        "isn't",
        "isnt",
        "wasn't",
        "wasnt",
        "aren't",
        "arent",
        "weren't",
        "werent",
        "denies",
        "deny",
        "nope",
        "nah",
    }
)
_NOT_SURE_RE = re.compile(r"\bnot (?:sure|certain)\b|\bno idea\b")
_NEG_WINDOW_WORDS = 5


def _negated(t: str, start: int) -> bool:
    """True when a negation word sits shortly before `start` in the same clause."""
    before = t[max(0, start - 60) : start]
    pieces = _CLAUSE_BREAK_RE.split(before)
    before = _NOT_SURE_RE.sub(" ", pieces[-1])
    words = re.findall(r"[a-z']+", before)[-_NEG_WINDOW_WORDS:]
    return any(w in _NEG_WORDS for w in words)


def _find(t: str, pattern: re.Pattern[str]) -> tuple[bool, bool]:
    """(an affirmed match exists, a negated match exists)."""
    affirmed = negated = False
    for m in pattern.finditer(t):
        if _negated(t, m.start()):
            negated = True
        else:
            affirmed = True
    return affirmed, negated


def _clauses(t: str, commas: bool = False) -> list[str]:
    pieces = _CLAUSE_BREAK_RE.split(t)
    if commas:
        pieces = [p for piece in pieces if piece for p in _COMMA_RE.split(piece)]
    return [c.strip() for c in pieces if c and c.strip()]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- "none of these" --------------------------------------------------------------------------

_NONE_RE = _rx(
    r"\bnone\b|\bnothing\b|\bno to (?:all|everything|each)\b|\bnot any\b|\bneither\b"
    r"|\b(?:don't|dont|do not|haven't|havent|have not) (?:have|got|get) (?:any|anything)\b"
    r"|\ball (?:good|clear|fine)\b|\bnil\b|\bno red flags?\b|\bnot really\b"
    r"|\b(?:don't|dont|do not) think so\b|\bnot that i know\b|\bnot that i've noticed\b"
    r"|\b(?:haven't|havent|have not) noticed\b"
)
_BARE_NO_RE = _rx(r"^(?:no+|nope|nah|n|no thanks|no thank you|negative|never)\b")


def _is_none_answer(t: str) -> bool:
    # Deliberately narrow: "I can't remember" must not count as "none of these".
    return bool(_NONE_RE.search(t) or _BARE_NO_RE.search(t) or re.search(r"\byeah,? nah\b", t))


# --- yes / no / skip --------------------------------------------------------------------------

_UNSURE_RE = _rx(
    r"\bnot (?:sure|certain)\b|\bunsure\b|\bmaybe\b|\b(?:don't|dont|do not) know\b|\bdunno\b"
    r"|\bidk\b|\bno idea\b|\bcan't say\b|\bhard to (?:say|tell)\b|\bperhaps\b|\bpossibly\b"
    r"|\bno clue\b|\bskip\b|\bnot certain\b|\byes and no\b|\bunclear\b"
)
_NO_PHRASES = (
    "don't think so",
    "dont think so",
    "do not think so",
    "not really",
    "not at all",
    "no way",
    "nope",
    "nah",
    "no",
    "never",
    "negative",
    "false",
    "nothing",
    "not",
    "don't",
    "dont",
    "do not",
    "doesn't",
    "doesnt",
    "does not",
    "didn't",
    "didnt",
    "did not",
    "isn't",
    "isnt",
    "is not",
    "can't",
    "cant",
    "cannot",
    "can not",
    "couldn't",
    "couldnt",
    "haven't",
    "havent",
    "hasn't",
    "hasnt",
    "won't",
    "wont",
    "rarely",
    "hardly",
    "unable",
)
_YES_PHRASES = (
    "think so",
    "of course",
    "for sure",
    "yes",
    "yeah",
    "yep",
    "yup",
    "yah",
    "ya",
    "aye",
    "sure",
    "definitely",
    "absolutely",
    "certainly",
    "correct",
    "that's right",
    "thats right",
    "true",
    "affirmative",
    "totally",
    "indeed",
    "i do",
    "it does",
    "it did",
    "i did",
    "it has",
    "can",
    "sometimes",
    "often",
    "usually",
    "always",
    "mostly",
    "a bit",
    "a little",
    "kind of",
    "kinda",
    "sort of",
    "somewhat",
    "probably",
    "exactly",
    "yess",
    "yas",
)


def _alternation(phrases: tuple[str, ...]) -> str:
    # Longest first so "not really" wins over "not" at the same position.
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


_YES_NO_RE = _rx(
    r"\b(?:(?P<no>" + _alternation(_NO_PHRASES) + r")|(?P<yes>" + _alternation(_YES_PHRASES) + r"))\b"
)
_INTERJECTIONS = frozenset({"yes", "yeah", "yep", "yup", "yah", "ya", "no", "nope", "nah"})
_YES_EMOJI = ("👍", "✅", "✔", "👌")
_NO_EMOJI = ("👎", "❌", "✖", "🙅")


def parse_yes_no(text: str | None) -> bool | None:
    """Generic yes/no: "yep", "not really", "I don't think so", "yeah nah" (= no)."""
    t = _prep(text)
    if not t:
        return None
    if t in ("y", "n"):
        return t == "y"
    # Australian: "yeah nah" means no, "nah yeah" means yes.
    if re.search(r"\byeah,? nah\b", t):
        return False
    if re.search(r"\bnah,? yeah\b", t):
        return True
    if _UNSURE_RE.search(t):
        return None
    cues = [("no" if m.group("no") else "yes", m.group(0)) for m in _YES_NO_RE.finditer(t)]
    if not cues:
        if any(e in t for e in _YES_EMOJI):
            return True
        if any(e in t for e in _NO_EMOJI):
            return False
        return None
    kinds = {kind for kind, _ in cues}
    if len(kinds) == 1:
        return kinds.pop() == "yes"
    # Mixed cues: trust a leading "Yes, but..." / "No, although..." interjection.
    first_kind, first_word = cues[0]
    if t.startswith(first_word) and first_word in _INTERJECTIONS:
        return first_kind == "yes"
    return None


_UNSURE_ONLY_RE = _rx(
    r"\bnot (?:sure|certain)\b|\bunsure\b|\bmaybe\b|\b(?:don't|dont|do not) know\b|\bdunno\b"
    r"|\bidk\b|\bno idea\b|\bcan't say\b|\bhard to (?:say|tell)\b|\bno clue\b"
    r"|\b(?:can't|cant|cannot|don't|dont) remember\b|\bnot certain\b|\bunclear\b"
    r"|\b(?:i'm |im )?not too sure\b|\bwho knows\b|\bpossibly\b|\bperhaps\b|^\?+$"
)


def is_unsure(text: str | None) -> bool:
    """True for "Not sure", "dunno", "can't remember" (the person doesn't know the answer)."""
    t = _prep(text)
    return bool(t) and bool(_UNSURE_ONLY_RE.search(t))


_SKIP_RE = _rx(
    r"^(?:skip(?: it| this| that)?|pass|next|n/?a|prefer not(?: to say)?|rather not(?: say)?"
    r"|i'?d rather not(?: say)?|no thanks|none of your business|not telling"
    r"|(?:i )?(?:don't|dont|do not) want to (?:say|tell|answer)|private)$"
)


def is_skip(text: str | None) -> bool:
    """True for "Skip", "prefer not to say" and friends (used by optional questions)."""
    t = _prep(text)
    t = re.sub(r"[^a-z0-9/'\- ]", "", t).strip()
    return bool(t) and bool(_SKIP_RE.search(t))


# --- Q1 location ------------------------------------------------------------------------------

_KNEE = r"(?:my |the |your |his |her )?(?:left |right )?kne+s?"
_LOCATION_RES: dict[str, re.Pattern[str]] = {
    "lateral": _rx(
        r"\b(?:outside|outer|outward|lateral(?:ly)?|itb|itbs|it band|i\.t\.? band|i\.t\.b\.?"
        r"|iliotibial|ilio-tibial|it-band|little toe side)\b"
    ),
    "anterior": _rx(
        r"\b(?:front|kneecap|kneecaps|knee cap|knee-cap|patella|patellar|anterior"
        r"|(?:below|under|above|around|behind) the (?:kneecap|knee cap))\b"
    ),
    "medial": _rx(r"\b(?:inside|inner|medial(?:ly)?|big toe side)\b"),
    "posterior": _rx(
        r"\b(?:back of " + _KNEE + r"|behind " + _KNEE + r"|posterior|back of it|back of the leg"
        r"|knee pit|back side of " + _KNEE + r"|at the back|round the back|around the back)\b"
    ),
    "diffuse": _rx(
        r"\b(?:whole knee|whole of (?:my|the) knee|entire knee|all over|everywhere|all around"
        r"|whole thing|whole joint|diffuse|(?:can't|cannot|hard to) pinpoint|all of it"
        r"|(?:moves|moving) around)\b"
    ),
    "hip_thigh": _rx(r"\b(?:hips?|thighs?|groin|glutes?|buttocks?|bum|upper leg|quads?)\b"),
}
_MENTIONS_KNEE_RE = _rx(r"\bkne+s?\b|\bkneecap\b")


def parse_location(text: str | None) -> str | None:
    """ "the outside of my right knee", "ITB side" → "lateral"; one of the spec §1 values."""
    t = _prep(text)
    found = set()
    for name, pattern in _LOCATION_RES.items():
        affirmed, _ = _find(t, pattern)
        if affirmed:
            found.add(name)
    # "Behind the kneecap" is front-of-knee pain, not the back of the knee.
    if (
        "posterior" in found
        and re.search(r"\bbehind the (?:kneecap|knee cap)\b", t)
        and not _LOCATION_RES["posterior"].search(re.sub(r"behind the knee ?cap", "", t))
    ):
        found.discard("posterior")
    # ITBS pain often spreads up the outer thigh: outside + thigh/hip about the knee = lateral.
    if found == {"lateral", "hip_thigh"} and _MENTIONS_KNEE_RE.search(t):
        return "lateral"
    if "diffuse" in found and len(found) > 1:
        found = {"diffuse"} if re.search(r"\b(?:whole|entire|all over|everywhere)\b", t) else found
    return found.pop() if len(found) == 1 else None


# --- Q2 onset ---------------------------------------------------------------------------------

_NO_INJURY_RE = _rx(
    r"\b(?:no|not an?|without (?:an?|any)|never had an?|wasn't an?|no specific|no particular)"
    r" (?:injury|injuries|accident|trauma|fall|twist|incident)\b"
    r"|\b(?:didn't|did not|never|haven't|have not|wasn't|was not|not) (?:\w+ )?"
    r"(?:injure|injured|hurt it|twist|twisted|fall|fell|knock|knocked|hit|land|landed|trip)\w*"
    r"|\bnothing (?:happened|specific|in particular)\b|\bjust (?:started|came on|appeared)\b"
)
_GRADUAL_RE = _rx(
    r"\b(?:gradual|gradually|slowly|over time|over (?:a few|a couple of|several|some|the last"
    r"|\d+) (?:days|weeks|months|runs)|built up|building up|builds up|crept|creeping|creeps"
    r"|bit by bit|little by little|more and more|got worse and worse|worse over|overuse"
    r"|came on during|came on with|started during (?:a |my )?runs?)\b"
)
_RUN_CONTEXT_RE = _rx(
    r"\b(?:with|from|during|while|when|on|after|through|in|into) (?:my |a |the )?"
    r"(?:running|runs?|training"
    r"|jogging|long runs?)\b"
)
_INJURY_RE = _rx(
    r"\b(?:injury|injured|injure|twist|twisted|twisting|fell|fall|fallen|tripped|slipped|landed"
    r"|landing|awkward|pop|popped|snap|snapped|crack|blow|hit|knocked|knock|tackle|tackled"
    r"|collision|collided|crash|crashed|accident|kicked|bumped|rolled|pivot|pivoted|jarred)\b"
)
_SUDDEN_RE = _rx(r"\b(?:sudden|suddenly|all of a sudden|out of nowhere|in one go)\b")


def parse_onset(text: str | None) -> str | None:
    """ "Gradually, with running" → "gradual"; "Suddenly, with an injury" → "sudden_injury"."""
    t = _prep(text)
    if not t:
        return None
    no_injury = bool(_NO_INJURY_RE.search(t))
    injury_text = _NO_INJURY_RE.sub(" ", t)
    injury, _ = _find(injury_text, _INJURY_RE)
    sudden, _ = _find(injury_text, _SUDDEN_RE)
    gradual = bool(_GRADUAL_RE.search(t)) or no_injury
    with_running = bool(_RUN_CONTEXT_RE.search(t))
    if (injury or sudden) and gradual:
        return None  # both stories told: ask again with buttons
    if injury:
        return "sudden_injury"
    if sudden:
        # "suddenly, halfway through a run" with no injury is not clearly an injury.
        return None if with_running else "sudden_injury"
    if gradual or with_running:
        return "gradual"
    return None


# --- Q3 pattern in a run ----------------------------------------------------------------------

_PREDICTABLE_NO_RE = _rx(
    r"\b(?:random(?:ly)?|no (?:real )?pattern|unpredictabl[ey]|varies|it varies|any ?time"
    r"|all the time|the whole time|whole run|constant(?:ly)?|from the (?:start|first step|outset"
    r"|beginning|get go|first km)|as soon as i (?:start|begin)|(?:doesn't|doesnt|does not|won't"
    r"|wont|never) (?:really )?(?:ease|settle|go away|stop|improve|calm|fade)"
    r"|stays? (?:sore|painful)|lingers|hurts? all day|all day)\b"
)
_PREDICTABLE_YES_RE = _rx(
    r"\b(?:always|every time|each time|every run|same (?:point|time|distance|spot|place|stage)"
    r"|predictabl[ey]|like clockwork|pretty much always"
    r"|(?:after|at|around|about|by|past) (?:about |around |roughly |approximately |the )?"
    r"\d+(?:\.\d+)?\s?(?:k|km|kms|kilometres?|kilometers?|mins?|minutes?|miles?|mi)\b"
    r"|\d+(?:\.\d+)?\s?(?:k|km|kms|kilometres?|kilometers?|mins?|minutes?|miles?) (?:in|into)"
    r"|(?:eases|settles|goes away|disappears|calms down|fades|improves|stops hurting"
    r"|goes off|settles down|eases off) (?:after|when|once|soon|within|if|pretty)"
    r"|(?:eases|settles|fades) (?:down|off|quickly)|once i stop|when i stop|after i stop)"
)


def parse_predictable_onset(text: str | None) -> bool | None:
    """ "always at about 5 km then eases" → True; "it's random" → False."""
    t = _prep(text)
    if not t:
        return None
    if _PREDICTABLE_NO_RE.search(t):
        return False
    affirmed, _ = _find(t, _PREDICTABLE_YES_RE)
    if affirmed:
        return True
    return parse_yes_no(t)


_DOWNHILL_RE = _rx(
    r"\b(?:downhills?|down ?hills?|down slopes?|descents?|descending|declines?|running down"
    r"|coming down(?! ?stairs)|heading down"
    r"|going down(?! ?stairs)|down steep)\b"
)
_UPHILL_RE = _rx(r"\b(?:uphills?|up ?hills?|climbs?|climbing|inclines?|ascents?)\b")
_WORSE_RE = _rx(
    r"\b(?:worse|worst|hurts?|hurting|painful|pain|kills?|killer|aggravates?|flares?|sore|bad"
    r"|more|triggers?|sets? it off|brings? it on|murder|agony|struggle)\b"
)
_FINE_RE = _rx(
    r"\b(?:fine|ok|okay|better|easier|no different|doesn't matter|doesnt matter|same|not worse"
    r"|no worse|doesn't change|doesnt change|don't notice|dont notice|no difference|all good"
    r"|no problem|not an issue|no issue)\b"
)
_NO_HILLS_RE = _rx(
    r"\b(?:no hills|don't run hills|dont run hills|never run hills|(?:only|always) (?:run )?(?:on"
    r" the )?flat|avoid hills)\b"
)


def _clause_votes(t: str, target: re.Pattern[str], other: re.Pattern[str] | None) -> set[bool]:
    """One vote per clause naming the target: False if that clause says it's fine or negates it."""
    votes: set[bool] = set()
    for clause in _clauses(t, commas=True):
        m = target.search(clause)
        if not m:
            continue
        if (
            _FINE_RE.search(clause)
            or _negated(clause, m.start())
            or other is not None
            and other.search(clause)
            and not _WORSE_RE.search(clause[m.start() :])
            and not _WORSE_RE.search(clause[: m.start()])
        ):
            votes.add(False)
        else:
            votes.add(True)
    return votes


def parse_downhill(text: str | None) -> bool | None:
    """Is running downhill worse? "yep, downhill kills it" → True; "uphill is worse" → False."""
    t = _prep(text)
    if not t:
        return None
    votes = _clause_votes(t, _DOWNHILL_RE, None)
    if len(votes) == 1:
        return votes.pop()
    if votes:
        return None
    if _NO_HILLS_RE.search(t):
        return False  # no downhill running: the feature is absent
    up_affirmed, _ = _find(t, _UPHILL_RE)
    if up_affirmed and _WORSE_RE.search(t):
        return False  # only uphill named as the problem
    return parse_yes_no(t)


# --- Q4 stairs --------------------------------------------------------------------------------

_STAIRS_DOWN_RE = _rx(
    r"\b(?:down ?(?:the |a |some )?(?:stairs?|steps|staircase)|downstairs|stair descent"
    r"|descending (?:the )?(?:stairs|steps)|(?:going|walking|coming|go|walk|come|went) down"
    r"|down(?:wards)? (?:is|are|hurts?))\b"
)
_STAIRS_UP_RE = _rx(
    r"\b(?:up ?(?:the |a |some )?(?:stairs?|steps|staircase)|upstairs|climbing (?:the )?"
    r"(?:stairs|steps)|(?:going|walking|go|walk|went) up)\b"
)
_STAIRS_ANY_RE = _rx(r"\b(?:stairs?|steps|staircase)\b")
_BOTH_WAYS_RE = _rx(r"\b(?:both(?: ways)?|either way|up and down|down and up)\b")


def parse_stairs(text: str | None) -> bool | None:
    """Does going DOWN stairs hurt? "only when I go down the stairs" → True."""
    t = _prep(text)
    if not t:
        return None
    if _BOTH_WAYS_RE.search(t) and not _FINE_RE.search(t) and parse_yes_no(t) is not False:
        return True
    votes = _clause_votes(t, _STAIRS_DOWN_RE, None)
    if len(votes) == 1:
        return votes.pop()
    if votes:
        return None
    up_affirmed, _ = _find(t, _STAIRS_UP_RE)
    if up_affirmed:
        return False  # only going up mentioned
    stairs_votes = _clause_votes(t, _STAIRS_ANY_RE, None)
    if len(stairs_votes) == 1:
        return stairs_votes.pop()
    return parse_yes_no(t)


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

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_TENS = ("twenty", "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBER_WORD_RE = _rx(
    r"\b(" + "|".join(_TENS) + r")[ -](one|two|three|four|five|six|seven|eight|nine)\b"
    r"|\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b"
)


def _words_to_numbers(t: str) -> str:
    """ "thirty five" → "35" (only used by number-reading parsers, never for red flags)."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return str(_NUMBER_WORDS[m.group(1)] + _NUMBER_WORDS[m.group(2)])
        return str(_NUMBER_WORDS[m.group(3)])

    return _NUMBER_WORD_RE.sub(repl, t)


def _km(value: str, unit: str | None) -> float:
    return float(value) * _UNITS.get(unit or "km", 1.0)


def _r1(x: float) -> float:
    return round(x, 1)


_TWO_NUMBERS_RE = _rx(r"\b" + _NUM + r"\s?" + _UNIT + _PER_WEEK + _ARROW + _NUM + r"\s?" + _UNIT + r"\b")
_FROM_RANGE_RE = _rx(
    r"\b(?:from|went|gone|increased|jumped|upped|bumped|ramped|dropped|decreased|cut)\s?"
    r"(?:from\s?)?" + _NUM + r"\s?" + _UNIT + r"\s?-\s?" + _NUM + r"\s?" + _UNIT + r"\b"
)
_WAS_NOW_RE = _rx(
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
_PCT_RANGE_RE = _rx(
    r"(\d{1,3}(?:\.\d)?)\s?" + _PCT_WORD + r"?\s?(?:-|to)\s?(\d{1,3}(?:\.\d)?)\s?" + _PCT_WORD
)
_PCT_RE = _rx(r"(\d{1,4}(?:\.\d{1,2})?)\s?(?:%|percent|per cent|pc\b)")
_DOWN_WORDS_RE = _rx(
    r"\b(?:down|less|fewer|lower|decreas\w*|reduc\w*|cut|dropp?\w*|backed off|back off|halved"
    r"|lost|shorter)\b"
)
_MULTIPLIERS: tuple[tuple[str, float], ...] = (
    (r"\b(?:tripled|triple|three times)\b", 200.0),
    (r"\b(?:doubled|double|twice as (?:much|far|many)|2x|two times)\b", 100.0),
    (r"\b(?:1\.5 ?x|one and a half times|50 ?% more)\b", 50.0),
    (r"\b(?:halved|half as (?:much|far)|cut (?:it )?in half)\b", -50.0),
)
_DELTA_AFTER_RE = _rx(
    r"\b" + _NUM + r"\s?" + _UNIT + _PER_WEEK + r"\s?(?:a week |per week )?(more|extra|further"
    r"|additional|longer|less|fewer|shorter)\b"
)
_DELTA_BEFORE_RE = _rx(
    r"\b(added|add|adding|an extra|extra|another|increased by|up by|upped (?:it )?by|went up by"
    r"|jumped by|bumped (?:it )?up by|decreased by|down by|cut (?:it )?by|reduced (?:it )?by"
    r"|dropped (?:it )?by|cut back by)\s?(?:about|around|roughly|approximately|~|nearly|almost)?"
    r"\s?" + _NUM + r"\s?" + _UNIT + r"\b"
)
_SAME_RE = _rx(
    r"\b(?:about the same|the same|same as (?:usual|before|normal|always|ever)|no change"
    r"|not changed|hasn't (?:really )?changed|hasnt changed|haven't changed|havent changed"
    r"|unchanged|nothing (?:really |much )?changed|nothing has changed|no different|steady"
    r"|consistent|same|no increase"
    r"|didn't change|didnt change|hasn't gone up|hasnt gone up|not really)\b"
)
_UP_WORDS_RE = _rx(
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
    t = _words_to_numbers(_prep(text))
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
    if _UP_WORDS_RE.search(t) and not _negated(t, _UP_WORDS_RE.search(t).start()):
        return MileageChange(None, None, None, None, direction="up")
    return None


# --- Q5 training changes ----------------------------------------------------------------------

_TRAINING_RES: dict[str, re.Pattern[str]] = {
    "long_run_spike": _rx(
        r"\b(?:(?<!in the )long(?:er|est)? runs?|much longer"
        r"|longer than (?:usual|normal|ever|before|i)"
        r"|longest|half[- ]?marathon|marathon|ultra|big run|long one|further than (?:ever|usual"
        r"|normal|before|i)|farther than|new distance|distance pb|first (?:\d+ ?k|\d+ ?km"
        r"|half|marathon|ultra|trail race)|run much longer|extra long|really long run)\b"
    ),
    "more_hills": _rx(
        r"\b(?:hills?|hilly|downhills?|uphills?|down ?hills?|descents?|elevation|vert"
        r"|mountains?|mt coot-?tha|coot-?tha|inclines?|slopes?|stair (?:sessions?|repeats?))\b"
    ),
    "new_shoes_or_surface": _rx(
        r"\b(?:shoes?|sneakers?|trainers|new runners|pair of runners|my runners|carbon|plated"
        r"|insoles?|orthotics?|surfaces?|track|treadmill|concrete|road|roads|bitumen|sand|beach"
        r"|grass|trails?|camber|footpath|pavement|gravel|asphalt)\b"
    ),
}


def _names_in(t: str, patterns: dict[str, re.Pattern[str]]) -> tuple[set[str], bool]:
    found: set[str] = set()
    any_negated = False
    for name, pattern in patterns.items():
        affirmed, negated = _find(t, pattern)
        if affirmed:
            found.add(name)
        any_negated = any_negated or negated
    return found, any_negated


def parse_training_changes(text: str | None) -> frozenset[str] | None:
    """Subset of long_run_spike / more_hills / new_shoes_or_surface; empty for "none"."""
    t = _prep(text)
    if not t:
        return None
    found, any_negated = _names_in(t, _TRAINING_RES)
    if found:
        return frozenset(found)
    if any_negated or _is_none_answer(t) or _SAME_RE.search(t):
        return frozenset()
    return None


# --- Q6 red flags -----------------------------------------------------------------------------

_SIGN = (
    r"(?:pain|painful|sore|soreness|ache|aches|aching|hurts?|hurting|tender|tenderness"
    r"|swollen|swelling|swelled|puffy|red|redness|warm|warmth|hot|throbbing|throbs)"
)
_GAP = r"(?:(?!(?:not|no|never|isn't|isnt)\b)[a-z']+ ){0,3}"
_CALF_RE = _rx(
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
_BREATH_RE = _rx(
    r"\b(?:breathless(?:ness)?|short of breath|shortness of breath|out of breath"
    r"|(?:can't|cannot|can not|hard to|trouble|difficulty|struggling to|struggle to) (?:catch my )?"
    r"breath(?:e|ing)?|breathing (?:is )?(?:hard|difficult|trouble)|coughing (?:up )?blood"
    r"|puffed|winded)\b"
)
_CHEST_RE = _rx(
    r"\b(?:chest (?:pain|tightness|pressure|hurts|is tight|feels tight)|pain in (?:my |the )?chest"
    r"|tight chest|tightness in (?:my |the )?chest|crushing chest)\b"
)
_FEVER_RE = _rx(
    r"\b(?:fever|feverish|febrile|(?:a |high |running a )temperature|high temp|temps?"
    r"|shivers|shivering|shivery|chills|rigors|sweats|sweating at night"
    r"|feel(?:ing|s)? (?:really |very |quite |so |pretty |a bit |a little |kind of |super )?"
    r"(?:unwell|sick|crook|rotten|awful"
    r"|terrible|ill|flu-?ish|fluey)|flu[- ]?like|generally unwell|off colour|run down)\b"
)
_INFLAMED_RE = _rx(r"\b(?:hot|warm|red|redness|swollen|swelling|puffy|inflamed)\b")
_HOT_RE = _rx(r"\b(?:hot|warm|warmth)\b")
_RED_RE = _rx(r"\b(?:red|redness|reddish)\b")
_SWOLLEN_RE = _rx(r"\b(?:swollen|swelling|puffy)\b")
_LOCKED_RE = _rx(
    r"\b(?:can't|cant|cannot|can not|unable to|won't|wont|will not|couldn't|couldnt|not able to)"
    r" (?:fully |completely |properly |all the way )?(?:straighten|extend|unlock|get (?:it|my knee"
    r"|the knee) (?:straight|to straighten))"
    r"|\bstuck (?:bent|in a bent|at an angle)|\b(?:locked|stuck) (?:bent|in place|solid|up"
    r"|at an angle)\b|\bwon't straighten\b"
)
_KNEE_LOCKED_RE = _rx(r"\bkne+(?:'s| is| has| got| gets| keeps)?(?: [a-z]+)? (?:locked|stuck)\b")
_FREES_RE = _rx(
    r"\b(?:frees|freed|free up|unlocks|unlocked|clicks back|comes free|came free|pops back"
    r"|then (?:it's )?fine|goes away|sometimes|now and then|occasionally|then it's ok)\b"
)
_SWELL_RE = _rx(r"\b(?:swell(?:ed|s|ing)?|swollen|ballooned|balloon|puffed up|blew up|blown up|came up)\b")
_FAST_RE = _rx(
    r"\b(?:fast|quickly|quick|rapid(?:ly)?|straight away|right away|immediately|instantly"
    r"|within (?:an?|a few|a couple of|two|\d+) (?:hours?|minutes?)|in (?:an?|a few|a couple of"
    r"|\d+) (?:hours?|minutes?)|that (?:night|evening|day)|within minutes|like a balloon"
    r"|within hours|in hours)\b"
)
_POP_RE = _rx(r"\b(?:pop|popped|popping sound|heard a (?:crack|snap)|felt a (?:snap|crack|tear)|snapped)\b")
_NERVE_RE = _rx(
    r"\b(?:numb|numbness|pins (?:and|&|n) needles|pins and needles|tingl(?:e|es|ing|y)"
    r"|foot drop|drop foot|dropped foot|foot (?:slaps|slapping|drops)|(?:can't|cannot|can not"
    r"|unable to|hard to) (?:lift|raise|pull up) (?:my |the )?(?:foot|toes|ankle)"
    r"|catching my toes|tripping over my (?:foot|toes)|weak (?:foot|ankle)|dead leg"
    r"|electric (?:shocks?|zaps?))\b"
)
_NIGHT_PAIN_RE = _rx(
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
_WEIGHT_LOSS_RE = _rx(
    r"\b(?:weight loss|lost (?:a lot of |some |heaps of |a bunch of |\d+ ?kg of )?weight"
    r"|losing weight|(?:lost|dropped) \d+ ?(?:kg|kgs|kilos?)|dropped (?:a lot of )?weight)\b"
)
_INTENDED_WEIGHT_RE = _rx(
    r"\b(?:on purpose|dieting|diet|trying to|intentional(?:ly)?|deliberately|meant to)\b"
)


def _detect_red_flags(t: str) -> tuple[frozenset[str], bool]:
    """(affirmed flags, whether any flag wording was negated)."""
    flags: set[str] = set()
    negs: list[bool] = []

    def hit(pattern: re.Pattern[str], where: str = t) -> bool:
        affirmed, negated = _find(where, pattern)
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
    knee_locked = any(hit(_KNEE_LOCKED_RE, c) for c in _clauses(t) if not _FREES_RE.search(c))
    if hit(_LOCKED_RE) or knee_locked:
        flags.add("locked_knee")

    fast = False
    for clause in _clauses(t):
        m = _SWELL_RE.search(clause)
        if m and _FAST_RE.search(clause) and not _negated(clause, m.start()):
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
    flags, _ = _detect_red_flags(_prep(text))
    return flags


def parse_red_flags(text: str | None) -> frozenset[str] | None:
    """Answer to the red-flag screen: flags, empty set for "none of these", None if unclear."""
    t = _prep(text)
    if not t:
        return None
    flags, any_negated = _detect_red_flags(t)
    if flags:
        return flags
    if any_negated or _is_none_answer(t):
        return frozenset()
    return None


# --- pointer symptoms -------------------------------------------------------------------------

_STIFF_LONG_RE = _rx(
    r"\b(?:(?:an?|one|two|few|couple of|\d+) hours?|all morning|most of the morning|half the"
    r" morning|till lunch|until lunch|(?:over|more than|longer than) (?:30|half an hour)"
    r"|(?:3[1-9]|[4-9]\d|\d{3}) ?(?:mins?|minutes))\b"
)
_SYMPTOM_RES: dict[str, re.Pattern[str]] = {
    "mechanical": _rx(
        r"\b(?:catch(?:es|ing)?|lock|locks|locking|locks up"
        r"|locked up (?:and|then) (?:frees|unlocks)"
        r"|giv(?:es|ing) way|gave way|give way|gives out|gave out|giving out|buckl(?:es|ed|ing)"
        r"|unstable|instability|clunk(?:s|ing)?)\b"
    ),
    "joint_line_pain": _rx(r"\b(?:joint[- ]line|along the joint|in the joint line|between the bones)\b"),
    "twist_or_landing_injury": _rx(
        r"\b(?:twist(?:ed|ing)?|landed (?:awkwardly|badly|wrong|funny|on it)|awkward landing"
        r"|bad landing|pivot(?:ed|ing)?|rolled (?:it|my knee)|jumped and landed"
        r"|changed direction)\b"
    ),
    "blow_to_inside_of_knee": _rx(
        r"\b(?:hit|knock(?:ed)?|kicked|blow|whack(?:ed)?|bang(?:ed)?|struck|tackled?|bumped)"
        r"(?: [a-z]+){0,3} (?:on |to |from )?(?:the )?(?:inside|inner|medial)"
        r"|\b(?:blow|knock|hit|kick|whack) to the inside\b"
    ),
    "outer_ligament_pain": _rx(
        r"\b(?:outer|outside|lateral) (?:collateral )?ligament|\blcl\b|\bligament on the outside\b"
    ),
    "kneecap_sitting_squatting": _rx(
        r"\b(?:squat(?:s|ting)?|sitting (?:for (?:long|a while|ages|too long)|still)|after sitting"
        r"|sit(?:ting)? (?:in the car|at (?:my|a|the) desk|through a movie)(?: for (?:long|ages))?"
        r"|(?:getting|get|stand(?:ing)?) up from (?:a |the )?(?:chair|sitting|seat|couch)"
        r"|kneeling|movie|cinema|around the (?:kneecap|knee cap)|kneecap (?:hurts|pain)"
        r"|behind the (?:kneecap|knee cap)|(?:sitting|sit) (?:or|and) squat)\w*"
    ),
    "worse_sprinting": _rx(
        r"\b(?:sprint(?:s|ing)?|striding out|stride outs?|strides|speed ?work|intervals"
        r"|running fast|fast running|fast runs?|track sessions?|when i speed up|kick at the end)\b"
    ),
    "back_movement_changes": _rx(
        r"\b(?:(?:move|moving|bend|bending|twist|twisting|arch|arching|stretch|stretching) (?:my )?"
        r"(?:lower )?back|back (?:movement|movements|pain|ache|is sore|hurts)|lower back|low back"
        r"|sciatica|from my back|lumbar|spine)\b"
    ),
    "pins_and_needles": _rx(r"\b(?:pins (?:and|&|n) needles|tingl(?:e|es|ing|y)|numb|numbness)\b"),
    "morning_stiffness_short": _rx(
        r"\b(?:stiff(?:ness)?|tight) (?:for |in the |first thing |when i (?:get|wake) up|of a "
        r"|after waking|on waking|each |every |in mornings)|\bmorning stiffness\b"
        r"|\bstiff (?:when i|after i) (?:wake|get up)"
    ),
}


def parse_symptoms(text: str | None) -> frozenset[str] | None:
    """Pointer symptom names (contracts); empty set for "none of these", None if unclear."""
    t = _prep(text)
    if not t:
        return None
    found, any_negated = _names_in(t, _SYMPTOM_RES)
    if "morning_stiffness_short" in found:
        mentions_morning = re.search(r"\b(?:morning|mornings|wake|waking|get up|getting up)\b", t)
        if not mentions_morning or _STIFF_LONG_RE.search(t):
            found.discard("morning_stiffness_short")  # ≤ 30 min only (NICE NG226)
            any_negated = True  # answered, just not the short kind
    if "mechanical" in found and re.search(r"\bcatch(?:es|ing)? my toes?\b", t):
        found.discard("mechanical")  # toe-catching is a nerve sign, not a knee catch
    if found:
        return frozenset(found)
    if any_negated or _is_none_answer(t):
        return frozenset()
    return None


# --- Q7 age -----------------------------------------------------------------------------------

_AGE_MIN, _AGE_MAX = 10, 110
_DECADE_RE = _rx(r"\b(early|mid|late)?[ -]?(\d)0'?s\b")
_UNDER_RE = _rx(r"\b(?:under|below|less than|younger than)\s?(\d{2,3})\b")
_OVER_RE = _rx(
    r"\b(?:over|above|older than|more than)\s?(\d{2,3})\b"
    r"|\b(\d{2,3})\s?(?:\+|or (?:over|older|more|above))"
)
_BAND_RE = _rx(r"\b(\d{2,3})\s?(?:-|to)\s?(\d{2,3})\b")
_AGE_CONTEXT_RE = _rx(
    r"\b(?:i'm|im|i am|aged|age|age is|turning|turned|just turned)\s?(\d{2,3})\b"
    r"|\b(\d{2,3})\s?(?:years?|yrs?|yo|y/o|y\.o\.)\b"
)
_NOT_AGE_UNIT_RE = _rx(
    r"^\s?(?:k|km|kms|kg|kgs|kilo\w*|mi|miles?|min|mins|minutes?|%|percent|cm|m\b|days?"
    r"|weeks?|months?|hours?)"
)


def _age_ok(n: int) -> int | None:
    return n if _AGE_MIN <= n <= _AGE_MAX else None


_DECADE_WORDS_RE = _rx(r"\b(twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies\b")
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
    t = _DECADE_WORDS_RE.sub(lambda m: _DECADE_WORDS[m.group(1)] + "s", _prep(text))
    t = _words_to_numbers(t)
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

_RECENT_RE = _rx(
    r"\b(?:today|yesterday|this morning|this afternoon|this arvo|last night|tonight|just now"
    r"|earlier today|this week|on the weekend|at the weekend|over the weekend|this weekend"
    r"|last weekend|a few days ago|few days ago|couple of days ago|couple days ago|days ago"
    r"|last week|a week ago|within the (?:last|past) (?:week|7 days)|less than a week"
    r"|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|the other day)\b"
)
_OLD_RE = _rx(
    r"\b(?:fortnight|weeks ago|last month|months? ago|years? ago|a while ago|ages ago"
    r"|long time ago|over a week|more than a week|a week and a half|last year|back in"
    r"|no injury|wasn't injured|didn't injure|not injured|never injured|no,? not recently)\b"
)
_DAYS_AGO_RE = _rx(r"\b(\d{1,3}|a|an) (day|days|week|weeks|month|months|year|years) ago\b")


def parse_injury_recent(text: str | None) -> bool | None:
    """Was there a knee injury within the last 7 days? "yesterday" → True; "a month ago" → False."""
    t = _words_to_numbers(_prep(text))
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


# --- contact and site -------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    kind: str  # "phone" | "email"
    value: str  # E.164 (+61…) or lower-case email


_EMAIL_RE = re.compile(
    r"(?<![a-z0-9._%+-])([a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9])?@[a-z0-9](?:[a-z0-9-]{0,61}"
    r"[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,5}\.[a-z]{2,24})(?![a-z0-9-])"
)
_PHONE_CANDIDATE_RE = re.compile(r"(?<![\d+])\+?\(?\d[\d ().-]{6,20}\d(?!\d)")
_AU_NATIONAL_RE = re.compile(r"^(?:4\d{8}|[2378]\d{8})$")


def _normalise_phone(candidate: str) -> str | None:
    """Australian mobile or landline → +61…; None if not a valid-looking number."""
    raw = candidate.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        if not digits.startswith("61"):
            return None
        national = digits[2:]
    elif digits.startswith("0061"):
        national = digits[4:]
    elif digits.startswith("61") and len(digits) == 11:
        national = digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        national = digits[1:]
    else:
        return None
    if national.startswith("0"):  # "+61 (0)4…" written with the trunk zero
        national = national[1:]
    if not _AU_NATIONAL_RE.match(national):
        return None
    return "+61" + national


def parse_contact(text: str | None) -> Contact | None:
    """An Australian phone number or an email address, whichever comes first."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS]).lower()
    found: list[tuple[int, Contact]] = []
    m = _EMAIL_RE.search(t)
    if m and ".." not in m.group(1):
        found.append((m.start(), Contact("email", m.group(1))))
    for pm in _PHONE_CANDIDATE_RE.finditer(t):
        number = _normalise_phone(pm.group(0))
        if number:
            found.append((pm.start(), Contact("phone", number)))
            break
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]


_SITE_RES: dict[str, re.Pattern[str]] = {
    "kenmore": _rx(r"\b(?:kenmore|ken more|kenmor|kenmoore|kenmure)\b"),
    "jindalee": _rx(r"\b(?:jindalee|jinda lee|jindale|jindallee|jindalie|jindaly|jindaleee)\b"),
}


def parse_site(text: str | None) -> str | None:
    """ "kenmore" | "jindalee"; None when neither or both are chosen."""
    found: set[str] = set()
    for clause in _clauses(_prep(text), commas=True):  # "not Kenmore, Jindalee"
        found |= _names_in(clause, _SITE_RES)[0]
    return found.pop() if len(found) == 1 else None

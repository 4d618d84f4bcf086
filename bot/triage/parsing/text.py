"""Shared text tools: normalising and typo fixing, negation scopes for the question
parsers, "none of these", yes / no / not sure / skip, and number words."""

from __future__ import annotations

import difflib
import re
import unicodedata
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
    "numbnes": "numbness",
    "numness": "numbness",
    "strighten": "straighten",
    "straigthen": "straighten",
    "straiten": "straighten",
    "breathlesness": "breathlessness",
    "breathlessnes": "breathlessness",
    "nite": "night",
    "tinglin": "tingling",
    "temprature": "temperature",
    "temperture": "temperature",
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


def prep(text: str | None) -> str:
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


def is_negated(t: str, start: int) -> bool:
    """True when a negation word sits shortly before `start` in the same clause."""
    before = t[max(0, start - 60) : start]
    pieces = _CLAUSE_BREAK_RE.split(before)
    before = _NOT_SURE_RE.sub(" ", pieces[-1])
    words = re.findall(r"[a-z']+", before)[-_NEG_WINDOW_WORDS:]
    return any(w in _NEG_WORDS for w in words)


def find(t: str, pattern: re.Pattern[str]) -> tuple[bool, bool]:
    """(an affirmed match exists, a negated match exists)."""
    affirmed = negated = False
    for m in pattern.finditer(t):
        if is_negated(t, m.start()):
            negated = True
        else:
            affirmed = True
    return affirmed, negated


def clauses(t: str, commas: bool = False) -> list[str]:
    pieces = _CLAUSE_BREAK_RE.split(t)
    if commas:
        pieces = [p for piece in pieces if piece for p in _COMMA_RE.split(piece)]
    return [c.strip() for c in pieces if c and c.strip()]


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- "none of these" --------------------------------------------------------------------------

_NONE_RE = rx(
    r"\bnone\b|\bnothing\b|\bno to (?:all|everything|each)\b|\bnot any\b|\bneither\b"
    r"|\b(?:don't|dont|do not|haven't|havent|have not) (?:have|got|get) (?:any|anything)\b"
    r"|\ball (?:good|clear|fine)\b|\bnil\b|\bno red flags?\b|\bnot really\b"
    r"|\b(?:don't|dont|do not) think so\b|\bnot that i know\b|\bnot that i've noticed\b"
    r"|\b(?:haven't|havent|have not) noticed\b"
)
_BARE_NO_RE = rx(r"^(?:no+|nope|nah|n|no thanks|no thank you|negative|never)\b")


def is_none_answer(t: str) -> bool:
    # Deliberately narrow: "I can't remember" must not count as "none of these".
    return bool(_NONE_RE.search(t) or _BARE_NO_RE.search(t) or re.search(r"\byeah,? nah\b", t))


# --- yes / no / skip --------------------------------------------------------------------------

_UNSURE_RE = rx(
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


_YES_NO_RE = rx(
    r"\b(?:(?P<no>" + _alternation(_NO_PHRASES) + r")|(?P<yes>" + _alternation(_YES_PHRASES) + r"))\b"
)
_INTERJECTIONS = frozenset({"yes", "yeah", "yep", "yup", "yah", "ya", "no", "nope", "nah"})
_YES_EMOJI = ("👍", "✅", "✔", "👌")
_NO_EMOJI = ("👎", "❌", "✖", "🙅")


def parse_yes_no(text: str | None) -> bool | None:
    """Generic yes/no: "yep", "not really", "I don't think so", "yeah nah" (= no)."""
    t = prep(text)
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


_UNSURE_ONLY_RE = rx(
    r"\bnot (?:sure|certain)\b|\bunsure\b|\bmaybe\b|\b(?:don't|dont|do not) know\b|\bdunno\b"
    r"|\bidk\b|\bno idea\b|\bcan't say\b|\bhard to (?:say|tell)\b|\bno clue\b"
    r"|\b(?:can't|cant|cannot|don't|dont) remember\b|\bnot certain\b|\bunclear\b"
    r"|\b(?:i'm |im )?not too sure\b|\bwho knows\b|\bpossibly\b|\bperhaps\b|^\?+$"
)


def is_unsure(text: str | None) -> bool:
    """True for "Not sure", "dunno", "can't remember" (the person doesn't know the answer)."""
    t = prep(text)
    return bool(t) and bool(_UNSURE_ONLY_RE.search(t))


_SKIP_RE = rx(
    r"^(?:skip(?: it| this| that)?|pass|next|n/?a|prefer not(?: to say)?|rather not(?: say)?"
    r"|i'?d rather not(?: say)?|no thanks|none of your business|not telling"
    r"|(?:i )?(?:don't|dont|do not) want to (?:say|tell|answer)|private)$"
)


def is_skip(text: str | None) -> bool:
    """True for "Skip", "prefer not to say" and friends (used by optional questions)."""
    t = prep(text)
    t = re.sub(r"[^a-z0-9/'\- ]", "", t).strip()
    return bool(t) and bool(_SKIP_RE.search(t))


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
_NUMBER_WORD_RE = rx(
    r"\b(" + "|".join(_TENS) + r")[ -](one|two|three|four|five|six|seven|eight|nine)\b"
    r"|\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b"
)


def words_to_numbers(t: str) -> str:
    """ "thirty five" → "35" (only used by number-reading parsers, never for red flags)."""

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return str(_NUMBER_WORDS[m.group(1)] + _NUMBER_WORDS[m.group(2)])
        return str(_NUMBER_WORDS[m.group(3)])

    return _NUMBER_WORD_RE.sub(repl, t)


def names_in(t: str, patterns: dict[str, re.Pattern[str]]) -> tuple[set[str], bool]:
    found: set[str] = set()
    any_negated = False
    for name, pattern in patterns.items():
        affirmed, negated = find(t, pattern)
        if affirmed:
            found.add(name)
        any_negated = any_negated or negated
    return found, any_negated

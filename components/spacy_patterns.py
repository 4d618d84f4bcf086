"""Rule-based entity extraction with spaCy ``Matcher`` patterns, as a Rasa 3.6 component.

Entities (``entity`` → ``value``):

``body_location``
    normalised to the triage spec's pain locations: ``lateral``, ``anterior``, ``medial``,
    ``posterior``, ``diffuse``, ``hip_thigh``.
    ``additional_info = {"side": "right" | "left" | "both" | None}``
``distance``
    the text span ("45 km", "45k", "30 to 45 km", "20 miles").
    ``additional_info = {"amount": 45.0, "unit": "km" | "mi" | "m", "km": 45.0}``;
    a range ("30 to 45 km", "5-10k") adds ``"amount_from"`` and ``"km_from"``.
``duration``
    the text span ("3 weeks", "a couple of days", "20 minutes").
    ``additional_info = {"amount": 3.0, "unit": "week", "days": 21.0, "approximate": False}``;
    a range ("2-3 weeks", "a week or two") adds ``"amount_from"`` and ``"days_from"``.
``percentage``
    the text span ("20%", "20 per cent", "10–30%").
    ``additional_info = {"amount": 20.0}``; a range adds ``"amount_from"``.

Every entity also has ``start``/``end`` (character offsets into the message text),
``confidence_entity`` 1.0 and ``extractor`` = ``"SpacyPatternExtractor"``.

Span conventions (the NLU training data is annotated the same way):

* body locations start at the first word that carries the location and end at the body
  part: "on the [outside of my right knee]", "[around the kneecap]", "[behind the knee]",
  "the [whole knee]", "my [right hip]", "[ITB side]". Leading "the/my/on/at" are not part
  of the span. Negated mentions ("not on the outside") are dropped.
* bare "outside"/"inside"/"front"/"outer"/"inner"/"behind" count only as a short answer
  (≤ 3 words, no running verb) or after "the" ("the outside"), never before "of <not knee>".
* "hip" followed by exercise words ("hip exercises", "hip strength") is not a location.
* numbers need a unit: "went from 15 to 22" gives nothing; "from 30 to 45 km" gives one
  range entity "30 to 45 km". Frequencies ("3 days a week", "45 km a week" → no duration
  "a week") and ages ("45 years old") are not durations.

The pure core is :func:`extract_entities` (spaCy ``Doc`` → entity dicts); use
:func:`doc_for_text` to make the doc (lower-cased text, so the lookup lemmas work — the
same thing Rasa's ``SpacyNLP`` does with its default ``case_sensitive: false``).
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

EXTRACTOR_NAME = "SpacyPatternExtractor"

BODY_LOCATION = "body_location"
DISTANCE = "distance"
DURATION = "duration"
PERCENTAGE = "percentage"
ENTITY_TYPES = (BODY_LOCATION, DISTANCE, DURATION, PERCENTAGE)

LATERAL, ANTERIOR, MEDIAL, POSTERIOR, DIFFUSE, HIP_THIGH = (
    "lateral",
    "anterior",
    "medial",
    "posterior",
    "diffuse",
    "hip_thigh",
)
BODY_LOCATION_VALUES = (LATERAL, ANTERIOR, MEDIAL, POSTERIOR, DIFFUSE, HIP_THIGH)

# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

KNEE = ["knee", "kne", "knne", "kneee", "knees", "kneees"]  # lemma (typos kept as-is)
KNEECAP = ["kneecap", "kneecaps", "knee-cap", "patella", "patellae", "patellar"]
HIP_THIGH_WORDS = [
    "hip", "thigh", "quad", "quads", "quadricep", "quadriceps", "hamstring", "hammy",
    "hammies", "tfl", "trochanter", "buttock",
]
LATERAL_WORDS = ["outside", "outer", "outsde", "ouside", "outisde", "outsdie", "outter", "outher"]
MEDIAL_WORDS = ["inside", "inner", "insde", "inisde", "innner"]
FRONT_WORDS = ["front", "frount", "frnt"]
BACK_WORDS = ["back", "rear"]
PART_WORDS = [
    "side", "part", "edge", "bit", "aspect", "area", "portion", "region", "corner", "spot",
    "ligament", "tendon", "bone",
]
DETS = ["the", "my", "your", "me", "his", "her", "their", "a", "both", "that", "this"]
SIDES = ["right", "left", "rt", "lt", "r", "l", "both", "r/l"]
PREP_OF = ["of", "on", "in"]
KNEECAP_PREPS = ["around", "under", "underneath", "below", "beneath", "above", "behind", "over"]
NOT_A_LOCATION_AFTER_HIP = {
    "exercise", "exercises", "strength", "strengthening", "strengthen", "abductor",
    "abductors", "abduction", "weakness", "thrust", "thrusts", "drop", "program",
    "programme", "routine", "work", "workout", "stuff", "stability", "mobility", "hop",
    "rehab", "bridge", "bridges", "muscle", "muscles",
}
EXERCISE_CONTEXT = {
    "strengthen", "strengthening", "strength", "stronger", "exercise", "exercises",
    "stretch", "stretches", "stretching", "activate", "activation", "train", "work",
}
ITB_FOLLOWERS_NOT_LOCATION = {"syndrome", "friction", "itbs", "syndrom", "sindrome"}
RUN_LEMMAS = {"run", "running", "jog", "jogging", "train", "training", "race", "racing"}

NEGATIONS = {"not", "n't", "no", "never", "nothing", "neither", "nor", "without", "nt", "dont", "isnt", "doesnt"}
NEGATION_BREAKERS = {
    "but", "except", "only", "more", "rather", "just", "mainly", "mostly", "instead",
    "actually", "sure", "know", "certain", "and", "or", "then", "it", "its",
}
NEGATION_IGNORED_AFTER = {"sure", "know", "certain", "idea"}  # "not sure", "don't know"
TRIM_LEADING = {"the", "my", "on", "at", "in", "your", "me", "a"}

# numbers and units ---------------------------------------------------------------------

UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALE_WORDS = {"hundred": 100, "thousand": 1000}
ARTICLE_ONE = ["a", "an"]

KM_UNITS = ["km", "kms", "k", "ks", "kilometre", "kilometres", "kilometer", "kilometers",
            "klm", "klms", "kay", "kays", "kilo", "kilos", "kilometre's"]
MI_UNITS = ["mi", "mile", "miles", "mls", "mile's"]
M_UNITS = ["m", "metre", "metres", "meter", "meters", "mtrs"]
DIST_UNITS = KM_UNITS + MI_UNITS + M_UNITS
DIST_FULL_UNITS = ["km", "kilometre", "kilometer", "mile"]  # "a mile", "a km"

DUR_UNIT_NORMAL = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "minites": "minute", "minuts": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour",
    "day": "day", "days": "day", "dys": "day",
    "week": "week", "weeks": "week", "wk": "week", "wks": "week", "weks": "week",
    "fortnight": "fortnight", "fortnights": "fortnight",
    "month": "month", "months": "month", "mth": "month", "mths": "month", "mnths": "month",
    "mo": "month", "mos": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year",
}
DUR_UNITS = list(DUR_UNIT_NORMAL)
DUR_FULL_UNITS = ["second", "minute", "min", "hour", "hr", "day", "week", "fortnight",
                  "month", "year"]
DAYS_PER_UNIT = {
    "second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "week": 7.0,
    "fortnight": 14.0, "month": 30.44, "year": 365.25,
}
PCT_WORDS = ["%", "percent", "pc", "pct", "per-cent", "procent", "percant", "precent"]

_NUM = r"\d+(?:[.,]\d+)?"
_KM_RE = "km|kms|k|ks|klm|klms"
_MI_RE = "mi|mile|miles"
_M_RE = "m|mtrs"
_DUR_RE = "secs?|mins?|minutes?|hrs?|hours?|h|days?|d|wks?|weeks?|mths?|months?|yrs?|years?"
GLUED_DISTANCE_RE = re.compile(rf"^({_NUM})({_KM_RE}|{_MI_RE}|{_M_RE})$")
GLUED_DURATION_RE = re.compile(rf"^({_NUM})({_DUR_RE})$")
GLUED_PERCENT_RE = re.compile(rf"^({_NUM})(%|pc|pct)$")
RANGE_TOKEN_RE = re.compile(rf"^({_NUM})(?:{_KM_RE}|{_MI_RE})?[-–—~]({_NUM})$")
DIGITS_RE = re.compile(rf"^{_NUM}$")
RANGE_CONNECTORS = {"to", "-", "–", "—", "~", "or", "and", "->", "→"}
RATE_WORDS_AFTER = {"a", "an", "per", "every", "each", "/", "p", "pw"}
FREQUENCY_BEFORE = {
    "time", "times", "once", "twice", "thrice", "run", "runs", "session", "sessions",
    "workout", "workouts", "day", "days", "night", "nights",
}


# --------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------


def _in(*words: Iterable[str], attr: str = "LOWER", op: Optional[str] = None) -> Dict:
    flat: List[str] = []
    for w in words:
        flat.extend([w] if isinstance(w, str) else list(w))
    spec: Dict[str, Any] = {attr: {"IN": flat}}
    if op:
        spec["OP"] = op
    return spec


def _lemma(*words: Iterable[str], op: Optional[str] = None) -> Dict:
    return _in(*words, attr="LEMMA", op=op)


def _regex(pattern: str, op: Optional[str] = None) -> Dict:
    spec: Dict[str, Any] = {"LOWER": {"REGEX": pattern}}
    if op:
        spec["OP"] = op
    return spec


_DET = _in(DETS, op="?")
_SIDE = _in(SIDES, op="?")
_OF = _in(PREP_OF, op="?")
_PART = _lemma(PART_WORDS, op="?")
_KNEE = _lemma(KNEE)
_JOINT = _in(["joint", "joints"], op="?")
_KNEECAP = _lemma(KNEECAP)
_KNEE_CAP_2 = [_lemma(KNEE), _in(["-"], op="?"), _lemma(["cap"])]  # "knee cap"
_HIPTHIGH = _lemma(HIP_THIGH_WORDS)


def _knee_tail(require_of: bool = False) -> List[Dict]:
    of = _in(PREP_OF) if require_of else _OF
    return [of, _DET, _SIDE, _KNEE, _JOINT]


def _body_location_patterns() -> Dict[str, List[List[Dict]]]:
    """Label → patterns. Labels: ``loc:<value>`` normal, ``locshort:<value>`` bare words."""
    P: Dict[str, List[List[Dict]]] = {f"loc:{v}": [] for v in BODY_LOCATION_VALUES}
    S: Dict[str, List[List[Dict]]] = {f"locshort:{v}": [] for v in BODY_LOCATION_VALUES}
    the = _in(["the"])

    # lateral ------------------------------------------------------------------------
    lat = _in(LATERAL_WORDS)
    out_side = [_in(["out"]), _in(["side"])]  # "out side of my knee"
    P["loc:lateral"] += [
        [lat, _PART, *_knee_tail()],                    # outside of my right knee, outer knee
        [*out_side, *_knee_tail(require_of=True)],
        [lat, _lemma(PART_WORDS)],                      # outer side, outside edge
        [_in(["lateral"])],                             # lateral (+ anything longer below)
        [_in(["lateral"]), _PART, *_knee_tail()],
        [_in(["lateral"]), _lemma(PART_WORDS)],
        [_in(["itb", "i.t.b", "i.t.b.", "itband"]), _PART],
        [_in(["it", "i.t."]), _in(["-"], op="?"), _lemma(["band"]), _PART],
        [_in(["iliotibial", "ilio-tibial", "illiotibial"]), _lemma(["band", "tract"]), _PART],
        [_in(["lateral"]), _in(["epicondyle", "femoral"]), _in(["epicondyle"], op="?")],
    ]
    S["locshort:lateral"] += [[the, lat], [lat]]

    # medial -------------------------------------------------------------------------
    med = _in(MEDIAL_WORDS)
    P["loc:medial"] += [
        [med, _lemma(PART_WORDS), *_knee_tail()],        # inner side of the knee
        [med, _in(PREP_OF), _DET, _SIDE, _KNEE, _JOINT],  # inside of my knee
        [med, _SIDE, _KNEE, _JOINT],                      # inside knee, inner knee (no det)
        [med, _lemma(PART_WORDS)],                        # inner side
        [_in(["medial"])],
        [_in(["medial"]), _PART, *_knee_tail()],
        [_in(["medial"]), _lemma(PART_WORDS)],
    ]
    S["locshort:medial"] += [[the, med], [med]]

    # anterior -----------------------------------------------------------------------
    front = _in(FRONT_WORDS)
    P["loc:anterior"] += [
        [front, _PART, *_knee_tail()],                   # front of the knee, front knee
        [front, _lemma(PART_WORDS)],
        [_KNEECAP],
        [*_KNEE_CAP_2],
        [_in(KNEECAP_PREPS), _DET, _SIDE, _KNEECAP],     # around the kneecap
        [_in(KNEECAP_PREPS), _DET, _SIDE, *_KNEE_CAP_2],
        [_KNEECAP, _in(["tendon"])],
        [front, _in(["/", "or", "and", "&", ","]), _in(KNEECAP_PREPS), _DET, _SIDE, _KNEECAP],
        [_in(["anterior"])],
        [_in(["anterior"]), _PART, *_knee_tail()],
        [_in(["in"]), _in(["front"]), _in(["of"]), _DET, _SIDE, _KNEE],
    ]
    S["locshort:anterior"] += [[the, front], [front]]

    # posterior ----------------------------------------------------------------------
    back = _in(BACK_WORDS)
    P["loc:posterior"] += [
        [back, _PART, *_knee_tail(require_of=True)],     # back of the knee
        [back, _SIDE, _KNEE],                             # back knee (rare)
        [_in(["behind"]), _DET, _SIDE, _KNEE, _JOINT],    # behind my knee
        [_in(["posterior"])],
        [_in(["posterior"]), _PART, *_knee_tail()],
        [_in(["popliteal", "popliteus"]), _lemma(["area", "fossa", "region", "tendon"], op="?")],
    ]
    S["locshort:posterior"] += [[the, back], [_in(["behind"])]]

    # diffuse ------------------------------------------------------------------------
    whole = _in(["whole", "entire", "hole"])
    P["loc:diffuse"] += [
        [whole, _SIDE, _KNEE, _JOINT],                    # whole knee
        [whole, _in(["of"]), _DET, _SIDE, _KNEE],         # whole of my knee
        [whole, _in(["joint"])],
        [_in(["all"]), _in(["over"]), _DET, _SIDE, _KNEE],
        [_in(["all"]), _in(["over"])],
        [_in(["all"]), _in(["around", "round"]), _DET, _SIDE, _KNEE],
        [_in(["everywhere"])],
        [_in(["everywhere"]), _in(["in", "around", "on"]), _DET, _SIDE, _KNEE],
        [_in(["all"]), _in(["of"]), _DET, _SIDE, _KNEE],
    ]

    # hip / thigh --------------------------------------------------------------------
    any_loc = _in(LATERAL_WORDS + MEDIAL_WORDS + FRONT_WORDS + BACK_WORDS
                  + ["lateral", "medial", "anterior", "posterior", "upper", "side"])
    P["loc:hip_thigh"] += [
        [_HIPTHIGH],
        [_in(SIDES), _HIPTHIGH],                          # right hip
        [any_loc, _PART, _OF, _DET, _SIDE, _HIPTHIGH],    # outside of my thigh, outer thigh
        [_HIPTHIGH, _in(["or", "and", "/", "&", "+"]), _HIPTHIGH],  # hip or thigh
        [_in(SIDES), _HIPTHIGH, _in(["or", "and", "/", "&", "+"]), _HIPTHIGH],
        [_in(["upper"]), _in(["leg", "legs"])],
        [_in(["hip"]), _in(["flexor", "flexors", "joint"])],
    ]
    P.update(S)
    return P


def _amount_sequences(allow_article: bool, allow_vague: bool) -> List[List[Dict]]:
    num = {"LIKE_NUM": True}
    seqs: List[List[Dict]] = [
        [num],
        [_regex(RANGE_TOKEN_RE.pattern)],
        [_in(list(TENS_WORDS)), _in(["-"], op="?"), _in(list(UNIT_WORDS))],  # forty-five
        [num, _in(["and"]), _in(["a"]), _in(["half"])],                       # 2 and a half
        [num, _in(["and"]), _in(["a"]), _in(["bit"])],
    ]
    if allow_article:
        seqs += [[_in(ARTICLE_ONE)], [_in(["half"]), _in(ARTICLE_ONE)]]
    if allow_vague:
        seqs += [
            [_in(["a"], op="?"), _in(["couple"]), _in(["of"], op="?")],
            [_in(["a"], op="?"), _in(["few"])],
            [_in(["several", "some"])],
            [_in(["a"]), _in(["number"]), _in(["of"])],
        ]
    return seqs


def _quantity_patterns() -> Dict[str, List[List[Dict]]]:
    P: Dict[str, List[List[Dict]]] = {DISTANCE: [], DURATION: [], PERCENTAGE: []}
    # distance
    for amount in _amount_sequences(allow_article=False, allow_vague=False):
        P[DISTANCE].append([*amount, _in(DIST_UNITS)])
    P[DISTANCE] += [
        [_regex(GLUED_DISTANCE_RE.pattern)],
        [_in(ARTICLE_ONE), _in(DIST_FULL_UNITS)],                          # a mile, a km
        [_in(["half"]), _in(ARTICLE_ONE), _lemma(["kilometre", "kilometer", "mile", "km"])],
    ]
    # duration
    for amount in _amount_sequences(allow_article=False, allow_vague=True):
        P[DURATION].append([*amount, _in(DUR_UNITS)])
    P[DURATION] += [
        [_regex(GLUED_DURATION_RE.pattern)],
        [_in(ARTICLE_ONE), _lemma(DUR_FULL_UNITS)],                       # a week
        [_in(["half"]), _in(ARTICLE_ONE), _lemma(DUR_FULL_UNITS)],         # half an hour
        [_in(ARTICLE_ONE), _lemma(DUR_FULL_UNITS), _in(["or"]), _in(["two", "2", "so"])],
        [_in(ARTICLE_ONE), _lemma(DUR_FULL_UNITS), _in(["and"]), _in(["a"]), _in(["half"])],
    ]
    # percentage
    for amount in _amount_sequences(allow_article=False, allow_vague=False):
        P[PERCENTAGE].append([*amount, _in(PCT_WORDS)])
        P[PERCENTAGE].append([*amount, _in(["per"]), _in(["cent", "cents"])])
    P[PERCENTAGE].append([_regex(GLUED_PERCENT_RE.pattern)])
    return P


_MATCHERS: Dict[int, Matcher] = {}


def get_matcher(vocab: Vocab) -> Matcher:
    """The compiled ``Matcher`` for a vocab (cached per vocab object)."""
    key = id(vocab)
    matcher = _MATCHERS.get(key)
    if matcher is None or matcher.vocab is not vocab:
        matcher = Matcher(vocab, validate=True)
        for label, patterns in {**_body_location_patterns(), **_quantity_patterns()}.items():
            matcher.add(label, patterns)
        _MATCHERS[key] = matcher
    return matcher


# --------------------------------------------------------------------------------------
# Number parsing
# --------------------------------------------------------------------------------------


def _to_float(text: str) -> Optional[float]:
    t = text.strip().lower()
    if DIGITS_RE.match(t):
        if "," in t:
            head, _, tail = t.partition(",")
            # "1,000" is a thousands separator; "2,5" a decimal comma
            t = t.replace(",", "") if len(tail) == 3 else f"{head}.{tail}"
        try:
            return float(t)
        except ValueError:
            return None
    if t in UNIT_WORDS:
        return float(UNIT_WORDS[t])
    if t in TENS_WORDS:
        return float(TENS_WORDS[t])
    if t in SCALE_WORDS:
        return float(SCALE_WORDS[t])
    if t in ("a", "an"):
        return 1.0
    if re.match(r"^\d+/\d+$", t):
        a, b = t.split("/")
        return float(a) / float(b) if float(b) else None
    return None


def _amount_before_unit(words: List[str], span: Span) -> Tuple[Optional[float], Optional[float], bool]:
    """(amount, amount_from, approx) of the words before the unit: "half a km" -> 0.5,
    "a week" -> 1, otherwise the number or range ("about 30", "30 to 45")."""
    if words[0] == "half":
        return 0.5, None, False
    if words[0] in ARTICLE_ONE and len(words) == 2:
        return 1.0, None, False
    return _parse_amount(span[:-1])


def _parse_amount(tokens: Sequence[Token]) -> Tuple[Optional[float], Optional[float], bool]:
    """Amount tokens (without the unit) → (amount, amount_from or None, approximate)."""
    words = [t.lower_ for t in tokens]
    if not words:
        return None, None, False
    text = " ".join(words)
    # vague quantities
    if words[-1] == "couple" or words[-2:] == ["couple", "of"]:
        return 2.0, None, True
    if words[-1] == "few":
        return 3.0, None, True
    if words[-1] in ("several", "some") or words[-2:] == ["number", "of"]:
        return 3.0, None, True
    if words[:1] == ["half"]:
        return 0.5, None, False
    m = RANGE_TOKEN_RE.match(words[0]) if len(words) == 1 else None
    if m:
        low, high = _to_float(m.group(1)), _to_float(m.group(2))
        return high, low, False
    if len(words) >= 3 and words[-3:] == ["and", "a", "half"]:
        base = _to_float(words[0])
        return (base + 0.5 if base is not None else None), None, False
    if len(words) >= 3 and words[-3:] == ["and", "a", "bit"]:
        base = _to_float(words[0])
        return base, None, True
    # forty-five / forty five
    total = 0.0
    seen = False
    for w in words:
        if w == "-":
            continue
        v = _to_float(w)
        if v is None:
            return None, None, False
        if w in SCALE_WORDS and seen:
            total *= v
        else:
            total += v
        seen = True
    return (total if seen else None), None, False


def _split_glued(text: str, regex: re.Pattern) -> Optional[Tuple[float, str]]:
    m = regex.match(text.lower())
    if not m:
        return None
    value = _to_float(m.group(1))
    return (value, m.group(2)) if value is not None else None


def _distance_unit(word: str) -> Optional[str]:
    w = word.lower()
    if w in KM_UNITS or re.fullmatch(_KM_RE, w):
        return "km"
    if w in MI_UNITS or re.fullmatch(_MI_RE, w):
        return "mi"
    if w in M_UNITS or re.fullmatch(_M_RE, w):
        return "m"
    return None


KM_PER_UNIT = {"km": 1.0, "mi": 1.609344, "m": 0.001}


def _duration_unit(word: str) -> Optional[str]:
    w = word.lower()
    if w in DUR_UNIT_NORMAL:
        return DUR_UNIT_NORMAL[w]
    if w in ("d",):
        return "day"
    return None


# --------------------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------------------


def doc_for_text(nlp: Language, text: str) -> Doc:
    """Runs the pipeline on lower-cased text (offsets stay valid when lengths agree)."""
    lowered = text.lower()
    return nlp(lowered if len(lowered) == len(text) else text)


def _is_num_token(tok: Token) -> bool:
    t = tok.lower_
    return bool(
        tok.like_num
        or DIGITS_RE.match(t)
        or t in UNIT_WORDS
        or t in TENS_WORDS
        or GLUED_DISTANCE_RE.match(t)
    )


def _content_tokens(doc: Doc) -> List[Token]:
    return [t for t in doc if not (t.is_punct or t.is_space)]


def _clause_tokens(doc: Doc, i: int) -> List[Token]:
    """Content tokens of the punctuation-delimited clause around token ``i``."""
    lo = i
    while lo > 0 and not doc[lo - 1].is_punct:
        lo -= 1
    hi = i
    while hi + 1 < len(doc) and not doc[hi + 1].is_punct:
        hi += 1
    return [t for t in doc[lo:hi + 1] if not t.is_space]


def _is_negated(doc: Doc, start: int) -> bool:
    """A negation word within 4 tokens before ``start`` in the same clause."""
    i = start - 1
    steps = 0
    while i >= 0 and steps < 4:
        tok = doc[i]
        low = tok.lower_
        if tok.is_punct or low in NEGATION_BREAKERS:
            return False
        if low in NEGATIONS or tok.lemma_ in NEGATIONS:
            nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
            return nxt not in NEGATION_IGNORED_AFTER
        i -= 1
        steps += 1
    return False


def _side(span: Span) -> Optional[str]:
    """Side named inside the span, else the one side named before a body part in the doc."""
    found = _sides_in(span)
    doc = span.doc
    if found is None:  # "right outer knee", "my left outside knee"
        i = span.start - 1
        while i >= 0 and doc[i].lower_ in DETS and doc[i].lower_ != "both":
            i -= 1
        if i >= 0 and i >= span.start - 2:
            found = _sides_in(doc[i:i + 1])
    if found is None:
        named = set()
        for i in range(len(doc) - 1):
            part = doc[i + 1]
            if part.lemma_ in KNEE or part.lemma_ in HIP_THIGH_WORDS or part.lemma_ in ("leg", "side"):
                side = _sides_in(doc[i:i + 1])
                if side:
                    named.add(side)
        if len(named) == 1:
            found = named.pop()
    return found


def _sides_in(span: Span) -> Optional[str]:
    sides = set()
    for tok in span:
        w = tok.lower_
        if w in ("right", "rt", "r"):
            sides.add("right")
        elif w in ("left", "lt", "l"):
            sides.add("left")
        elif w in ("both", "r/l"):
            sides.add("both")
    if "both" in sides or {"right", "left"} <= sides:
        return "both"
    return next(iter(sides)) if sides else None


def _body_location(doc: Doc, label: str, start: int, end: int) -> Optional[Dict[str, Any]]:
    kind, value = label.split(":", 1)
    # trim leading "the/my/on/at" (patterns such as "the outside" need them to match)
    while start < end - 1 and doc[start].lower_ in TRIM_LEADING:
        start += 1
    span = doc[start:end]
    nxt = doc[end] if end < len(doc) else None
    if kind == "locshort":
        clause = _clause_tokens(doc, start)
        preceded_by_the = start > 0 and doc[start - 1].lower_ == "the"
        is_short = len(clause) <= 3 and not any(
            t.lemma_ in RUN_LEMMAS or t.lower_ in RUN_LEMMAS for t in _content_tokens(doc)
        )
        if not (preceded_by_the or is_short):
            return None
        if nxt is not None and nxt.lower_ in ("of", "door", "doors", "track", "lane"):
            return None  # "the back of my calf", "outside of the track"
    if value == HIP_THIGH:
        if span[-1].lemma_ == "hip" and nxt is not None and (
            nxt.lower_ in NOT_A_LOCATION_AFTER_HIP or nxt.lemma_ in NOT_A_LOCATION_AFTER_HIP
        ):
            return None  # "hip exercises", "hip strength"
        if any(t.lower_ in EXERCISE_CONTEXT for t in doc[max(0, start - 3):start]):
            return None  # "strengthen my hips", "exercises for my hip"
    if value == LATERAL and nxt is not None and span[0].lower_ in ("itb", "it", "iliotibial", "i.t.b", "i.t.b.", "itband", "i.t.", "ilio-tibial", "illiotibial"):
        if nxt.lower_ in ITB_FOLLOWERS_NOT_LOCATION:
            return None
        if nxt.lower_ == "band" and end + 1 < len(doc) and doc[end + 1].lower_ in ITB_FOLLOWERS_NOT_LOCATION:
            return None
    if _is_negated(doc, start):
        return None
    return {
        "entity": BODY_LOCATION,
        "value": value,
        "_start": start,
        "_end": end,
        "additional_info": {"side": _side(span)},
    }


def _extend_range(doc: Doc, start: int) -> Tuple[int, Optional[Span]]:
    """``30 to [45 km]`` → (new start, span of the first number)."""
    if start >= 2 and doc[start - 1].lower_ in RANGE_CONNECTORS:
        conn = doc[start - 1].lower_
        j = start - 2
        first_end = start - 1
        # a compound number word before the connector: "twenty five to thirty km"
        first_start = j
        if not _is_num_token(doc[j]):
            return start, None
        if j >= 1 and doc[j - 1].lower_ in TENS_WORDS and doc[j].lower_ in UNIT_WORDS:
            first_start = j - 1
        if conn == "and" and not (first_start >= 1 and doc[first_start - 1].lower_ == "between"):
            return start, None
        return first_start, doc[first_start:first_end]
    return start, None


def _quantity(doc: Doc, label: str, start: int, end: int) -> Optional[Dict[str, Any]]:
    span = doc[start:end]
    words = [t.lower_ for t in span]
    amount: Optional[float] = None
    amount_from: Optional[float] = None
    approx = False
    unit: Optional[str] = None

    if label == DISTANCE:
        glued = _split_glued(words[-1], GLUED_DISTANCE_RE) if len(span) == 1 else None
        if glued:
            amount, unit_word = glued
        else:
            unit_word = words[-1]
            amount, amount_from, approx = _amount_before_unit(words, span)
        unit = _distance_unit(unit_word) or _distance_unit(span[-1].lemma_)
        if amount is None or unit is None:
            return None
        if unit == "m" and amount < 100:
            return None  # "5 m" is more likely minutes or noise than metres

    elif label == DURATION:
        glued = _split_glued(words[-1], GLUED_DURATION_RE) if len(span) == 1 else None
        if glued:
            amount, unit_word = glued
        elif len(words) >= 4 and words[-2] == "or" and words[-1] in ("two", "2", "so"):
            unit_word = words[1]  # "a week or two", "a month or so"
            if words[-1] == "so":
                amount, approx = 1.0, True
            else:
                amount, amount_from = 2.0, 1.0
        elif len(words) == 5 and words[-3:] == ["and", "a", "half"] and words[0] in ARTICLE_ONE:
            unit_word, amount = words[1], 1.5  # "a week and a half"
        else:
            unit_word = words[-1]
            amount, amount_from, approx = _amount_before_unit(words, span)
        unit = _duration_unit(unit_word)
        if unit is None and not glued:
            unit = DUR_UNIT_NORMAL.get(span[-1].lemma_)
        if amount is None or unit is None:
            return None
        # ages: "45 years old", "a 45-year-old"
        k = end
        while k < len(doc) and doc[k].lower_ == "-":
            k += 1
        if unit == "year" and k < len(doc) and doc[k].lower_ in ("old", "of", "young", "yo"):
            return None
        # frequencies: "3 days a week", "twice a week", "45 km a week"
        if (
            end + 1 < len(doc)
            and doc[end].lower_ in RATE_WORDS_AFTER
            and _duration_unit(doc[end + 1].lower_)
        ):
            return None
        if words[0] in ARTICLE_ONE and start > 0:
            prev = doc[start - 1]
            if (
                _is_num_token(prev)
                or prev.lower_ in FREQUENCY_BEFORE
                or prev.lemma_ in FREQUENCY_BEFORE
                or _distance_unit(prev.lower_)
                or GLUED_DISTANCE_RE.match(prev.lower_)
                or prev.lower_ in DUR_UNIT_NORMAL
            ):
                return None

    elif label == PERCENTAGE:
        glued = _split_glued(words[-1], GLUED_PERCENT_RE) if len(span) == 1 else None
        if glued:
            amount = glued[0]
        else:
            n_unit = 2 if words[-2:] in (["per", "cent"], ["per", "cents"]) else 1
            amount, amount_from, _ = _parse_amount(span[:-n_unit])
        if amount is None:
            return None
    else:  # pragma: no cover - labels are fixed
        return None

    # "30 to [45 km]" → one range entity "30 to 45 km"
    if amount_from is None:
        new_start, first = _extend_range(doc, start)
        if first is not None:
            low, _, _ = _parse_amount(list(first))
            if low is not None:
                start, amount_from = new_start, low

    info: Dict[str, Any] = {"amount": amount}
    if label == DISTANCE:
        info.update(unit=unit, km=round(amount * KM_PER_UNIT[unit], 3))
        if amount_from is not None:
            info.update(amount_from=amount_from,
                        km_from=round(amount_from * KM_PER_UNIT[unit], 3))
    elif label == DURATION:
        info.update(unit=unit, days=round(amount * DAYS_PER_UNIT[unit], 4),
                    approximate=bool(approx))
        if amount_from is not None:
            info.update(amount_from=amount_from,
                        days_from=round(amount_from * DAYS_PER_UNIT[unit], 4))
    elif amount_from is not None:
        info["amount_from"] = amount_from
    return {"entity": label, "value": None, "_start": start, "_end": end, "additional_info": info}


def extract_entities(doc: Doc, text: Optional[str] = None) -> List[Dict[str, Any]]:
    """Finds ``body_location``, ``distance``, ``duration`` and ``percentage`` entities.

    Args:
        doc: a spaCy doc, ideally made by :func:`doc_for_text` (lower-cased text).
        text: the original message text; when given (and the same length as the doc's
            text), values of span entities are taken from it, so they keep their casing.

    Returns:
        Rasa entity dicts, sorted by ``start``, non-overlapping.
    """
    source = text if text is not None and len(text) == len(doc.text) else doc.text
    matcher = get_matcher(doc.vocab)
    candidates: List[Dict[str, Any]] = []
    for match_id, start, end in matcher(doc):
        label = doc.vocab.strings[match_id]
        if label.startswith("loc"):
            ent = _body_location(doc, label, start, end)
        else:
            ent = _quantity(doc, label, start, end)
        if ent is not None:
            ent["_short"] = label.startswith("locshort")
            candidates.append(ent)

    # longest span first; at equal length prefer full location patterns, then earlier
    candidates.sort(key=lambda e: (-(e["_end"] - e["_start"]), e["_short"], e["_start"]))
    taken = [False] * len(doc)
    chosen: List[Dict[str, Any]] = []
    for ent in candidates:
        if any(taken[ent["_start"]:ent["_end"]]):
            continue
        for i in range(ent["_start"], ent["_end"]):
            taken[i] = True
        chosen.append(ent)

    entities = []
    for ent in sorted(chosen, key=lambda e: e["_start"]):
        span = doc[ent["_start"]:ent["_end"]]
        start_char, end_char = span.start_char, span.end_char
        entities.append(
            {
                "entity": ent["entity"],
                "value": ent["value"] if ent["value"] is not None else source[start_char:end_char],
                "start": start_char,
                "end": end_char,
                "confidence_entity": 1.0,
                "extractor": EXTRACTOR_NAME,
                "additional_info": ent["additional_info"],
            }
        )
    return entities


# --------------------------------------------------------------------------------------
# Rasa graph component
# --------------------------------------------------------------------------------------

try:  # the pure core above works without Rasa (e.g. for quick experiments)
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.constants import SPACY_DOCS
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
except ImportError:  # pragma: no cover
    GraphComponent = None  # type: ignore[assignment,misc]

if GraphComponent is not None:

    @DefaultV1Recipe.register(
        [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
        is_trainable=False,
        model_from="SpacyNLP",
    )
    class SpacyPatternExtractor(GraphComponent, EntityExtractorMixin):
        """Extracts body_location, distance, duration and percentage with spaCy rules.

        Config:
            dimensions: list of entity types to keep (default: all four).
        """

        @classmethod
        def required_components(cls) -> List[type]:
            return [SpacyNLP]

        @staticmethod
        def required_packages() -> List[Text]:
            return ["spacy"]

        @staticmethod
        def get_default_config() -> Dict[Text, Any]:
            return {"dimensions": None}

        def __init__(self, config: Dict[Text, Any]) -> None:
            self._config = config

        @classmethod
        def create(
            cls,
            config: Dict[Text, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> GraphComponent:
            return cls(config)

        def _doc(self, message: Message, model: SpacyModel) -> Doc:
            text = message.get(TEXT) or ""
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is not None and doc.text == text.lower() and len(doc.text) == len(text):
                return doc  # SpacyNLP's lower-cased doc: reuse it
            return doc_for_text(model.model, text)

        def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
            for message in messages:
                text = message.get(TEXT)
                if not text:
                    continue
                found = extract_entities(self._doc(message, model), text)
                found = self.filter_irrelevant_entities(found, self._config.get("dimensions"))
                for ent in found:
                    ent["extractor"] = self.name
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
            return messages

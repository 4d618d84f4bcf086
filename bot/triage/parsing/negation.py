"""Negation and uncertainty scopes for chat, shared by every red-flag reader.

Chat has few full stops, so a negation's scope ends at any comma, colon, dash or "+", and at
"but", "just", "only", "though", "except" and an "and" that starts a new clause (ConText-style
termination, tuned for chat): "no injury, calf is swollen" and "not numb just tingly" affirm the
swelling and the tingling. A comma list right after a negation ("no numbness, tingling or
weakness") stays negated. Triggers are NegEx-style with a forward scope of at most
`SCOPE_WORDS` words. An interjection "no" / "nah" answering something else ("No I can't
straighten it") is not a trigger, nor is "without" ("I can't walk far without calf pain").
"Not sure" / "maybe" mark what follows as uncertain instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.parsing.text import rx

SCOPE_WORDS = 8

HARD_BREAK_RE = rx(r"[.;!?\n]+")
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
    # "maybe 70°", "probably 3 days ago": a hedged number is an estimate, not a doubt about the sign
    r"\b(?:not (?:sure|certain)|unsure|maybe|might|possibly|perhaps|i think(?! (?:about|of))|think so|probably"
    r"|i guess|could be|dunno|not really sure|idk)\b(?! (?:about |around )?\d)"
)


@dataclass(frozen=True)
class Segment:
    text: str
    start: int  # offset in the normalised message
    sentence: int  # index of the sentence it belongs to


def segments(t: str) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for sentence_no, sentence in enumerate(HARD_BREAK_RE.split(t)):
        s_start = t.find(sentence, pos) if sentence else pos
        pos = s_start + len(sentence)
        last = 0
        for m in list(_SOFT_BREAK_RE.finditer(sentence)) + [None]:
            end = m.start() if m else len(sentence)
            piece = sentence[last:end]
            if piece.strip():
                out.append(Segment(piece, s_start + last, sentence_no))
            last = m.end() if m else len(sentence)
    return out


# Post-negation (ConText's post-triggers), for chat and notes: "calf fine", "breathing ok",
# "at rest nothing", "sleep good", "DV screen negative". The few words before the trigger, in
# the same piece of the sentence, are negated.
_POST_NEG_RE = rx(
    r"\b(?:(?:is|are|was|were|feels?|felt|looks?|seems?|all|totally|completely|perfectly|100%|)\s*)?"
    r"(?:fine|ok|okay|normal|good|nothing|clear|negative|nad|unremarkable|not an issue|no problem"
    r"|no probs|no worries|settled|all good|no issues?|stable|intact|same as (?:always|usual|ever)|equal)\b"
)
POST_SCOPE_WORDS = 4

_CLAUSE_WORD_RE = rx(
    r"\b(?:i|i'm|im|i've|my|it|it's|its|is|are|was|were|has|have|had|been|feels?|got|gets|went"
    r"|keeps?|looks?|there|can't|cant|can|since|now)\b"
)


def scopes(t: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(negated spans, uncertain spans) as offsets into `t`."""
    negated: list[tuple[int, int]] = []
    unsure: list[tuple[int, int]] = []
    pieces = segments(t)
    carry = False  # a negation continuing over a comma list: "no numbness, tingling or weakness"
    for i, seg in enumerate(pieces):
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
            nxt = pieces[i + 1] if i + 1 < len(pieces) else None
            # a list after the negation: the next pieces name more of what is absent
            if nxt is not None and nxt.sentence == seg.sentence and re.search(r"\b(?:or|nor)\b", nxt.text):
                carry = True
        for m in _POST_NEG_RE.finditer(masked):
            before = list(re.finditer(r"\S+", text[: m.start()]))[-POST_SCOPE_WORDS:]
            if before:
                negated.append((seg.start + before[0].start(), seg.start + m.start()))
        for m in _UNSURE_TRIGGER_RE.finditer(masked):
            unsure.append((seg.start + m.end(), seg.start + _scope_end(text, m.end())))
    return negated, unsure


def _scope_end(text: str, start: int) -> int:
    words = list(re.finditer(r"\S+", text[start:]))
    if len(words) > SCOPE_WORDS:
        return start + words[SCOPE_WORDS - 1].end()
    return len(text)


def inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


class Reader:
    """A normalised message with its negated and uncertain spans."""

    def __init__(self, t: str) -> None:
        self.t = t
        self.neg, self.unsure = scopes(t)
        self.negated_any = False

    def state(self, pos: int) -> str:
        if inside(pos, self.neg):
            self.negated_any = True
            return "negated"
        if inside(pos, self.unsure):
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


def blank(pattern: re.Pattern[str], t: str) -> str:
    """`t` with `pattern`'s matches blanked out, same length (negation spans still line up)."""
    return pattern.sub(lambda m: " " * len(m.group(0)), t)


def best_state(r: Reader, pattern: re.Pattern[str], text: str) -> str | None:
    """ "affirmed" beats "unsure" beats "negated"; None when `pattern` is not in `text` (a
    same-length variant of the reader's message, e.g. with figures of speech blanked)."""
    states = {state for _, state in r.matches(pattern, text)}
    for state in ("affirmed", "unsure", "negated"):
        if state in states:
            return state
    return None

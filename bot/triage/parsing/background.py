"""Background that is not this conversation's danger: someone else's health, the person's own
resolved or long-past problems, and findings already checked and cleared.

Spec §3a: a known, controlled condition said as history ("asthma, my puffer sorts it"), the past
that is resolved ("fainted once as a teenager") and other people's illnesses ("my dad had a
stroke") must not fire. The red-flag readers see these clauses blanked out (same length, so the
negation scopes still line up). A clause that also says it is happening now or again is kept:
"had a clot years ago and now my calf is swollen again" still reads the calf.
"""

from __future__ import annotations

import re

from bot.triage.parsing.text import rx

_PEOPLE = (
    r"dad|father|mum|mom|mother|brother|sister|grandad|grandpa|grandfather|grandma|grandmother|nan|nanna"
    r"|uncle|aunt|aunty|auntie|cousin|mate|friend|neighbou?r|colleague|boss|coach|teammate|clubmate"
)
_CLOSE = r"wife|husband|hubby|partner|son|daughter|kid|child|boyfriend|girlfriend|fiance|fiancee"
_OTHERS_RE = rx(
    # a relative's or friend's history: "my dad had a stroke", "Dad had a heart attack at 70"
    r"\b(?:(?:my|our|his|her|their|a) )?(?:"
    + _PEOPLE
    + r")(?:'s)? (?:\w+ )?(?:had|has had|once had|died|passed"
    r"|suffered|was diagnosed)\b"
    # a partner's or child's one-off in the past: "my wife fainted at a wedding once"
    r"|\b(?:my|our) (?:" + _CLOSE + r")\b[^.,;!?]{0,50}\bonce\b"
    r"|\b(?:family history|fhx|fh of|fh:|runs in (?:the|my|our) family)\b"
    r"|\b(?:friend|mate|colleague|teammate|clubmate|brother|sister|coach)\b[^.,;!?]{0,30}\b(?:got stung|was stung|allergic"
    r"|collapsed|fainted|had a)\b"
)
_REMOTE_PAST_RE = rx(
    r"\b(?:as a (?:kid|child|teen|teenager|boy|girl|student|baby)|when i was (?:a )?(?:kid|child|teen|teenager|young|\d{1,2})"
    r"|at (?:age|the age of) \d{1,2}|age \d{1,2},? (?:investigated|checked)|(?:\d+ |many |several |a few |some )?(?:years|decades|yrs) ago"
    r"|in (?:19|20)\d\d|back in (?:19|20)?\d\d|at school|in high school|in (?:my|the) (?:twenties|teens|army|navy|20s)"
    r"|(?:once,? )?(?:long|ages) ago|in the past)\b"
)
_RESOLVED_RE = rx(
    r"\b(?:fine since|nothing since|never again|not since|never since|since then never|fully (?:checked|investigated|recovered)"
    r"|all clear|cleared|nil since|no problems since|been fine (?:ever )?since|was investigated|resolved|went away"
    r"|got (?:good )?help|well now|sorted (?:it|out)|all sorted|treated and|recovered (?:well|fully)"
    r"|(?:gp|doctor|dr|physio|specialist|urologist|cardiologist|medical tent|paramedics?|ambo|they) (?:said|says|thinks|reckons)"
    r" (?:it's |its |it was |it is |i'm |i was |i am |all )?(?:fine|normal|ok|okay|nothing|benign|harmless|clear|good)"
    r"|(?:gp|doctor|dr|specialist|medical tent) (?:was|is) happy|checked (?:it|out|me) and (?:it's|said)"
    r"|from (?:my |his |her )?(?:diabetes|diabetic|neuropathy)|known (?:neuropathy|condition|issue)"
    r"|nothing to worry|nothing (?:serious|sinister)|benign|ganglion|lipoma|(?:baker'?s|bakers) cyst|cyst\b|scan (?:was )?(?:clear|normal|fine)"
    r"|(?:us|ultrasound|mri|x-?ray|ecg|bloods?) (?:=|said|showed|was|were|came back)? ?(?:normal|clear|fine|nad|ganglion|cyst|benign|negative)"
    r"|under control|well controlled|controlled (?:on|with)|(?:my )?puffer (?:sorts|fixes|helps)|on (?:a )?preventer|gp manages|stable for years)\b"
)
_CURRENT_RE = rx(
    r"\b(?:now|today|again|still|this (?:week|morning|arvo|afternoon|evening|am|pm)|since (?:yesterday|this|last)"
    r"|currently|tonight|rn|yesterday|last night|on the weekend|(?:a few |\d+ |two |three |couple of )?(?:days?|hours?|hrs?|mins?|minutes) ago"
    r"|this am|just now|keeps?|keep)\b"
)
_CLAUSE_SPLIT_RE = re.compile(r"[.;!?\n]+|,\s*|\s+(?:but|though|however|whereas|although)\s+")


def _clauses(t: str) -> list[tuple[int, int]]:
    spans, last = [], 0
    for m in _CLAUSE_SPLIT_RE.finditer(t):
        spans.append((last, m.start()))
        last = m.end()
    spans.append((last, len(t)))
    return [(a, b) for a, b in spans if t[a:b].strip()]


def blank_background(t: str) -> str:
    """`t` (normalised) with its background clauses blanked out, same length."""
    out = list(t)
    for start, end in _clauses(t):
        clause = t[start:end]
        current = _CURRENT_RE.search(clause)
        background = (
            (_OTHERS_RE.search(clause) and not current)
            or (_REMOTE_PAST_RE.search(clause) and not current)
            or (_RESOLVED_RE.search(clause) and not _CURRENT_RE.search(clause.replace("well now", "")))
        )
        if background:
            out[start:end] = " " * (end - start)
    return "".join(out)

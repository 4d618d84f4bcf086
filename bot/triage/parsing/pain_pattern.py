"""Q1–Q4: where it hurts, how it started, its pattern in a run, downhill, stairs."""

from __future__ import annotations

import re

from bot.triage.parsing.text import clauses, find, is_negated, parse_yes_no, prep, rx

# --- Q1 location ------------------------------------------------------------------------------

_KNEE = r"(?:my |the |your |his |her )?(?:left |right )?kne+s?"
_LOCATION_RES: dict[str, re.Pattern[str]] = {
    "lateral": rx(
        r"\b(?:outside|outer|outward|lateral(?:ly)?|itb|itbs|it band|i\.t\.? band|i\.t\.b\.?"
        r"|iliotibial|ilio-tibial|it-band|little toe side)\b"
    ),
    "anterior": rx(
        r"\b(?:front|kneecap|kneecaps|knee cap|knee-cap|patella|patellar|anterior"
        r"|(?:below|under|above|around|behind) the (?:kneecap|knee cap))\b"
    ),
    "medial": rx(r"\b(?:inside|inner|medial(?:ly)?|big toe side)\b"),
    "posterior": rx(
        r"\b(?:back of " + _KNEE + r"|behind " + _KNEE + r"|posterior|back of it|back of the leg"
        r"|knee pit|back side of " + _KNEE + r"|at the back|round the back|around the back)\b"
    ),
    "diffuse": rx(
        r"\b(?:whole knee|whole of (?:my|the) knee|entire knee|all over|everywhere|all around"
        r"|whole thing|whole joint|diffuse|(?:can't|cannot|hard to) pinpoint|all of it"
        r"|(?:moves|moving) around)\b"
    ),
    "hip_thigh": rx(r"\b(?:hips?|thighs?|groin|glutes?|buttocks?|bum|upper leg|quads?)\b"),
}
_MENTIONS_KNEE_RE = rx(r"\bkne+s?\b|\bkneecap\b")


def parse_location(text: str | None) -> str | None:
    """ "the outside of my right knee", "ITB side" → "lateral"; one of the spec §1 values."""
    t = prep(text)
    found = set()
    for name, pattern in _LOCATION_RES.items():
        affirmed, _ = find(t, pattern)
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
    if found == {"lateral", "hip_thigh"}:
        # "my hip and outer thigh hurt": no knee named, so the hip/thigh is where it hurts
        if _MENTIONS_KNEE_RE.search(t):
            return "lateral"
        if re.search(r"\bhips?\b", t):
            return "hip_thigh"
    if "diffuse" in found and len(found) > 1:
        found = {"diffuse"} if re.search(r"\b(?:whole|entire|all over|everywhere)\b", t) else found
    return found.pop() if len(found) == 1 else None


# --- Q2 onset ---------------------------------------------------------------------------------

_NO_INJURY_RE = rx(
    r"\b(?:no|not an?|without (?:an?|any)|never had an?|wasn't an?|no specific|no particular)"
    r" (?:injury|injuries|accident|trauma|fall|twist|incident)\b"
    r"|\b(?:didn't|did not|never|haven't|have not|wasn't|was not|not) (?:\w+ )?"
    r"(?:injure|injured|hurt it|twist|twisted|fall|fell|knock|knocked|hit|land|landed|trip)\w*"
    r"|\bnothing (?:happened|specific|in particular)\b|\bjust (?:started|came on|appeared)\b"
)
_GRADUAL_RE = rx(
    r"\b(?:gradual|gradually|slowly|over time|over (?:a few|a couple of|several|some|the last"
    r"|\d+) (?:days|weeks|months|runs)|built up|building up|builds up|crept|creeping|creeps"
    r"|bit by bit|little by little|more and more|got worse and worse|worse over|overuse"
    r"|came on during|came on with|started during (?:a |my )?runs?)\b"
)
_RUN_CONTEXT_RE = rx(
    r"\b(?:with|from|during|while|when|on|after|through|in|into) (?:my |a |the )?"
    r"(?:running|runs?|training"
    r"|jogging|long runs?)\b"
)
_INJURY_RE = rx(
    r"\b(?:injury|injured|injure|twist|twisted|twisting|fell|fall|fallen|tripped|slipped|landed"
    r"|landing|awkward|pop|popped|snap|snapped|crack|blow|hit|knocked|knock|tackle|tackled"
    r"|collision|collided|crash|crashed|accident|kicked|bumped|rolled|pivot|pivoted|jarred)\b"
)
_SUDDEN_RE = rx(r"\b(?:sudden|suddenly|all of a sudden|out of nowhere|in one go)\b")
# Training load said with injury-sounding verbs: "bumped my mileage from 30 to 45" is training.
_LOAD_CHANGE_RE = rx(
    r"\b(?:bump\w*|upp?ed|upping|ramp\w*|jack\w*|push\w*|increas\w*|knock\w*|crank\w*) (?:it )?(?:up )?"
    r"(?:my |the |our )?(?:weekly )?(?:mileage|milage|distance|kms?|kilomet\w*|miles|volume|training|load"
    r"|long runs?|k's|ks|running)\b"
)


def denies_injury(text: str | None) -> bool:
    """ "No, I haven't injured it", "there was no injury": the answer rejects a question's
    premise that there was an injury (so the Ottawa questions don't apply)."""
    t = prep(text)
    return bool(t) and bool(_NO_INJURY_RE.search(t)) and not _INJURY_RE.search(_NO_INJURY_RE.sub(" ", t))


def parse_onset(text: str | None) -> str | None:
    """ "Gradually, with running" → "gradual"; "Suddenly, with an injury" → "sudden_injury"."""
    t = prep(text)
    if not t:
        return None
    more_load = bool(_LOAD_CHANGE_RE.search(t))
    t = _LOAD_CHANGE_RE.sub(" ", t)
    no_injury = bool(_NO_INJURY_RE.search(t))
    injury_text = _NO_INJURY_RE.sub(" ", t)
    injury, _ = find(injury_text, _INJURY_RE)
    sudden, _ = find(injury_text, _SUDDEN_RE)
    gradual = bool(_GRADUAL_RE.search(t)) or no_injury
    with_running = bool(_RUN_CONTEXT_RE.search(t)) or more_load
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

_PREDICTABLE_NO_RE = rx(
    r"\b(?:random(?:ly)?|no (?:real )?pattern|unpredictabl[ey]|varies|it varies|any ?time"
    r"|all the time|the whole time|whole run|constant(?:ly)?|from the (?:start|first step|outset"
    r"|beginning|get go|first km)|as soon as i (?:start|begin)|(?:doesn't|doesnt|does not|won't"
    r"|wont|never) (?:really )?(?:ease|settle|go away|stop|improve|calm|fade)"
    r"|stays? (?:sore|painful)|lingers|hurts? all day|all day)\b"
)
_PREDICTABLE_YES_RE = rx(
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
    t = prep(text)
    if not t:
        return None
    if _PREDICTABLE_NO_RE.search(t):
        return False
    affirmed, _ = find(t, _PREDICTABLE_YES_RE)
    if affirmed:
        return True
    return parse_yes_no(t)


_DOWNHILL_RE = rx(
    r"\b(?:downhills?|down ?hills?|down slopes?|descents?|descending|declines?|running down"
    r"|coming down(?! ?stairs)|heading down"
    r"|going down(?! ?stairs)|down steep)\b"
)
_UPHILL_RE = rx(r"\b(?:uphills?|up ?hills?|climbs?|climbing|inclines?|ascents?)\b")
_WORSE_RE = rx(
    r"\b(?:worse|worst|hurts?|hurting|painful|pain|kills?|killer|aggravates?|flares?|sore|bad"
    r"|more|triggers?|sets? it off|brings? it on|murder|agony|struggle)\b"
)
_FINE_RE = rx(
    r"\b(?:fine|ok|okay|better|easier|no different|doesn't matter|doesnt matter|same|not worse"
    r"|no worse|doesn't change|doesnt change|don't notice|dont notice|no difference|all good"
    r"|no problem|not an issue|no issue|(?:doesn't|doesnt|does not|don't|dont|do not) (?:make (?:a|any|much)"
    r" difference|matter|change)|makes? no difference|no real difference)\b"
)
_NO_HILLS_RE = rx(
    r"\b(?:no hills|don't run hills|dont run hills|never run hills|(?:only|always) (?:run )?(?:on"
    r" the )?flat|avoid hills)\b"
)


def _clause_votes(t: str, target: re.Pattern[str], other: re.Pattern[str] | None) -> set[bool]:
    """One vote per clause naming the target: False if that clause says it's fine or negates it."""
    votes: set[bool] = set()
    for clause in clauses(t, commas=True):
        m = target.search(clause)
        if not m:
            continue
        if (
            _FINE_RE.search(clause)
            or is_negated(clause, m.start())
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
    t = prep(text)
    if not t:
        return None
    votes = _clause_votes(t, _DOWNHILL_RE, None)
    if len(votes) == 1:
        return votes.pop()
    if votes:
        return None
    if _NO_HILLS_RE.search(t):
        return False  # no downhill running: the feature is absent
    up_affirmed, _ = find(t, _UPHILL_RE)
    if up_affirmed and _WORSE_RE.search(t):
        return False  # only uphill named as the problem
    return parse_yes_no(t)


# --- Q4 stairs --------------------------------------------------------------------------------

_STAIRS_DOWN_RE = rx(
    r"\b(?:down ?(?:the |a |some )?(?:stairs?|steps|staircase)|downstairs|stair descent"
    r"|descending (?:the )?(?:stairs|steps)|(?:going|walking|coming|go|walk|come|went) down"
    r"|down(?:wards)? (?:is|are|hurts?))\b"
)
_STAIRS_UP_RE = rx(
    r"\b(?:up ?(?:the |a |some )?(?:stairs?|steps|staircase)|upstairs|climbing (?:the )?"
    r"(?:stairs|steps)|(?:going|walking|go|walk|went) up)\b"
)
_STAIRS_ANY_RE = rx(r"\b(?:stairs?|steps|staircase)\b")
_BOTH_WAYS_RE = rx(r"\b(?:both(?: ways)?|either way|up and down|down and up)\b")


def parse_stairs(text: str | None) -> bool | None:
    """Does going DOWN stairs hurt? "only when I go down the stairs" → True."""
    t = prep(text)
    if not t:
        return None
    if _BOTH_WAYS_RE.search(t) and not _FINE_RE.search(t) and parse_yes_no(t) is not False:
        return True
    votes = _clause_votes(t, _STAIRS_DOWN_RE, None)
    if len(votes) == 1:
        return votes.pop()
    if votes:
        return None
    up_affirmed, _ = find(t, _STAIRS_UP_RE)
    if up_affirmed:
        return False  # only going up mentioned
    stairs_votes = _clause_votes(t, _STAIRS_ANY_RE, None)
    if len(stairs_votes) == 1:
        return stairs_votes.pop()
    return parse_yes_no(t)

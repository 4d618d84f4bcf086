"""Spec §3a: emergencies and safeguarding outside the knee, as concepts with negation scopes.

A person writing to a knee assistant may be in danger from something else: chest pain, a faint
during a run, stroke signs, heat illness, anaphylaxis, a thunderclap headache, cauda equina,
thoughts of suicide, family violence. Each is a concept (what it is like, in everyday and
clinical words), read with the same negation scopes as the knee signs (`negation.py`).

What must not fire (spec §3a): figures of speech ("killing it", "dying on that hill", "my legs
are dead") are blanked before matching, and each concept needs the symptom itself, not the word;
known and controlled conditions, someone else's history and the person's own resolved past are
blanked by `background.py` before any reader sees the message.

`detect()` gives signs (affirmed) and unsure signs (asked about with one yes/no question); the
sign names are those `red_flags.flags_from_signs` combines.
"""

from __future__ import annotations

import re

from bot.triage.parsing.negation import Reader, best_state, blank
from bot.triage.parsing.text import rx

SIGNS = (
    "chest",
    "syncope",
    "syncope_now",
    "stroke",
    "heat",
    "anaphylaxis",
    "headache",
    "cauda_equina",
    "suicide",
    "family_violence",
)

# --- concepts ---------------------------------------------------------------------------------

_CHEST_PAIN_RE = rx(
    r"\b(?:chest|sternum|breastbone)\b[a-z' ]{0,25}\b(?:pain|pains|hurts?|hurting|ache|aches|aching|tight"
    r"|tightness|pressure|heavy|heaviness|squeez\w*|crush\w*|burning|sore|stabbing|sharp|band|vice|clamp)\b"
    r"|\b(?:pain|pains|ache|tightness|pressure|heaviness|squeez\w*|crushing|tight band|weight|elephant)"
    r"\b[a-z' ]{0,20}\b(?:in|on|across|around|over|behind) (?:my |the |his |her )?(?:chest|sternum|breastbone)\b"
    r"|\b(?:tight|heavy|crushing|squeezing) chest\b|\bcp\b|\bangina\b(?! is (?:stable|controlled))"
    r"|\bpain (?:going|spreading|radiating|shooting) (?:down|into|up) (?:my |the )?(?:left |right )?(?:arm|jaw|neck|back)\b"
    r"|\b(?:left |right )?(?:arm|jaw) (?:pain|ache|aching)\b[a-z' ]{0,30}\b(?:chest|sweat\w*|clammy|nause\w*|sick)\b"
    r"|\bheart attack\b|\bcrushing\b|\bchest\b(?= [a-z ]{0,20}(?:breathe|breath))"
    r"|\b(?:heavy|weight|pressure|something|smth|elephant|brick)\b[a-z' ]{0,15}\b(?:sitting|pressing|lying)? ?on (?:my |his |her )?(?:chest|lungs)\b"
    # pain on breathing in (pleuritic): with a calf sign, the pulmonary-embolism route
    r"|\b(?:pain|hurts?|sharp|stabbing|catch(?:es)?|knife|stitch) (?:when|as|if|each time|every time) i"
    r" (?:breathe|breath|take a (?:deep |big )?breath|inhale)(?: in| deeply| deep)?\b"
    r"|\bpleuritic\b|\b(?:under|around|below) (?:my )?ribs?\b[a-z' ]{0,25}\b(?:breathe|breath|inhale)\b"
)
_CHEST_FIGURATIVE_RE = rx(
    r"\b(?:off my chest|chest (?:infection|cold|press(?:es)?)|chest day|chesty cough)\b"
)

_SYNCOPE_RE = rx(
    r"\b(?:faint(?:ed|ing|s)?|feint(?:ed)?|pass(?:ed|ing)? out|black(?:ed|ing)? out|blackout|blacked"
    r"|collaps(?:ed|ing|e)|lost consciousness|loss of consciousness|\bloc\b|went unconscious|knocked out"
    r"|keeled over|hit the (?:deck|ground|floor)|dropped to the ground|came to on the ground"
    r"|(?:nearly|almost|about to) (?:faint|pass out|black out|collapse)|syncop\w*|pre-?syncop\w*"
    r"|(?:vision|everything|eyes?) (?:went|going|goes|gone|was going|started going) (?:black|grey|gray|dark|white|tunnel|fuzzy)"
    r"|(?:greying|graying|greyed|tunnel) (?:out|vision)|grey(?:ing)? vision|vision (?:greying|graying|tunnelling|tunneling)"
    r"|legs (?:went|gave) (?:from under|out from under) me|came over (?:all )?(?:faint|queer|funny)|funny turn"
    r"|slump\w*|(?:came|come|coming) (?:round|around|to)|wasn't responding|unresponsive)\b"
)
_SYNCOPE_FIGURATIVE_RE = rx(
    r"\b(?:collaps\w* (?:on|onto|into|in) (?:the |my |a )?(?:couch|sofa|bed|chair|lounge|deckchair|grass|beanbag)"
    r"|blacked out (?:the|my) (?:windows|screen|dates)|fainting goat|(?:nearly|almost) fainted (?:when|at) (?:i saw|the price|the bill))\b"
)
_ONCE_RE = rx(r"\b(?:once|one time|a single time)\b")
_PALPITATION_RE = rx(
    r"\b(?:palpitation\w*|heart (?:was |is |keeps |kept )?(?:racing|pounding|fluttering|skipping|jumping|going mad|all over the place|thumping)"
    r"|racing heart|irregular (?:heart ?beat|pulse)|hr (?:1[5-9]\d|2\d\d))\b"
)
_DIZZY_RE = rx(r"\b(?:dizzy|light-?headed|woozy|faint|giddy|head spinning|room spinning)\b")
_EXERCISE_RE = rx(
    r"\b(?:run|running|ran|race|racing|parkrun|jog\w*|training|session|workout|intervals?|sprint\w*|finish(?:ed|ing)?"
    r"|finish line|hill|hills|marathon|half|10k|5k|exercise|exercising|gym|footy|game|match)\b"
)
_NOW_RE = rx(
    r"\b(?:right now|now|still|at the moment|currently|rn|atm|any (?:sec|second|minute|moment)|keep (?:feeling|going|nearly)|keeps? (?:happening|coming)"
    r"|can't stay standing|feel(?:ing)? (?:faint|dizzy|woozy|unwell|terrible|awful|rough)|is happening)\b"
)
# "feel ok now": the faint is over (a GP today), not happening (000)
_FINE_NOW_RE = rx(
    r"\b(?:(?:feel|feeling|felt|i'm|im|i am|all|back to|seems?|he's|she's|he is|she is) (?:totally |completely |pretty |mostly |)?"
    r"(?:ok|okay|fine|good|better|normal|alright|all right|right as rain)(?: again)? now"
    r"|now (?:i'm |i feel |i am |feeling |he's |she's )?(?:ok|okay|fine|good|better|normal|alright))\b"
)
_STROKE_RE = rx(
    r"\b(?:face|mouth|smile|lip|eyelid) (?:is |has |was |went |gone |looks? |feels? )?(?:droop\w*|drop(?:ped|ping)?"
    r"|lopsided|crooked|sagg\w*|slid\w* down|numb on one side|fell on one side)\b"
    r"|\b(?:droop\w*|lopsided|crooked) (?:face|mouth|smile)\b|\bfacial (?:droop|weakness|palsy)\b"
    r"|\bone side of (?:my |his |her |the )?(?:face|mouth|body)\b"
    r"|\b(?:slurr\w*|dysarthri\w*|aphasi\w*|speech (?:is |was |went |has gone |gone )?(?:funny|weird|slurred|garbled|strange|wrong|muddled|thick)"
    r"|words (?:are |were |came |coming )?(?:out )?(?:wrong|jumbled|muddled|garbled|all wrong)|can't get (?:my |the |his |her )?words out"
    r"|couldn't (?:speak|talk|get words out)|can't speak properly|talking gibberish|talking nonsense)\b"
    r"|\b(?:left|right|one) (?:arm|hand|side of (?:my |his |her |the )?body)\b[a-z' ]{0,25}\b(?:weak|weakness|numb|heavy|dead|won't work|floppy|useless|can't lift)\b"
    r"|\b(?:can't|cannot|couldn't) (?:lift|raise|move|feel) (?:my |his |her )?(?:left|right) (?:arm|hand)\b"
    r"|\b(?:having|had|think (?:i'm|im|i am|he's|she's|it's) having|might be having|could be) a (?:stroke|tia|mini[- ]stroke)\b"
    r"|\bfast test\b|\bsudden(?:ly)? (?:confus\w*|blind\w*|lost (?:the )?vision|can't see)\b"
)
# one leg weak or heavy on its own is usually the run, not a stroke: asked, not routed
_ONE_LEG_WEAK_RE = rx(
    r"\b(?:left|right|one) leg\b[a-z' ]{0,25}\b(?:weak|weakness|numb|dead|won't work|floppy|useless)\b(?! after| from| since (?:the|my) run)"
)
_STROKE_OTHERS_RE = rx(r"\b(?:stroke (?:rate|count|length)|swim\w*|breaststroke|backstroke|heat ?stroke)\b")
_SUDDEN_RE = rx(
    r"\b(?:sudden\w*|all of a sudden|out of nowhere|just now|came on fast|within (?:seconds|minutes))\b"
)
_HEAT_CONTEXT_RE = rx(
    r"\b(?:heat|hot (?:day|weather|morning|afternoon|sun|conditions|race|run|runs|session|parkrun|one)|humid\w*|in the sun|full sun|sun ?stroke|no shade"
    r"|heat ?stroke|heatwave|scorch\w*|3[0-9] ?(?:degrees|°|c\b)|4[0-9] ?(?:degrees|°|c\b)|boiling|sweltering|stinking hot)\b"
)
_HEAT_SIGN_RE = rx(
    r"\b(?:confus\w*|disorient\w*|not making sense|talking nonsense|doesn't know where|didn't know where|delirious"
    r"|collaps\w*|stagger\w*|wobbl\w*|stopped (?:sweating|perspiring)|not (?:sweating|perspiring)|no sweat|dry skin|skin (?:is |was |feels? )?(?:burning|hot|red hot|on fire|dry)"
    r"|vomit\w*|throw(?:ing|n)? up|threw up|spew\w*|chuck\w* up|faint\w*|passed out|seizure|fitting|very hot to touch)\b"
)
_HEAT_EXPLICIT_RE = rx(r"\b(?:heat ?stroke|heat exhaustion|heat illness|sun ?stroke|hyperthermi\w*)\b")
_ALLERGY_CONTEXT_RE = rx(
    r"\b(?:stung|sting|stings|bee|wasp|hornet|jack ?jumper|ant|bitten|bite|bit me|spider|ate|eaten|eating|food"
    r"|peanut\w*|nuts?|shellfish|prawns?|seafood|satay|sesame|allerg\w*|reaction|epi-?pen|adrenaline|anapha\w*|medication"
    r"|tablet|antibiotic)\b"
)
_ANAPHYLAXIS_SIGN_RE = rx(
    r"\b(?:throat\b[a-z' ]{0,15}\b(?:tight|closing|swell\w*|thick|narrow\w*)|(?:lips?|tongue|face|mouth|eyelids?)"
    r"\b[a-z' ]{0,12}\b(?:swell\w*|swollen|puff\w*|blow\w* up|fat)|wheez\w*"
    r"|can't (?:breathe|swallow)|hard to (?:breathe|swallow)|trouble (?:breathing|swallowing)|struggling to breathe"
    r"|short of breath|voice (?:is |went |gone )?(?:hoarse|funny|croaky)|faint\w*|passed out|collaps\w*)\b"
)
_AIRWAY_SWELLING_RE = rx(
    r"\b(?:throat\b[a-z' ]{0,15}\b(?:tight|closing|swell\w*|thick)|(?:lips?|tongue)\b[a-z' ]{0,12}\b(?:swell\w*|swollen|puff\w*|fat|huge))\b"
)
_WHEEZE_RE = rx(
    r"\b(?:wheez\w*|can't breathe|hard to breathe|struggling to breathe|short of breath|trouble breathing|gasping)\b"
)
_ALLERGY_SKIN_RE = rx(r"\b(?:hives|welts|rash (?:all over|spreading)|itchy all over|blotchy all over)\b")
_ANAPHYLAXIS_EXPLICIT_RE = rx(
    r"\b(?:anaphyla\w*|used my epi-?pen|used (?:an|the) epi-?pen|epi-?pen (?:in|into))\b"
)
_HEADACHE_RE = rx(
    r"\b(?:headaches?|head ache|head pain|(?:one|it|pain) came on (?:in|like)|pain in (?:my|the) head|migraine|head (?:is |feels )?(?:pounding|exploding|splitting|about to explode))\b"
)
_HEADACHE_SEVERE_RE = rx(
    r"\b(?:worst|sudden\w*|thunderclap|out of nowhere|explod\w*|like (?:being|i was|i'd been) (?:hit|struck|kicked|shot)"
    r"|like a (?:bomb|bolt|gunshot|thunderclap|hammer)|blinding|split\w*|seconds|instantly|10/10|ten out of ten|never had one like|never felt"
    r"|full blast|unlike anything|nothing like (?:it|this|that) before|worst (?:ever|of my life|i've ever)"
    r"|could hardly see|vomit\w*|stiff neck|neck (?:is |went )?stiff)\b"
)
_SADDLE_RE = rx(
    r"\b(?:saddle|groin|genital\w*|privates|private parts|between (?:my|the|his|her) legs|bum|buttocks?|backside|bottom"
    r"|perine\w*|inner thighs|down below|when i wipe|wiping|toilet paper)\b"
)
_NUMB_RE = rx(
    r"\b(?:numb\w*|no feeling|can't feel|cannot feel|lost (?:the )?(?:feeling|sensation)|tingl\w*|pins and needles|dead)\b"
)
_BLADDER_BOWEL_RE = rx(
    r"\b(?:can't|cannot|couldn't|unable to|struggl\w* to|trouble|difficulty|hard to) (?:pee|wee|urinate|pass (?:urine|water)|empty (?:my|the) bladder|go to the toilet|poo|control)"
    r"|\b(?:wet (?:myself|himself|herself|the bed)|leak\w* (?:urine|wee|pee)|lost control of (?:my |the )?(?:bladder|bowels?|waterworks)"
    r"|incontinen\w*|(?:urinary|urine) retention|retention|no urge to (?:pee|wee|go)|didn't (?:know|feel) (?:i was|when i) (?:peeing|weeing|going)"
    r"|bladder (?:isn't|not) working|bowel (?:accident|control)|soiled|water ?works (?:stopped|gone|not working|playing up)|pooed myself|wet my pants)\b"
)
_BACK_RE = rx(
    r"\b(?:back|spine|spinal|sciatica|lumbar|l[45]|s1|disc|slipped disc|bulging disc|lower back|lbp)\b"
)
_BOTH_LEGS_WEAK_RE = rx(
    r"\b(?:(?:both|my) legs (?:are |feel |went |have gone |gone )?(?:weak|numb|giving way|like jelly|heavy|useless|not working)"
    r"|weak(?:ness)? in both legs|bilateral (?:leg )?(?:weakness|sciatica|numbness)|both legs\b[a-z' ]{0,20}\b(?:weak|numb|give way))\b"
)
_CAUDA_EXPLICIT_RE = rx(r"\b(?:cauda equina|saddle an(?:a)?esthesia)\b")
_SUICIDE_RE = rx(
    r"\b(?:kill(?:ing)? myself|end(?:ing)? (?:my|it all|my own) life|end it all|(?:want|going|wanted) to end it\b|take my (?:own )?life|suicid\w*"
    r"|(?:want|wanted|wanting|wish) (?:to die|i was dead|i were dead|i wasn't here|i wasn't alive|to not be here|to not wake up|i could disappear)"
    r"|don't want to (?:be here|live|be alive|wake up|go on|exist)|no (?:point|reason) (?:in )?(?:going on|living|being here|to live|carrying on)"
    r"|(?:better|be better) off without me|better off dead|not worth living"
    r"|self[- ]?harm\w*|(?:want|wanted|going|thinking of|thought about|feel like|urge) (?:to )?(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?) myself"
    r"|(?:been |keep |kept |started |am )?cutting (?:myself|my (?:arms?|wrists?|legs?|thighs?))|burn(?:ing|ed)? myself on purpose"
    r"|overdos\w*|take all my (?:pills|tablets)"
    r"|jump (?:off|in front)|thinking about (?:dying|death|ending)|thoughts of (?:dying|death|ending|suicide|killing)"
    r"|(?:driv\w*|crash\w*|walk\w*|step\w*|jump\w*|run\w*) (?:my car )?(?:into|in front of|off) (?:a |the )?(?:tree|traffic|train|bridge|cliff|truck|bus|pole|wall)"
    r"|(?:won't|wont|will not|may not|might not|not going to) be (?:here|around)(?: (?:next|much longer|anymore|for long|by))?"
    r"|(?:don't|dont|do not|can't|cant) see (?:much |any |the )?(?:reason|point) (?:to|in) (?:keep(?:ing)? going|go(?:ing)? on|living|carry(?:ing)? on|anything|being here)"
    r"|(?:c/o|reports?|endorses|\+ve|positive|active|current|passive|\+) (?:si|sh)|si/sh|sh/si)\b"
)
# despair that may or may not mean suicide: asked gently, never ignored. "What's the point" is
# despair alone or of life itself, not of a question or an exercise ("what's the point of that
# question" asks why it was asked).
_DESPAIR_RE = rx(
    r"\b(?:can't go on|cannot go on|can't do this anymore|can't keep doing this"
    r"|what's the point(?!\s+of\s+(?!(?:anything|living|life|it all|going on|trying|carrying on|being here"
    r"|keeping going|me|bothering)\b))|no point anymore"
    r"|hopeless\w*|give up on (?:everything|life)|nothing to live for|tired of (?:living|life|everything))\b"
)
_SUICIDE_FIGURATIVE_RE = rx(
    r"\b(?:kill(?:ing)? (?:it|the|that|my (?:pb|time|legs))|killed it|dying (?:to|on|out there|for)|dead legs|legs (?:are|were|feel) dead"
    r"|could kill for|death of me|nearly died|died laughing|kill me (?:if|when)|will kill me|i'll die if|would die for)\b"
)
_JOKE_RE = rx(r"\b(?:lol|lmao|haha\w*|jk|joking|kidding|😂|🤣)\b")
_VIOLENCE_PERSON = (
    r"(?:partner|husband|hubby|wife|boyfriend|bf|girlfriend|gf|ex|fiance|fiancee|spouse|de ?facto|dad|father|stepdad"
    r"|mum|mother|stepmum|son|daughter|brother|sister|in-?laws?|he|she)"
)
_FAMILY_VIOLENCE_RE = rx(
    # physical harm and control need their object: "my son kicked the footy" is not this
    r"\b" + _VIOLENCE_PERSON + r"(?:'s)? (?:(?:often |always |sometimes |keeps? |has |had |just |then )?"
    r"(?:(?:hits?|hitting|punch\w*|kick\w*|slap\w*|shov\w*|chok\w*|strangl\w*|beat\w*|bash\w*|hurts?"
    r"|grabb?\w*|threw (?:things|stuff) at|throws (?:things|stuff) at) me(?! to\b)|push\w* me (?:over|down|into|against|off|around|out|hard))"
    r"|threaten\w*(?: me| to)|controls (?:me|my)|is controlling|won't let me (?:leave|go|see|have|out)"
    r"|locks? me (?:in|out)|took my (?:phone|keys|money|car keys)|gets? violent|is violent|was violent|abuses me|is abusive)\b"
    r"|\b(?:scared|afraid|frightened|terrified) (?:of|to go home to|of what) (?:my |what my )?"
    + _VIOLENCE_PERSON
    + r"\b"
    r"|\b(?:afraid|scared|frightened|terrified) to go home\b|\bnot safe at home\b|\bdon't feel safe at home\b|\bunsafe at home\b"
    r"|\b(?:domestic|family) violence\b|\b(?:dv|ipv)\b|\babusive (?:partner|relationship|husband|wife|boyfriend|marriage|home)\b"
    r"|\bthreatened to (?:kill|hurt) me\b|\b(?:walking on eggshells|he'll hurt me|she'll hurt me)\b"
)
_VIOLENCE_FIGURATIVE_RE = rx(
    r"\b(?:will kill me if|would kill me if|kill me when|gonna kill me if|'ll kill me)\b"
)


def detect(t: str, r: Reader | None = None) -> tuple[set[str], set[str]]:
    """(affirmed signs, unsure signs) of spec §3a in the normalised message `t`."""
    masked = t  # background clauses are already blanked (red_flags._detect)
    r = Reader(masked) if r is None else r
    signs: set[str] = set()
    unsure: set[str] = set()

    def add(name: str, state: str | None) -> None:
        if state == "affirmed":
            signs.add(name)
        elif state == "unsure":
            unsure.add(name)

    add("chest", best_state(r, _CHEST_PAIN_RE, blank(_CHEST_FIGURATIVE_RE, masked)))

    # fainting during or after exercise, or palpitations with near-fainting (spec §3a)
    faint_text = blank(_SYNCOPE_FIGURATIVE_RE, masked)
    faint = best_state(r, _SYNCOPE_RE, faint_text)
    palpitations = r.any(_PALPITATION_RE)
    faint_sentence = next((s for s in re.split(r"[.;!?\n]+", faint_text) if _SYNCOPE_RE.search(s)), "")
    exercise = bool(_EXERCISE_RE.search(faint_sentence))
    if (
        faint == "affirmed"
        and (exercise or palpitations == "affirmed")
        and not _ONCE_RE.search(faint_sentence)
    ):
        signs.add("syncope")
    elif faint is not None and faint != "negated":
        unsure.add("syncope")  # a faint with no exercise named, or hedged: ask
    elif palpitations == "affirmed" and r.any(_DIZZY_RE) == "affirmed":
        signs.add("syncope")
    if "syncope" in signs and _NOW_RE.search(blank(_FINE_NOW_RE, masked)):
        signs.add("syncope_now")

    add("stroke", best_state(r, _STROKE_RE, blank(_STROKE_OTHERS_RE, masked)))
    if "stroke" not in signs and r.any(_ONE_LEG_WEAK_RE) == "affirmed" and _SUDDEN_RE.search(masked):
        unsure.add("stroke")

    heat_sign = r.any(_HEAT_SIGN_RE)
    if r.any(_HEAT_EXPLICIT_RE) == "affirmed" or (
        _HEAT_CONTEXT_RE.search(masked) and heat_sign == "affirmed"
    ):
        signs.add("heat")
    elif _HEAT_CONTEXT_RE.search(masked) and heat_sign == "unsure":
        unsure.add("heat")

    allergy_sign = r.any(_ANAPHYLAXIS_SIGN_RE)
    # a swelling tongue, lips or throat with wheeze or breathing trouble is anaphylaxis whatever
    # caused it (angioedema)
    airway = r.any(_AIRWAY_SWELLING_RE) == "affirmed" and r.any(_WHEEZE_RE) == "affirmed"
    if (
        airway
        or r.any(_ANAPHYLAXIS_EXPLICIT_RE) == "affirmed"
        or (_ALLERGY_CONTEXT_RE.search(masked) and allergy_sign == "affirmed")
    ):
        signs.add("anaphylaxis")
    elif _ALLERGY_CONTEXT_RE.search(masked) and (
        allergy_sign == "unsure" or r.any(_ALLERGY_SKIN_RE) in ("affirmed", "unsure")
    ):
        unsure.add("anaphylaxis")  # hives after a sting, no breathing or swelling named: asked

    headache = r.any(_HEADACHE_RE)
    if headache in ("affirmed", "unsure") and _HEADACHE_SEVERE_RE.search(masked):
        add("headache", headache)

    saddle = [m for m, state in r.matches(_SADDLE_RE) if state != "negated"]
    numb_saddle = any(
        state != "negated" and any(abs(m.start() - s.start()) < 40 for s in saddle)
        for m, state in r.matches(_NUMB_RE)
    )
    bladder = r.any(_BLADDER_BOWEL_RE)
    both_legs = r.any(_BOTH_LEGS_WEAK_RE)
    back = bool(_BACK_RE.search(masked))
    if r.any(_CAUDA_EXPLICIT_RE) == "affirmed" or numb_saddle:
        signs.add("cauda_equina")
    elif bladder == "affirmed":
        (signs if back else unsure).add("cauda_equina")
    elif both_legs == "affirmed" and back:
        unsure.add("cauda_equina")  # both legs weak with back pain, nothing else named: asked
    elif bladder == "unsure":
        unsure.add("cauda_equina")

    suicide = best_state(r, _SUICIDE_RE, blank(_SUICIDE_FIGURATIVE_RE, masked))
    if suicide == "affirmed" and _JOKE_RE.search(masked):
        suicide = "unsure"  # "lol I'll kill myself": asked gently, never brushed off
    add("suicide", suicide)
    if (
        suicide is None
        and r.any(_DESPAIR_RE) == "affirmed"
        and not re.search(r"\bcan't (?:go on|keep) running\b", masked)
    ):
        unsure.add("suicide")
    add("family_violence", best_state(r, _FAMILY_VIOLENCE_RE, blank(_VIOLENCE_FIGURATIVE_RE, masked)))

    unsure -= signs
    return signs, unsure

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

from bot.triage.parsing import emergencies
from bot.triage.parsing.background import blank_background
from bot.triage.parsing.negation import HARD_BREAK_RE, Reader, best_state, blank
from bot.triage.parsing.red_flag_model import sign_probabilities, suspected_signs
from bot.triage.parsing.text import is_none_answer, prep, rx

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
_BOTH_CALVES_SORE_RE = rx(
    r"\b(?:calves|both (?:calf|calfs|calves|legs|sides|lower legs)|(?:2|two) calf|each calf|both of my (?:calves|legs)"
    r"|(?:left|right|one) (?:and|&|n) (?:left|right|the other)|same (?:on|both) (?:each|both) sides?|equally)\b"
)
# A cause on the skin or a knock explains a sore, swollen or red patch: asked about, not routed.
_LOCAL_CAUSE_RE = rx(
    r"\b(?:sting|stung|bite|bitten|mozzie|mosquito|insect|tick|bruis\w*|knock\w*|kicked|corked|corky|cork|whack\w*"
    r"|hit by|cut|graze\w*|scratch\w*|tattoo|rash|sunburn\w*|blister\w*)\b"
)
# Tight or crampy calves after a session that settle are training soreness.
_TRAINING_AFTER_RE = rx(
    r"\b(?:after|post|since) (?:the |my |a |this |that |yesterday's |today's )?(?:run|runs|parkrun|race|session|workout"
    r"|hills?|hill sprints|sprints|intervals|speed ?work|calf raises|stairs|stair|training|long run|marathon|gym|squats|new shoes)"
    r"|\b(?:stretched it out|went away|eased off|settled|gone (?:by|after|the next))\b"
)
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
    r"\b(?:breathless(?:ness)?|breathlessness|sob|short of (?:breath|wind)|shortness of breath|out of breath|out of puff"
    r"|short of air|(?:can't|cant|cannot|can not|couldn't|couldnt|hard to|trouble|difficulty"
    r"|difficult to|struggling to|struggle to|unable to) (?:catch (?:my|a) |get (?:my|a) (?:full )?"
    r"|take a (?:deep |full )?)?(?:breath|breathe|breathing)|breathing (?:is |feels )?(?:hard"
    r"|difficult|off|short|laboured|labored|funny|weird)|gasping|gasp|winded|puffed out|puffing"
    r"|puffed|huffing|dyspnoea|dyspnea|cough(?:ed|ing|s)? (?:up )?(?:a (?:bit|little) of |some )?blood"
    r"|breath(?:ing)? (?:is |feels )?(?:short|shallow)|no air|air hungry|haemoptysis|hemoptysis"
    r"|blood[- ]?(?:streaked|stained|tinged|flecked) (?:sputum|phlegm|spit|mucus)|blood in (?:my |the )?(?:spit|sputum|phlegm)"
    r"|sob(?:oe)?|rr (?:2[2-9]|[3-9]\d)|resp(?:iratory)? rate (?:2[2-9]|[3-9]\d)|can't finish (?:my |a )?sentences?"
    r"|(?:like )?breathing through a straw|not enough air|can't get enough air|hungry for air|air hunger"
    r"|(?:stop|stopped|stopping|pause|paused|have to sit)\w* (?:halfway |half way |a few times |every few steps )?(?:up [a-z ]{1,20})?"
    r"(?:to |and )?(?:get|catch|find) (?:my |me )?breath(?: back)?)\b"
)
# Puffing and panting are normal on a hill; at rest or with almost no effort they are not.
_PANTING_RE = rx(
    r"\b(?:pant\w*|puff\w*|gasp\w*|huff\w*|breathing (?:hard|heavy|fast|heavily)|breathe like|breathing like)\b"
)
_AT_REST_RE = rx(
    r"\b(?:at rest|resting|sitting|sat|lying|in bed|on the couch|on the sofa|doing nothing|just walking|walking to|talking"
    r"|getting dressed|in the shower|to the (?:kitchen|toilet|bathroom|letterbox|mailbox|car)|up the stairs at home"
    r"|one flight|a few steps|though (?:he|she|i)(?:'s| has| have| am|'m)? (?:only )?been|only been)\b"
)
_FEVER_RE = rx(
    r"\b(?:fever|fevers|feverish|fevery|febrile|pyrexia|(?:a |high |running a |got a )?temperature"
    r"|high temp|a temp|temp of|temps|3[89](?:\.\d)? ?(?:degrees|°|c)?(?= |$)|chills|chilly|shivers|shivering"
    r"|shivery|the shakes|rigors|night sweats|cold sweats|sweats and chills|drenching sweats|unwell|crook|rotten|flu|fluey"
    r"|flu-?ish|flu-?like|off colour|off color|run down|rundown|coming down with"
    r"|(?:feel|feeling|felt|feels) (?:really |very |quite |so |pretty |a bit |a little |kind of "
    r"|super )?(?:sick|ill|awful|terrible|lousy|horrible))\b(?! of)"
)
_KNEE_INFLAMED_RE = rx(
    r"\b(?:hot|warm|warmth|red|redness|reddish|angry|swollen|swelling|swelled|puffy|puffed up"
    r"|inflamed|blown up|blew up|big)\b"
)
_KNEE_HOT_RE = rx(r"\b(?:hot|warm|warmth|burning|heated)\b")
_KNEE_RED_RE = rx(r"\b(?:red|redness|reddish|angry)\b")
_KNEE_SWOLLEN_RE = rx(
    r"\b(?:swollen|swelling|swelled|puffy|puffed up|blown up|blew up|inflamed|bulging|(?:knee|it)(?:'s| is| got| went| looks) (?:really |so |very )?(?:big|fat|huge))\b"
)
# Heat and warmth that are the weather, a warm-up, a bath or a heat pack, or the burning pain of
# ITBS itself, say nothing about an inflamed knee.
_NOT_KNEE_HEAT_RE = rx(
    r"\b(?:hot (?:day|days|weather|morning|afternoon|run|race|conditions|bath|shower|tub|water|pack|sun|chocolate|tea|coffee|yoga)"
    r"|warm(?:ing)?[- ]?ups?|warm (?:day|weather|bath|shower|water|pack|up)|heat ?(?:pack|wave|rub)|in the heat|burning (?:pain|sensation|feeling|ache)"
    r"|(?:pain|ache|it) (?:is |feels )?(?:like )?(?:a )?burning|burns|red (?:shoes|light|bull|wine|line|zone|flag)|hot spot|warm to me)\b"
)
# The knee's own words are near the knee ("knee is hot"), not anywhere in a long message.
_KNEE_WORD_RE = rx(r"\b(?:knee|knees|kneecap|joint|patella)\b")

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
    r"|\bnot (?:straighten\w*|going straight|extending)\b|\b(?:freez\w*|frozen|stuck|stay\w*) (?:at|like that at) (?:maybe |about |around )?\d+ ?(?:°|degrees?|deg)"
    r"|\blacks? (?:\d+ ?(?:°|degrees?|deg)? ?(?:of )?)?(?:full )?ext(?:ension)?\b|\bextension (?:lag|block)\b|\bblock to (?:full )?(?:extension|straightening)"
    r"|\bgap under (?:my |the )?knee\b|\blast (?:bit|few degrees) of (?:straightening|extension)\b"
    r"|\b(?:stayed|stays|staying|remained|stuck|left) (?:bent|half bent|slightly bent|at an angle)\b"
)
_LOCKED_WEAK_RE = rx(r"\b(?:locked up|locked|locking|locks up|got stuck|gets stuck|jammed)\b")
_FREES_RE = rx(
    r"\b(?:frees|freed|free up|unlocks|unlocked|clicks back|comes free|came free|pops back"
    r"|then (?:it's )?fine|goes away|sometimes|now and then|occasionally|then it's ok|once or twice)\b"
)

_SWELLING_RE = rx(
    r"\b(?:swell(?:ed|s|ing)?|swollen|ballooned|balloon|puffed up|blew up|blown up|(?:it|knee|swelling) (?:came|went) up"
    r"|(?:it|knee|it's|knee's|knee is|it is|it was|knee was) (?:gone |got |went |all )?(?:huge|massive|big|fat|puffy|bulging)"
    r"|effusion|fluid|full of (?:fluid|water)|(?:rising|ballooning|puffing up|blowing up))\b"
)
_FAST_RE = rx(
    r"\b(?:fast|quickly|quick|rapid(?:ly)?|straight away|right away|immediately|immediate|instantly"
    r"|straight after|right after|within (?:an?|a few|a couple(?: of)?|two|half an|\d+) (?:hours?"
    r"|hrs?|minutes?|mins?)|in (?:an?|a few|a couple(?: of)?|half an|\d+) (?:hours?|hrs?|minutes?|mins?)"
    r"|that (?:night|evening|day|afternoon)|within minutes|within hours|in hours|like a balloon"
    r"|ballooned|the same day|same day|already|by (?:half-?time|full-?time|the (?:end|finish|car ?park|evening|afternoon)"
    r"|dinner|lunch|bedtime|tea ?time|the time i got (?:home|back))"
    r"|(?:in|within) (?:maybe |about |around |like |roughly )?(?:\d+|one|two|a couple)(?: or (?:\d+|two|three))? (?:hours?|hrs?|minutes?|mins?))\b"
)
_POP_RE = rx(
    r"\b(?:pop|popped|popping|went pop|went snap|clunk|heard a (?:crack|snap|click|clunk)|felt a (?:snap|crack|tear|pop|clunk)"
    r"|snapped|snap|crack|cracked|tore|torn)\b"
)
_SLOW_RE = rx(r"\b(?:slowly|gradually|over (?:a few|several|the next) days|next day|days later)\b")
_INJURY_RE = rx(
    r"\b(?:injur(?:y|ed|ies)|twist(?:ed|ing)?|fell|fall|fallen|landed|landing|rolled|rolling it"
    r"|tackled?|tackle|hit|whacked|knocked|crashed|collided|collision|came off|tripped|trip|slipped|went over"
    r"|pivot(?:ed|ing)?|changed direction|kicked|accident|happened|hurt it|stacked it|bumped|tumble|took a tumble"
    r"|went down on|came down on|struck|stepped in (?:a )?hole|step in (?:a )?hole|rolled (?:my|her|his))\b"
)
# Training load said with injury-sounding verbs: "bumped my mileage from 30 to 45" is not an injury.
_LOAD_CHANGE_RE = rx(
    r"\b(?:bump\w*|upp?\w*|ramp\w*|jack\w*|push\w*|increas\w*|hit|knock\w*) (?:up )?(?:my |the |our )?(?:weekly )?"
    r"(?:mileage|milage|distance|kms?|kilomet\w*|miles|volume|training|load|long runs?|k's|ks)\b"
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
    r"|dead feeling|deadness|(?:foot|shin|toes?|skin) (?:feels|is|went|gone) dead|electric (?:shocks?|zaps?|feeling)|shooting"
    r" (?:pain|pains) down|lost (?:the )?feeling|no feeling|can't feel (?:my )?(?:foot|toes|leg))\b"
)
_NIGHT_RE = rx(
    r"\b(?:at night|at nite|during the night|in the night|overnight|all night|in bed|night ?time"
    r"|at rest|when resting|while resting|when i rest|when i'm resting|even resting|when i'm lying"
    r"|lying down|lying in bed|sitting still|doing nothing|even at rest|resting|asleep)\b"
)
# Running or training at night is when it hurts, not night pain.
_NIGHT_RUN_RE = rx(
    r"\b(?:run|runs|running|ran|jog|jogging|train|training|session|parkrun|walk|walking) (?:(?:late |mostly |usually )?"
    r"(?:at night|at nite|in the evening|overnight|night ?time|after dark))\b"
)
_NIGHT_PAIN_ONLY_RE = rx(
    r"\b(?:wakes? me|woke me|waking me|wake up (?:in the night )?(?:with|from|because)|keeps? me (?:up|awake)"
    r"|keeping me (?:up|awake)|can't sleep|cant sleep|couldn't sleep|unable to sleep|trouble sleeping"
    r"|night pain|rest pain|night-time pain|nighttime pain|worse at night|worst at night"
    r"|wakes? up in the night|wake in the night|even (?:when|while) (?:i'm |i am )?(?:resting|lying"
    r"|sitting)|even at rest|even resting|even in bed)\b"
)
_PAIN_WORD_RE = rx(r"\b(?:" + _PAIN + r"|worse|worst|bad|constant|it|bothers?|there|aching)\b")
_LUMP_RE = rx(
    r"\b(?:lump|lumps|a mass|a growth|hard knot|lumpy|swelling like a (?:marble|ball|golf ball|egg)|hard ball|bulge)\b"
    r"|\b(?:bump|bumps)\b(?=[a-z' ]{0,25}\b(?:knee|leg|shin|calf|thigh|skin|bone|behind|under|side|growing|bigger|hard)\b)"
)
# A lump already scanned or checked and called harmless is not new (unless it is growing).
_LUMP_CHECKED_RE = rx(
    r"\b(?:cyst|ganglion|lipoma|benign|harmless|nothing to worry|nothing worry|checked|scanned|ultrasound|\bus\b|mri"
    r"|doctor (?:said|says|did)|gp (?:said|says))\b"
)
_LUMP_GROWING_RE = rx(r"\b(?:grow\w*|getting bigger|bigger now|new|changed|changing|hard and fixed)\b")
# Numb or tingly where no leg nerve runs, or for a reason of its own: not spec §3's nerve signs.
_NERVE_ELSEWHERE_RE = rx(
    r"\b(?:numb\w* (?:mouth|lips?|tongue|gums?|face|jaw|teeth|cheek)|(?:mouth|lips?|tongue|gums?|jaw|cheek) (?:is |feels |went |still )?numb\w*"
    r"|tingl\w* (?:nervous|with excitement|of excitement|excitement)|nervous(?:ly)? (?:tingl\w*|excit\w*)|spine[- ]tingl\w*"
    r"|(?:dentist|anaesthetic|anesthetic|injection|needle at the)\b[^.,;]{0,30}\bnumb\w*|numb\w*[^.,;]{0,30}\b(?:dentist|anaesthetic|anesthetic)"
    # positional and passing: sitting cross-legged, kneeling, a foot sat on
    r"|(?:pins and needles|numb\w*|tingl\w*|(?:goes|went|gone) to sleep|asleep)[^.,;]{0,30}\b(?:if|when|after) i (?:sit|kneel|sat|cross)\w*"
    r"|(?:sit|sitting|sat|kneel\w*) (?:cross[- ]?legged|on (?:it|my (?:foot|feet|leg|legs))|too long|for ages)[^.,;]{0,30}"
    r"\b(?:pins and needles|numb\w*|tingl\w*|asleep|went to sleep))\b"
)
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
    r"\b(?:today|yesterday|day before yesterday|this morning|this am|this arvo|this afternoon|last night|tonight|earlier"
    r"|[1-6]/7(?: ago)?|x ?[1-6]/7|[1-6] days|(?:an? |\d+ )?hours? ago|sat|sun|mon|tues?|wed|thurs?|fri"
    r"|on the weekend|at the weekend|over the weekend|this weekend|last weekend|(?:a )?(?:few|couple"
    r"(?: of)?|two|three|four|five|six|2|3|4|5|6) days ago|days ago|this week|the other day|just now"
    r"|(?:on |last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
)
_CANT_WALK_RE = rx(
    r"\b(?:(?:can't|cant|cannot|can not|unable to|couldn't|couldnt|not able to) (?:even )?"
    r"(?:walk|weight ?bear|bear weight|put (?:any )?weight|stand|take (?:\d|four|a|more than)"
    r"|put my foot down|step)|barely walk|can hardly walk|can only hop|hopping|on crutches|crutches"
    r"|(?:can't|cant|cannot|can not|unable to|won't|wont) (?:fully )?bend|won't go to 90"
    r"|can't bend it to 90|not able to bend|nwb|non[- ]weight[- ]bearing"
    r"|(?:only|just|barely) (?:limp|hobble|manage|do|take|walk) (?:\d|one|two|a couple(?: of)?|a few) steps?"
    r"|can't (?:even )?(?:do|manage|walk) (?:4|four) steps|(?:holding|hold onto|hanging onto|grabbing) the (?:wall|furniture|bench)"
    r"|(?:can't|cannot|unable to|won't) (?:fold|bend) (?:it|the knee|my knee)? ?(?:to|past)? ?(?:a )?(?:right angle|90)"
    r"|(?:flexion|flex|bend|bends|bending) (?:maybe |about |only |to |is |of )*(?:0-)?(?:[1-7]\d|8[0-5]) ?(?:°|degrees?|deg)\b)"
)
_AGE_RE = rx(
    r"\b(?:i'm|im|i am|aged?|age|he's|she's|he is|she is)\s?(\d{2,3})\b|\b(\d{2,3})\s?(?:years? old|yo|y/o|yrs? old)\b"
    r"|\b(\d{2})\s?(?:m|f|male|female|yom|yof)\b|\b(?:mother|mum|mom|father|dad|husband|wife|nan|grandma|grandad|grandpa)"
    r",? \(?(\d{2})\)?(?=[ ,.)]|$)"
)

# The sign names the conversation remembers (`red_flag_signs` slot) and combines.
SIGNS = (
    "calf",
    "breath",
    "fever",
    "knee_hot",
    "knee_red",
    "knee_swollen",
    "knee_inflamed",
    "swelling",
    "fast",
    "pop",
    "locked",
    "nerve",
    "night",
    "ottawa",
    "cant_walk",
    "injury_recent",
    *emergencies.SIGNS,
)

# One short yes/no question per flag, asked when a sign is named but not certain.
CONFIRM_QUESTIONS: dict[str, str] = {
    # emergencies: the number comes first, before the question, whatever the answer will be
    "calf_pain_with_breathlessness": (
        "If your calf is painful or swollen and you're also short of breath or have chest pain, "
        "call 000 now. Quick safety check: is that happening to you?"
    ),
    "hot_swollen_knee_with_fever": (
        "If your knee is hot, red or swollen and you have a fever or feel generally unwell, call "
        "000 or go to an emergency department now. Quick safety check: is that the case?"
    ),
    "cardiac_chest_pain": (
        "If you have chest pain, pressure or tightness right now, stop and call 000 now. Quick "
        "safety check: is that happening?"
    ),
    "stroke_signs": (
        "If a face is drooping, an arm or leg is weak on one side, or speech is slurred, call 000 "
        "now and note the time it started. Quick safety check: is that happening?"
    ),
    "heat_illness": (
        "If someone is confused, has collapsed, has stopped sweating or keeps vomiting after "
        "running in the heat, call 000 now, get them into the shade and cool them with water. "
        "Quick safety check: is that happening?"
    ),
    "anaphylaxis": (
        "If your throat feels tight, your lips or tongue are swelling, or it's hard to breathe "
        "after a sting, bite or food, call 000 now and use an adrenaline autoinjector if you "
        "have one. Quick safety check: is that happening?"
    ),
    "thunderclap_headache": (
        "A sudden, severe headache, the worst you've ever had, needs 000 now. Quick safety "
        "check: is that what you have?"
    ),
    "cauda_equina": (
        "If you have back pain or sciatica with numbness around your groin or bottom, new "
        "trouble passing urine or controlling your bladder or bowel, or weakness in both legs, "
        "go to an emergency department now (call 000 if you can't get there). Quick safety "
        "check: is that happening?"
    ),
    "suicide_risk": (
        "I'd like to check I've understood you, and I'm glad you said something. If you're in "
        "danger right now, call 000. Lifeline is there any time on 13 11 14. Are you having "
        "thoughts of ending your life or hurting yourself?"
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
    "collapse_or_syncope": (
        "If you feel faint or unwell right now, call 000. Quick safety check: did you faint, "
        "black out or nearly faint during or just after exercise?"
    ),
    "family_violence": (
        "If you're in danger right now, call 000. 1800RESPECT (1800 737 732) is there any "
        "time, and it's confidential. Can I check: is someone close to you hurting you, "
        "threatening you or making you afraid?"
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
    acute: frozenset[str] = frozenset()  # flags happening now (engine.ACUTE_ROUTES)
    suspected: frozenset[str] = frozenset()  # signs only the learned net read (asked about)


_OTHER_BODY_RE = rx(
    r"\b(?:knee|knees|kneecap|foot|feet|hip|thigh|ankle|shin|back(?! of)|chest|hamstring|quad|quads|itb|toe|toes)\b"
)


def _near(body: re.Match[str], symptom: re.Match[str], t: str, words: int = 7) -> bool:
    """Close, in one sentence, and the symptom not about another body part ("knee pain, calf ok")."""
    between = (
        t[body.end() : symptom.start()] if body.start() < symptom.start() else t[symptom.end() : body.start()]
    )
    if HARD_BREAK_RE.search(between) or len(between.split()) > words or _OTHER_BODY_RE.search(between):
        return False
    owner = " ".join(t[: symptom.start()].split()[-2:])  # "knee pain, calf ok"
    return not (symptom.start() < body.start() and _OTHER_BODY_RE.search(owner))


def _body_sign(r: Reader, body: re.Pattern[str], symptom: re.Pattern[str]) -> str | None:
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
    t = blank_background(t)  # someone else's, long past, checked and cleared (same length)
    r = Reader(t)
    signs: set[str] = set()
    unsure: set[str] = set()

    def add(name: str, state: str | None) -> None:
        if state == "affirmed":
            signs.add(name)
        elif state == "unsure":
            unsure.add(name)

    calf = _body_sign(r, _CALF_BODY_RE, _CALF_SYMPTOM_RE)
    bilateral = bool(_BOTH_CALVES_SORE_RE.search(t)) and not _ONE_LEG_BIGGER_RE.search(t)
    if calf == "affirmed" and bilateral and r.any(_CALF_SWELL_RE) != "affirmed":
        calf = None  # both calves sore, nothing swollen, warm or red: training soreness (DVT is one leg)
    leg = _body_sign(r, _LEG_BODY_RE, _LEG_SYMPTOM_RE)
    if _ONE_LEG_BIGGER_RE.search(t):
        leg = leg or r.state(_ONE_LEG_BIGGER_RE.search(t).start())
    found = calf if calf == "affirmed" else leg if leg == "affirmed" else calf or leg
    if found == "affirmed" and _LOCAL_CAUSE_RE.search(t) and not _ONE_LEG_BIGGER_RE.search(t):
        found = "unsure"  # a sting, bite or knock explains it more often than a clot: asked
    add("calf", found)
    if "calf" not in signs and "calf" not in unsure and not bilateral:
        weak = _body_sign(r, _CALF_BODY_RE, _WEAK_CALF_RE)
        if weak is not None and not _TRAINING_AFTER_RE.search(t):
            unsure.add("calf")
    add("breath", r.any(_BREATH_RE))
    if "breath" not in signs and r.any(_PANTING_RE) == "affirmed" and _AT_REST_RE.search(t):
        signs.add("breath")  # puffing while sitting on the couch, or after a few steps
    add("fever", r.any(_FEVER_RE))

    # Inflammation words that belong to the calf or leg, the weather or ITBS's burning pain don't
    # count for the knee; the rest count when a knee word is near (or the message is short).
    knee_t = blank(_NOT_KNEE_HEAT_RE, _CALF_BODY_RE.sub(lambda m: "#" * len(m.group(0)), t))
    knee_words = [m.start() for m in _KNEE_WORD_RE.finditer(t)]
    short = len(t.split()) <= 12
    for pattern_name, pattern in (
        ("knee_hot", _KNEE_HOT_RE),
        ("knee_red", _KNEE_RED_RE),
        ("knee_swollen", _KNEE_SWOLLEN_RE),
    ):
        states = {
            r.state(m.start())
            for m in pattern.finditer(knee_t)
            if not _CALF_BODY_RE.search(t[max(0, m.start() - 30) : m.end() + 30])
            and (short or any(abs(k - m.start()) <= 60 for k in knee_words))
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

    add("nerve", best_state(r, _NERVE_RE, blank(_NERVE_ELSEWHERE_RE, t)))

    night = None
    for m, state in r.matches(_NIGHT_RE, blank(_NIGHT_RUN_RE, t)):
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
    if not (_LUMP_CHECKED_RE.search(t) and not _LUMP_GROWING_RE.search(t)):
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
    injury = best_state(r, _INJURY_RE, blank(_LOAD_CHANGE_RE, t)) == "affirmed"
    cant = r.any(_CANT_WALK_RE) == "affirmed"
    old = any(int(next(g for g in m.groups() if g)) >= 55 for m in _AGE_RE.finditer(t))
    if injury and (cant or old):
        if _RECENT_RE.search(t):
            signs.add("ottawa")
        elif cant:
            unsure.add("ottawa")

    outside_signs, outside_unsure = emergencies.detect(t, r)
    signs |= outside_signs
    unsure |= outside_unsure
    unsure -= signs
    return signs, unsure, r.negated_any


# The learned net's signs (red_flag_model.SIGN_LABELS) in the rules' sign names.
NET_SIGNS: dict[str, frozenset[str]] = {
    "calf": frozenset({"calf"}),
    "breath": frozenset({"breath"}),
    "chest": frozenset({"chest"}),
    "knee_inflamed": frozenset({"knee_inflamed"}),
    "fever": frozenset({"fever"}),
    "cant_weight_bear": frozenset({"cant_walk"}),
    "injury_recent": frozenset({"injury_recent"}),
    "locked": frozenset({"locked"}),
    "rapid_swelling": frozenset({"swelling", "fast"}),
    "nerve": frozenset({"nerve"}),
    "night_rest": frozenset({"night"}),
    "weight_loss": frozenset({"night"}),
    "lump": frozenset({"night"}),
    "syncope": frozenset({"syncope"}),
    "stroke": frozenset({"stroke"}),
    "heat": frozenset({"heat"}),
    "anaphylaxis": frozenset({"anaphylaxis"}),
    "headache": frozenset({"headache"}),
    "cauda_equina": frozenset({"cauda_equina"}),
    "suicide": frozenset({"suicide"}),
    "family_violence": frozenset({"family_violence"}),
}
# §3a signs that are a flag on their own
_OUTSIDE_KNEE_SIGN_FLAGS = {
    "syncope": "collapse_or_syncope",
    "stroke": "stroke_signs",
    "heat": "heat_illness",
    "anaphylaxis": "anaphylaxis",
    "headache": "thunderclap_headache",
    "cauda_equina": "cauda_equina",
    "suicide": "suicide_risk",
    "family_violence": "family_violence",
}
_KNEE_SIGNS = frozenset({"knee_hot", "knee_red", "knee_swollen", "knee_inflamed"})


def flags_from_signs(signs: frozenset[str] | set[str]) -> frozenset[str]:
    """The spec §3 / §3a flags that a set of signs (one message or a whole conversation) adds up
    to. Two-part emergencies combine their parts whichever message or words carried them."""
    s = set(signs)
    flags: set[str] = set()
    if "calf" in s and ("breath" in s or "chest" in s):
        flags.add("calf_pain_with_breathlessness")
    elif "calf" in s:
        flags.add("calf_dvt_signs")
    if "chest" in s and "calf" not in s:
        flags.add("cardiac_chest_pain")
    knee = _KNEE_SIGNS & s
    if ("fever" in s and knee) or len(knee - {"knee_inflamed"}) == 3:
        flags.add("hot_swollen_knee_with_fever")
    if "ottawa" in s or {"cant_walk", "injury_recent"} <= s:
        flags.add("ottawa_xray_criteria")
    if "locked" in s:
        flags.add("locked_knee")
    if "swelling" in s and ("fast" in s or "pop" in s):
        flags.add("rapid_swelling_after_injury")
    if "nerve" in s:
        flags.add("nerve_symptoms")
    if "night" in s:
        flags.add("night_rest_pain_weight_loss_lump")
    flags |= {flag for sign, flag in _OUTSIDE_KNEE_SIGN_FLAGS.items() if sign in s}
    return frozenset(flags)


def acute_flags(signs: frozenset[str] | set[str]) -> frozenset[str]:
    """Flags happening now (engine.ACUTE_ROUTES): a faint while they still feel faint or unwell."""
    return frozenset({"collapse_or_syncope"}) if "syncope_now" in signs else frozenset()


def _uncertain_flags(signs: set[str], unsure: set[str]) -> set[str]:
    """Flags that the unsure signs would add if the person confirmed them: each alone, and all
    together (so two unsure halves of a two-part emergency ask about the emergency)."""
    certain = flags_from_signs(signs)
    out: set[str] = set(flags_from_signs(signs | unsure)) - certain
    for sign in unsure:
        extra = flags_from_signs(signs | {sign}) - certain
        if not extra and sign in _SIGN_FLAG:
            extra = {_SIGN_FLAG[sign]} - certain  # a sign that is a flag on its own
        out |= extra
    # hot and swollen (two of the three) without a fever: ask about the fever
    if len({"knee_hot", "knee_red", "knee_swollen"} & signs) >= 2:
        out.add("hot_swollen_knee_with_fever")
    # a calf sign without breathing trouble stays the calf question, not a breathing one
    if (
        "calf_pain_with_breathlessness" in out
        and "calf" in signs | unsure
        and not ({"breath", "chest"} & (signs | unsure))
    ):
        out.discard("calf_pain_with_breathlessness")
    return out - certain


_SIGN_FLAG = {
    "calf": "calf_dvt_signs",
    "chest": "cardiac_chest_pain",
    "ottawa": "ottawa_xray_criteria",
    "cant_walk": "ottawa_xray_criteria",
    "locked": "locked_knee",
    "fast": "rapid_swelling_after_injury",
    "nerve": "nerve_symptoms",
    "night": "night_rest_pain_weight_loss_lump",
    **_OUTSIDE_KNEE_SIGN_FLAGS,
}


def net_signs(t: str) -> frozenset[str]:
    """The learned net's suspected signs for the normalised message, in the rules' sign names."""
    return frozenset(sign for label in suspected_signs(t) for sign in NET_SIGNS[label])


# The rules' signs in the net's labels, for the net's second opinion on a rule's reading.
_SIGN_NET_LABELS: dict[str, tuple[str, ...]] = {
    sign: tuple(label for label, signs in NET_SIGNS.items() if sign in signs)
    for sign in {s for signs in NET_SIGNS.values() for s in signs}
}
_SIGN_NET_LABELS.update(
    {
        "knee_hot": ("knee_inflamed",),
        "knee_red": ("knee_inflamed",),
        "knee_swollen": ("knee_inflamed",),
        "pop": ("rapid_swelling",),
        "ottawa": ("cant_weight_bear", "injury_recent"),
        "syncope_now": ("syncope",),
    }
)
# Below this, the net reads the words as something else entirely ("crushing disappointment",
# "my face dropped when I saw the hill"): the rule's sign is asked about instead of routed.
VETO_BELOW = 0.2
DROP_BELOW = 0.02


_ANCHORED_RE = {
    "locked": rx(
        r"\b(?:knee|knees|leg)\b(?:\W+\w+){0,2}\W+(?:locked|locks|locking|jammed|stuck|catches and locks)\b"
    ),
    "calf": rx(r"\b(?:one|left|right|my|his|her) (?:calf|calves|lower leg)\b"),
}


# Readings never dropped on the net's word: a gentle question costs little, a miss costs a life.
_NEVER_DROPPED = frozenset({"suicide", "family_violence"})


def _anchored(t: str) -> set[str]:
    """Weak readings tied to the body in so many words, and those never dropped: asked about
    whatever the net thinks."""
    return {sign for sign, pattern in _ANCHORED_RE.items() if pattern.search(t)} | _NEVER_DROPPED


def _second_opinion(t: str, signs: set[str], below: float = VETO_BELOW) -> set[str]:
    """The rules' signs in this message that the net finds implausible (probability < `below`)."""
    probs = sign_probabilities(t)
    if not probs:
        return set()
    doubtful = set()
    for sign in signs:
        labels = _SIGN_NET_LABELS.get(sign)
        if labels and max(probs[label] for label in labels) < below:
            doubtful.add(sign)
    return doubtful


def read_red_flags(text: str | None, earlier_signs: frozenset[str] = frozenset()) -> Findings:
    """Everything the safety net needs from one message, given the signs seen earlier in the
    conversation: flags (combined with the earlier signs), uncertain flags, this message's signs.

    Rules route; the learned net (phrasing no rule was written for) and the rules' unsure
    readings only ask, one yes/no question about the flag they would add."""
    t = prep(text)
    if not t:
        return Findings(frozenset(), frozenset(), frozenset(), False)
    signs, unsure, negated = _detect(t)
    # only a sign that routes by itself is second-guessed: a part of a two-part flag (puffed out,
    # a fever) is kept for the conversation, where the other part may follow
    doubtful = _second_opinion(t, {s for s in signs if flags_from_signs({s})})
    signs -= doubtful
    # a weak reading the net also finds implausible ("locked in my race entry") is dropped,
    # unless the words tie it to the body ("my knee locked up")
    unsure -= _second_opinion(t, unsure, below=DROP_BELOW) - _anchored(t)
    unsure |= doubtful - {"syncope_now"}
    combined = set(signs) | set(earlier_signs)
    flags = flags_from_signs(combined)
    suspected = net_signs(t) - combined
    uncertain = _uncertain_flags(combined, unsure | suspected) - flags
    return Findings(
        flags, frozenset(uncertain), frozenset(signs), negated, acute_flags(combined), frozenset(suspected)
    )


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

"""What the assistant says after the questions: outcomes, reasons, advice and its evidence.

Every sentence is our own plain, warm Australian English, written from the facts in
`docs/clinical/triage-spec.md` §6. Every piece of advice carries the evidence keys of
`docs/clinical/evidence.md`, so "where's the evidence?" can always be answered. Nothing here names a
diagnosis as certain: the assistant estimates how typical a story is, a physio or GP decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.triage.engine import (
    RED_FLAG_ROUTES,
    WEEKLY_CHANGE_MIN_PCT,
    TriageAnswers,
    TriageResult,
    flag_route,
    red_flag_route,
    sort_red_flags,
)

EMERGENCY_NUMBER = "000"
HEALTHDIRECT = "healthdirect on 1800 022 222"
LIFELINE = "13 11 14"
SUICIDE_CALL_BACK = "1300 659 467"
KIDS_HELPLINE = "1800 55 1800"
RESPECT = "1800RESPECT (1800 737 732)"
SITES = "Kenmore or Jindalee"


@dataclass(frozen=True)
class Citation:
    key: str
    short: str  # "Fairclough et al. 2006" — for inline mentions
    reference: str  # full reference, as in evidence.md
    supports: str  # what it supports, in plain words


@dataclass(frozen=True)
class Advice:
    text: str
    evidence_keys: tuple[str, ...]
    items: tuple[str, ...] = ()  # the separate points, when the advice is a list (load plan)


def _cite(key: str, short: str, reference: str, supports: str) -> tuple[str, Citation]:
    return key, Citation(key, short, reference, supports)


EVIDENCE: dict[str, Citation] = dict(
    [
        _cite(
            "fairclough2006",
            "Fairclough et al. 2006",
            "Fairclough J, Hayashi K, Toumi H, et al. The functional anatomy of the iliotibial "
            "band during flexion and extension of the knee: implications for understanding "
            "iliotibial band syndrome. J Anat. 2006;208(3):309–316.",
            "The band is anchored to the outer thigh bone; the fat pad under it is squeezed at "
            "about 30° of knee bend.",
        ),
        _cite(
            "fairclough2007",
            "Fairclough et al. 2007",
            "Fairclough J, et al. Is iliotibial band syndrome really a friction syndrome? J Sci "
            "Med Sport. 2007;10(2):74–76.",
            "ITBS is better explained by compression than by friction.",
        ),
        _cite(
            "chaudhry2008",
            "Chaudhry et al. 2008",
            "Chaudhry H, Schleip R, Ji Z, Bukiet B, Maney M, Findley T. Three-dimensional "
            "mathematical model for deformation of human fasciae in manual therapy. J Am "
            "Osteopath Assoc. 2008;108(8):379–390.",
            "About 900 N held for 2 minutes would be needed to lengthen dense fascia by 1%.",
        ),
        _cite(
            "falvey2010",
            "Falvey et al. 2010",
            "Falvey EC, Clark RA, Franklyn-Miller A, et al. Iliotibial band syndrome: an "
            "examination of the evidence behind a number of treatment options. Scand J Med Sci "
            "Sports. 2010;20(4):580–587.",
            "Stretching and rolling can't meaningfully change the band itself.",
        ),
        _cite(
            "fredericson2000",
            "Fredericson et al. 2000",
            "Fredericson M, Cookingham CL, Chaudhari AM, et al. Hip abductor weakness in distance "
            "runners with iliotibial band syndrome. Clin J Sport Med. 2000;10(3):169–175.",
            "Weaker hip abductors on the painful side; a 6-week hip program got most runners back running.",
        ),
        _cite(
            "vanderworp2012",
            "van der Worp et al. 2012",
            "van der Worp MP, van der Horst N, de Wijer A, et al. Iliotibial band syndrome in "
            "runners: a systematic review. Sports Med. 2012;42(11):969–992.",
            "Hip weakness and training errors are the most consistent findings.",
        ),
        _cite(
            "beers2008",
            "Beers et al. 2008",
            "Beers A, Ryan M, Kasubuchi Z, Fraser S, Taunton JE. Effects of multi-modal "
            "physiotherapy, including hip abductor strengthening, in patients with iliotibial "
            "band friction syndrome. Physiother Can. 2008;60(2):180–188.",
            "A 6-week hip strengthening program improved pain and function.",
        ),
        _cite(
            "ellis2007",
            "Ellis et al. 2007",
            "Ellis R, Hing W, Reid D. Iliotibial band friction syndrome — a systematic review. "
            "Man Ther. 2007;12(3):200–208.",
            "A review of the treatments used for ITBS.",
        ),
        _cite(
            "noehren2007",
            "Noehren et al. 2007",
            "Noehren B, Davis I, Hamill J. Prospective study of the biomechanical factors "
            "associated with iliotibial band syndrome. Clin Biomech. 2007;22(9):951–956.",
            "Runners who went on to get ITBS had more hip drop inward and knee rotation.",
        ),
        _cite(
            "heiderscheit2011",
            "Heiderscheit et al. 2011",
            "Heiderscheit BC, Chumanov ES, Michalski MP, et al. Effects of step rate manipulation "
            "on joint mechanics during running. Med Sci Sports Exerc. 2011;43(2):296–302.",
            "5–10% more steps per minute lowered knee load, and 10% lowered hip drop inward "
            "(a lab study, not injury rates).",
        ),
        _cite(
            "buist2008",
            "Buist et al. 2008",
            "Buist I, Bredeweg SW, van Mechelen W, et al. No effect of a graded training program "
            "on the number of running-related injuries in novice runners. Am J Sports Med. "
            "2008;36(1):33–39.",
            "The '10% rule' didn't lower injuries: 20.8% vs 20.3%.",
        ),
        _cite(
            "frandsen2025",
            "Frandsen et al. 2025",
            "Frandsen JSB, et al. Br J Sports Med. 2025;59:1203 (5,205 runners, 588,071 runs).",
            "A single run more than 10% longer than the longest in the last 30 days raised the injury rate.",
        ),
        _cite(
            "stiell1996",
            "Stiell et al. 1996",
            "Stiell IG, et al. Derivation/validation of the Ottawa knee rule. JAMA 1996.",
            "When an X-ray is needed after a knee injury (age 55+, can't take 4 steps, can't "
            "bend to 90°, and tenderness checks done in person).",
        ),
    ]
)

# Plain names for people and receptionists.
RED_FLAG_LABELS: dict[str, str] = {
    "calf_pain_with_breathlessness": "Calf pain or swelling with breathlessness or chest pain",
    "hot_swollen_knee_with_fever": "Hot, red or swollen knee with a fever or feeling unwell",
    "ottawa_xray_criteria": "Recent knee injury that may need an X-ray",
    "calf_dvt_signs": "Pain, swelling, warmth or redness in one calf",
    "locked_knee": "Knee locked and won't straighten",
    "rapid_swelling_after_injury": "Fast swelling after an injury or a 'pop'",
    "nerve_symptoms": "Numbness, pins and needles or foot drop",
    "night_rest_pain_weight_loss_lump": "Pain at night or at rest, weight loss or a lump",
    # spec §3a
    "cardiac_chest_pain": "Chest pain, pressure or tightness",
    "stroke_signs": "Signs of a stroke (face, arm or speech)",
    "heat_illness": "Signs of heat illness after running in the heat",
    "anaphylaxis": "Signs of a severe allergic reaction",
    "thunderclap_headache": "A sudden, severe headache",
    "cauda_equina": "Back or leg symptoms with numbness around the groin, bladder or bowel changes",
    "suicide_risk": "Thoughts of suicide or self-harm",
    "collapse_or_syncope": "Fainting or nearly fainting with exercise",
    # Worded so that a receptionist's screen never spells out the disclosure over a shoulder.
    "family_violence": "A safety concern at home (sensitive: speak only with the person)",
}

POINTER_LABELS: dict[str, str] = {
    "lateral_meniscus": "Outer cartilage (meniscus) problem",
    "lcl_sprain": "Outer ligament (LCL) sprain",
    "patellofemoral_pain": "Kneecap pain (patellofemoral pain)",
    "popliteus_tendinopathy": "Irritated popliteus tendon (back-outer knee)",
    "biceps_femoris_tendinopathy": "Irritated hamstring tendon (biceps femoris)",
    "referred_lumbar_pain": "Pain coming from the lower back",
    "knee_osteoarthritis": "Knee osteoarthritis (wear-and-tear changes)",
}

OUTCOME_LABELS: dict[str, str] = {
    "emergency": "Emergency: call 000 or go to the emergency department now",
    "urgent_medical": "Urgent: same-day GP or emergency department",
    "medical_review": "See a GP soon; physio can follow",
    "book_running_assessment": "Book a running assessment (ITBS-typical story)",
    "general_assessment": "Book a standard physio assessment",
}

LIKELIHOOD_LABELS: dict[str, str] = {
    "high": "Very typical of ITBS",
    "moderate": "Fairly typical of ITBS",
    "low": "Not typical of ITBS",
}


# --- advice -----------------------------------------------------------------------------------


def _advice(sentences: Iterable[str], keys: Iterable[str]) -> Advice:
    return Advice(" ".join(sentences), tuple(dict.fromkeys(keys)))


def compression_model(short: bool) -> Advice:
    """Why it hurts: compression of a sensitive fat pad, not friction."""
    core = (
        "ITBS isn't really the band rubbing back and forth over the bone. The band is firmly "
        "anchored to the outer thigh bone just above the knee. When your knee bends to about "
        "30°, the band squeezes a sensitive fat pad underneath it. That's the angle your knee "
        "is at each time your foot lands, and when you go down stairs."
    )
    if short:
        return Advice(core, ("fairclough2006", "fairclough2007"))
    paragraphs = (
        core,
        "So the sore spot is squeezed tissue, not a tight band. That's why stretching or rolling "
        "the band can't fix it on its own. The band is very stiff, and no roller comes close to "
        "the force needed to lengthen it.",
        "What your hips do decides how hard the band squeezes. If the hip muscles on the outside "
        "tire or are a bit weak, your pelvis drops and your thigh swings inward with each step. "
        "That adds a little extra squeeze, thousands of times a run.",
        "So the plan is simple. Ease the squeeze for now by managing how much you run, and build "
        "hip strength so it stays away.",
    )
    return Advice(
        "\n\n".join(paragraphs),
        (
            "fairclough2006",
            "fairclough2007",
            "chaudhry2008",
            "falvey2010",
            "fredericson2000",
            "noehren2007",
            "vanderworp2012",
        ),
        paragraphs,
    )


def load_plan(answers: TriageAnswers) -> Advice:
    """A load-management plan personalised from the answers. `items` holds the separate points."""
    items: list[str] = []
    keys: list[str] = []

    items.append(
        "Cut your running back to an amount that stays pain-free, during the run and the day "
        "after. This is load management, not rest: keep moving, just less for now."
    )
    keys.append("vanderworp2012")

    if answers.downhill_worse:
        items.append(
            "You said downhill makes it worse, so skip downhill running for now and choose flat "
            "routes. Downhill keeps your knee in the squeeze zone for longer with each step."
        )
        keys.append("fairclough2006")
    else:
        items.append("Go easy on downhill running for now. Flat routes are kinder to the knee.")
    if answers.more_hills and not answers.downhill_worse:
        items.append("You've added more hills lately. Swap some of them for flat runs for a while.")

    if answers.long_run_spike:
        items.append(
            "Cap your long run for now. Later, keep any single run no longer than your longest "
            "run of the past month: runs well beyond that are linked with more injuries."
        )
        keys.append("frandsen2025")
    else:
        items.append("Hold off on long runs for now.")

    pct = answers.weekly_change_pct
    if pct is not None and pct >= WEEKLY_CHANGE_MIN_PCT:
        items.append(
            f"Your weekly distance went up about {pct:.0f}%. Bring it back to a level that felt "
            "fine, then build up slowly. The well-known '10% rule' has weak support in studies, "
            "so let your knee, not a formula, set the pace."
        )
        keys.extend(["vanderworp2012", "buist2008"])

    items.append("If a run is too much, split it into two shorter runs.")
    items.append("Stick to flat, even surfaces like a track, path or grass for now.")
    items.append(
        "Ice or anti-inflammatories can ease symptoms in the short term. Check with a pharmacist "
        "or GP before taking anti-inflammatories."
    )
    keys.append("ellis2007")
    items.append(
        "Taking slightly shorter, quicker steps (about 5–10% more steps per minute) may help. It "
        "lowers the load on the knee and hip in lab tests, though it hasn't yet been shown to "
        "prevent injuries."
    )
    keys.append("heiderscheit2011")
    items.append("Start the hip strengthening exercises now. Stronger hips help keep it from coming back.")
    keys.extend(["fredericson2000", "beers2008"])
    items.append("If you get swelling, locking, numbness or pain at night, stop running and get it checked.")
    text = "\n".join(f"• {item}" for item in items)
    return Advice(text, tuple(dict.fromkeys(keys)), tuple(items))


_HIP_EXERCISES: tuple[str, ...] = (
    "Side-lying leg raises: lie on your good side and lift the top leg up and slightly back, "
    "toes pointing forward.",
    "Clamshells: lie on your side, knees bent, and open the top knee like a shell. Add a band "
    "when it gets easy.",
    "Band walks: a loop band around your legs, knees slightly bent, and step sideways.",
    "Single-leg squats: start with a shallow squat holding a bench, keeping your knee in line "
    "with your second toe, then go deeper.",
    "Hip thrusts: shoulders on a couch or bench, push your hips up and squeeze your glutes.",
    "Deadlifts: start light, keep your back long, and push your hips back then drive them forward.",
    "Step-ups: step up onto a low box or stair, driving through the front heel.",
)


def hip_exercises() -> Advice:
    """Glute medius and glute maximus strengthening (Fredericson 2000, Beers 2008)."""
    intro = (
        "These work the muscles that keep your pelvis level and your knee tracking well when you "
        "run. In the studies, programs like this ran for about 6 weeks. A physio can set the "
        "right sets and reps for you."
    )
    outro = "Working hard and a bit of muscle burn is fine. Stop any exercise that gives you sharp pain."
    text = intro + "\n" + "\n".join(f"• {e}" for e in _HIP_EXERCISES) + "\n" + outro
    return Advice(
        text,
        ("fredericson2000", "beers2008", "vanderworp2012"),
        _HIP_EXERCISES,
    )


_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "foam_rolling": (
        (
            "Foam rolling can't lengthen or loosen the IT band.",
            "The band is dense and tough: it would take around 900 N (about 90 kg of force) held "
            "for 2 minutes just to stretch it by 1%.",
            "The relief people feel is real, though.",
            "Rolling calms pain signals, relaxes the muscles near the band, boosts blood flow and "
            "helps you feel looser and more confident.",
            "So it's fine to use for symptom relief. It just isn't a cure: hip strength and load "
            "management are what fix it.",
        ),
        ("chaudhry2008", "falvey2010"),
    ),
    "stretching": (
        (
            "Stretching can't make the IT band longer.",
            "It's a thick, tough band anchored to the thigh bone near the knee: the force needed to "
            "lengthen tissue that dense is far beyond any stretch, or any roller.",
            "Stretching the hip muscles around it can still feel good and ease tightness, so it's "
            "fine for comfort.",
            "What settles ITB pain is managing your running load and strengthening your hips.",
        ),
        ("chaudhry2008", "falvey2010"),
    ),
    "pain_relief": (
        (
            "For a flare-up, ice for 10–15 minutes, or an over-the-counter anti-inflammatory such "
            "as ibuprofen for a few days, can ease the pain.",
            "Check with a pharmacist or GP first that it's safe for you, for example if you have "
            "stomach, kidney or heart problems or asthma, are pregnant, or take blood thinners.",
            "These ease the symptoms only: managing your running load and strengthening your hips "
            "are what fix it.",
        ),
        ("ellis2007", "vanderworp2012"),
    ),
    "stop_running": (
        (
            "Usually you don't need to stop completely.",
            "This is load management, not total rest.",
            "Run only as far and as often as stays pain-free, during and the day after.",
            "Keep to flat routes, skip downhills and long runs for now, and split runs if needed.",
            "If it hurts while running, stop that run and walk home.",
            "A physio can help you build back up with a plan.",
        ),
        ("vanderworp2012", "fredericson2000"),
    ),
    "recovery_time": (
        (
            "It varies from person to person.",
            "Many runners are back running within about 6–8 weeks of starting a hip strengthening program.",
            "Some take a few months, especially if it has been going on for a while.",
            "A physio can tailor the plan to you and help you build back up safely.",
        ),
        ("fredericson2000", "beers2008"),
    ),
    "friction_myth": (
        (
            "No: friction is the old explanation, and the evidence doesn't support it.",
            "The IT band is firmly anchored to the outer thigh bone just above the knee, so it can't "
            "really slide back and forth over it.",
            "What happens instead is compression: when the knee bends to about 30°, the band squeezes "
            "a sensitive, well-supplied fat pad underneath it.",
            "That's the angle of your knee each time your foot lands and when you go down stairs, "
            "which is why those hurt.",
        ),
        ("fairclough2006", "fairclough2007"),
    ),
    "what_is_itbs": (
        (
            "ITBS (iliotibial band syndrome) is one of the most common causes of pain on the "
            "outside of the knee in runners.",
            "The IT band is a thick strip of tissue running down the outside of your thigh to "
            "just below the knee.",
            "It's firmly anchored near the knee, and when the knee bends to about 30° it squeezes "
            "a sensitive fat pad underneath.",
            "Too much running too soon, and hip muscles that tire, can make that squeeze hurt.",
            "The usual fix is smarter running load plus hip strengthening.",
        ),
        ("fairclough2006", "fairclough2007", "vanderworp2012"),
    ),
    "step_rate": (
        (
            "Taking slightly shorter, quicker steps, about 5–10% more steps per minute, may help.",
            "In lab tests it lowered the load on the knee and how far the hip drops inward.",
            "It hasn't yet been shown to prevent injuries, so treat it as a helpful extra.",
        ),
        ("heiderscheit2011",),
    ),
    "ten_percent_rule": (
        (
            "The '10% a week' rule sounds sensible but has weak support.",
            "In a trial of new runners, following it didn't lower injuries (20.8% vs 20.3%).",
            "A better-supported warning sign is one run much longer than your longest in the past month.",
            "Build up gradually, and let your knee, not a formula, set the pace.",
        ),
        ("buist2008", "frandsen2025"),
    ),
}
TOPICS: tuple[str, ...] = tuple(_TOPICS) + ("exercises",)


def assessment_first() -> Advice:
    """Said instead of ITBS advice when the story points elsewhere (an injury, other pain sites,
    a §4 pointer, a general-assessment result): what the assessment will look at instead."""
    return _advice(
        (
            "I'd rather not suggest ITB exercises or running advice for this one: your answers point "
            "to something that needs a proper look first.",
            "A physio assessment checks the joint, the ligaments, the cartilage and the kneecap, and "
            "gives you a plan that fits what they find.",
            "Until then, keep to activity that doesn't increase the pain, and see a GP or call "
            "healthdirect on 1800 022 222 if it gets worse.",
        ),
        (),
    )


def topic_answer(topic: str) -> Advice:
    """Answers to common questions; `TOPICS` lists them. Unknown topic → ValueError."""
    if topic == "exercises":
        return hip_exercises()
    if topic not in _TOPICS:
        raise ValueError(f"unknown topic: {topic}")
    sentences, keys = _TOPICS[topic]
    return _advice(sentences, keys)


# --- evidence, reasons, outcome ---------------------------------------------------------------


def evidence_text(keys: Iterable[str]) -> str:
    """Numbered full references, one per line; unknown keys raise KeyError."""
    lines = []
    for n, key in enumerate(dict.fromkeys(keys), start=1):
        c = EVIDENCE[key]
        lines.append(f"{n}. {c.reference} ({c.supports})")
    return "\n".join(lines)


def reasons_text(result: TriageResult) -> str:
    """The reasons behind the result, as a short bullet list for the person and reception."""
    if not result.reasons:
        return ""
    return "Here's what I based this on:\n" + "\n".join(f"• {r}" for r in result.reasons)


def red_flag_reasons_text(result: TriageResult) -> str:
    """Only the warning signs behind a red-flag result: no ITBS scoring lines next to a route."""
    reasons = result.reasons[: len(result.red_flags)]
    return "Here's what I based this on:\n" + "\n".join(f"• {r}" for r in reasons)


def _labels(names: Iterable[str], labels: dict[str, str]) -> str:
    """ "a; b; c" in lower case: labels contain commas, so semicolons keep them apart."""
    return "; ".join(labels[n][0].lower() + labels[n][1:] for n in names)


def _also_mention(flags: Sequence[str], route: str) -> str:
    # Less urgent flags still matter to the doctor who sees them first.
    others = [f for f in flags if RED_FLAG_ROUTES[f] != route]
    if not others:
        return ""
    return f" Please also tell the doctor about this: {_labels(others, RED_FLAG_LABELS)}."


def _emergency_text(flags: Sequence[str]) -> str:
    mine = [f for f in flags if RED_FLAG_ROUTES[f] == "emergency"]
    return (
        f"Please call {EMERGENCY_NUMBER} now, or go straight to your nearest emergency "
        "department. What you've told me can be a sign of something serious that needs "
        f"checking right away: {_labels(mine, RED_FLAG_LABELS)}. Please don't wait to see if "
        "it settles, and don't drive yourself if you feel unwell."
    ) + _also_mention(flags, "emergency")


def _urgent_text(flags: Sequence[str]) -> str:
    mine = [f for f in flags if RED_FLAG_ROUTES[f] == "urgent_medical"]
    parts = [
        "Please see a GP today, or go to an emergency department if you can't get in today.",
        f"What you've told me needs a medical check the same day: {_labels(mine, RED_FLAG_LABELS)}.",
    ]
    if "ottawa_xray_criteria" in mine:
        parts.append("After a recent knee injury like yours, an X-ray may be needed to rule out a fracture.")
    parts.append("Please don't run on it until you've been checked.")
    parts.append(
        f"For advice any time, call {HEALTHDIRECT} to talk to a registered nurse. If it gets "
        f"much worse, or you feel very unwell, call {EMERGENCY_NUMBER}."
    )
    return " ".join(parts) + _also_mention(flags, "urgent_medical")


def _review_text(flags: Sequence[str]) -> str:
    return (
        "Please book in with your GP soon, ideally within the next few days. It isn't an "
        "emergency, but a doctor should check this first: "
        f"{_labels(flags, RED_FLAG_LABELS)}. Once you've seen them, our physios at "
        f"{SITES} can help. For advice in the meantime, call {HEALTHDIRECT}. If it gets worse "
        "(weakness or numbness that spreads, symptoms in both legs, or changes in your bladder or "
        f"bowel control), call {EMERGENCY_NUMBER}."
    )


_RED_FLAG_WRITERS = {
    "emergency": _emergency_text,
    "urgent_medical": _urgent_text,
    "medical_review": _review_text,
}

# Spec §3a: each sign outside the knee has its own words, the number first, then what to do while
# help comes. Warm and short: someone in danger reads the first line, maybe the second.
_OUTSIDE_KNEE_TEXTS: dict[str, str] = {
    "cardiac_chest_pain": (
        f"Please call {EMERGENCY_NUMBER} now. Chest pain, pressure or tightness can come from the "
        "heart and needs an ambulance, not a wait-and-see. Stop exercising, sit down and rest "
        "while you wait, and don't drive yourself."
    ),
    "stroke_signs": (
        f"Please call {EMERGENCY_NUMBER} now. A drooping face, weakness in an arm or leg on one "
        "side, or slurred or lost speech can be a stroke, and every minute counts. Note the time "
        "it started and tell the ambulance. Don't drive, and don't eat or drink until you've been "
        "checked."
    ),
    "heat_illness": (
        f"Please call {EMERGENCY_NUMBER} now. Confusion, collapse, vomiting, or very hot skin that "
        "has stopped sweating after running in the heat can be heat stroke. While you wait: move "
        "into the shade, lie down, loosen clothing and cool the skin with water, wet towels and a "
        "fan. Only sip water if fully alert."
    ),
    "anaphylaxis": (
        f"Please call {EMERGENCY_NUMBER} now. A tight throat, swelling lips or tongue, wheezing or "
        "trouble breathing after a sting, bite or food can be a severe allergic reaction. If you "
        "have an adrenaline autoinjector (such as an EpiPen), use it now. Lie down with your legs "
        "up, or sit if it's hard to breathe, and don't stand or walk."
    ),
    "thunderclap_headache": (
        f"Please call {EMERGENCY_NUMBER} now. A sudden, severe headache, the worst you've ever "
        "had, needs checking in hospital straight away, even if it starts to ease."
    ),
    "cauda_equina": (
        "Please go to an emergency department now, or call "
        f"{EMERGENCY_NUMBER} if you can't get there safely. With back pain or sciatica, numbness "
        "around the groin or bottom, new bladder or bowel trouble, or weak legs can mean pressure "
        "on the nerves at the base of the spine. It needs an urgent scan, so please don't wait "
        "for a GP appointment."
    ),
    "suicide_risk": (
        f"If you're in danger right now, call {EMERGENCY_NUMBER}. Lifeline is there any time, day or "
        f"night, on {LIFELINE}, and the Suicide Call Back Service on {SUICIDE_CALL_BACK}. If you're "
        f"under 25, Kids Helpline is on {KIDS_HELPLINE}. I'm really glad you told me, and you don't "
        "have to get through this on your own. If you'd like, someone from the clinic can talk with "
        "you too."
    ),
    "family_violence": (
        f"If you're in danger right now, call {EMERGENCY_NUMBER}. {RESPECT} is free, confidential "
        "and there any time, by phone or online chat. Thank you for telling me: you deserve to be "
        "safe. What you've said here is never put in a notification or message preview, and your "
        "knee can still be looked at whenever you're ready."
    ),
}
_SYNCOPE_NOW = (
    f"Please call {EMERGENCY_NUMBER} now. Fainting, or feeling about to faint, during or just after "
    "a run or a workout needs an ambulance while it's happening, especially with a racing or irregular "
    "heartbeat. Sit or lie down where you are and don't drive."
)
_SYNCOPE_PAST = (
    "Fainting or nearly fainting during or just after a run or a workout needs a doctor's check "
    "before you run again. Please see a GP today, or an emergency department if you can't get in, and don't "
    f"run until you've been checked. If you feel faint or unwell again, or have chest pain or "
    f"trouble breathing, call {EMERGENCY_NUMBER}."
)


def red_flag_text(flags: Iterable[str], acute: Iterable[str] = ()) -> str:
    """The route in plain words for the most urgent flag (its own words for spec §3a), then
    the other flags to mention to the doctor. Empty string when there are none."""
    acute = set(acute)
    ordered = sort_red_flags(flags, acute)
    route = red_flag_route(ordered, acute)
    if route is None:
        return ""
    first = ordered[0]
    if first == "collapse_or_syncope":
        text = _SYNCOPE_NOW if flag_route(first, acute) == "emergency" else _SYNCOPE_PAST
    elif first in _OUTSIDE_KNEE_TEXTS:
        text = _OUTSIDE_KNEE_TEXTS[first]
    else:
        return _RED_FLAG_WRITERS[route](ordered)
    rest = [f for f in ordered[1:] if f != "family_violence"]
    mention = f" Please also tell them about this: {_labels(rest, RED_FLAG_LABELS)}." if rest else ""
    if "family_violence" in ordered[1:]:
        mention += f" And if you don't feel safe at home, {RESPECT} is there any time."
    return text + mention


def reminder_text(flags: Iterable[str]) -> str:
    """Before a knee result, for §3a signs that don't stop the knee questions (family violence;
    a sign the person said is not happening now): where help is, in one or two lines."""
    flags = set(flags)
    parts = []
    others = sorted(flags - {"family_violence"})
    if others:
        parts.append(
            f"Earlier you told me about this: {_labels(others, RED_FLAG_LABELS)}. If it happens "
            f"again, call {EMERGENCY_NUMBER} straight away."
        )
        if "suicide_risk" in others:
            parts.append(f"Lifeline is there any time on {LIFELINE}.")
    if "family_violence" in flags:
        parts.append(f"If you're ever in danger, call {EMERGENCY_NUMBER}. {RESPECT} is there any time.")
    return " ".join(parts)


def red_flag_alert(flags: Iterable[str], acute: Iterable[str] = ()) -> str:
    """Immediate message for red flags noticed at any point in the chat: the route, in plain
    words, for the most urgent flag; never exercise advice. Empty string when there are none."""
    return red_flag_text(flags, acute)


def _running_text(result: TriageResult) -> str:
    fit = "closely" if result.itbs_likelihood == "high" else "in some ways"
    return (
        f"Your answers fit the usual pattern of ITBS (iliotibial band syndrome) {fit}. This is "
        "an estimate, not a diagnosis. A physio can confirm what's going on with a running and "
        f"hip assessment at {SITES}. In the meantime, here's how it works and how to manage it."
    )


def _general_text(result: TriageResult) -> str:
    text = (
        "Your answers don't fit the usual ITBS pattern very well. That's not a worry in itself: "
        "it just means the best next step is a standard physio assessment to work out what's "
        f"going on. You can book at {SITES}."
    )
    if result.pointers:
        text += (
            " Some things you mentioned can point to other causes, which a physio can check: "
            f"{_labels(result.pointers, POINTER_LABELS)}."
        )
    return text


def outcome_text(result: TriageResult) -> str:
    """Plain words for the outcome. Red-flag outcomes give the route and never exercise advice."""
    if result.outcome in _RED_FLAG_WRITERS:
        # the outcome itself tells whether a faint was happening now (it is the acute route)
        acute = {f for f in result.red_flags if flag_route(f, {f}) == result.outcome}
        return red_flag_text(result.red_flags, acute)
    if result.outcome == "book_running_assessment":
        return _running_text(result)
    if result.outcome == "general_assessment":
        return _general_text(result)
    raise ValueError(f"unknown outcome: {result.outcome}")

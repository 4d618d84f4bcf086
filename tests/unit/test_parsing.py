"""Free text and button text → slot values (bot.triage.parsing)."""

from __future__ import annotations

import time

import pytest

from bot.triage.parsing import (
    MAX_SCAN_CHARS,
    Contact,
    MileageChange,
    find_red_flags,
    is_skip,
    is_unsure,
    parse_age,
    parse_contact,
    parse_downhill,
    parse_injury_recent,
    parse_location,
    parse_onset,
    parse_predictable_onset,
    parse_red_flags,
    parse_site,
    parse_stairs,
    parse_symptoms,
    parse_training_changes,
    parse_weekly_change,
    parse_yes_no,
)

ALL_PARSERS = [
    parse_location,
    parse_onset,
    parse_yes_no,
    parse_predictable_onset,
    parse_downhill,
    parse_stairs,
    parse_weekly_change,
    parse_training_changes,
    parse_red_flags,
    parse_symptoms,
    parse_age,
    parse_injury_recent,
    parse_contact,
    parse_site,
]

BAD_INPUTS = [
    "",
    "   ",
    None,
    "asdf qwer zxcv",
    "😀😀😀",
    "🦵🔥",
    "me duele la rodilla",
    "???",
    "lorem ipsum dolor sit amet",
]


@pytest.mark.parametrize("parser", ALL_PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", BAD_INPUTS)
def test_unclear_input_gives_none(parser, text) -> None:
    assert parser(text) is None


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_find_red_flags_never_none(text) -> None:
    assert find_red_flags(text) == frozenset()


# --- speed and size ---------------------------------------------------------------------------

LONG_INPUTS = [
    "a" * 5000,
    "1" * 5000,
    "pain " * 1000,
    "no " * 1700,
    "calf " * 1000,
    "0412 " * 1000,
    "x@" + "a." * 2499,
    "hurts " + "very " * 1000 + "at night",
    "1 to " * 1000,
    "-" * 5000,
    "😀" * 5000,
    "outside of the knee, " * 250,
]


@pytest.mark.parametrize("text", LONG_INPUTS, ids=lambda t: t[:12])
def test_5000_character_inputs_stay_fast(text: str) -> None:
    assert len(text) >= 4990
    start = time.perf_counter()
    for parser in ALL_PARSERS + [find_red_flags, is_skip]:
        parser(text)
    assert time.perf_counter() - start < 1.0


def test_only_the_start_of_a_long_message_is_scanned() -> None:
    padding = "I went for a run today and it was lovely. " * 100
    assert len(padding) > MAX_SCAN_CHARS
    assert parse_location("Outside of the knee. " + padding) == "lateral"
    assert parse_location(padding + "Outside of the knee.") is None


def test_long_ramble_with_a_flag_near_the_start_is_caught() -> None:
    text = "My calf is swollen and I'm short of breath. " + "blah " * 1000
    assert find_red_flags(text) == {"calf_pain_with_breathlessness"}


# --- Q1 location ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Outside of the knee", "lateral"),
        ("Front / around the kneecap", "anterior"),
        ("Inside of the knee", "medial"),
        ("Back of the knee", "posterior"),
        ("Whole knee", "diffuse"),
        ("Hip or thigh", "hip_thigh"),
        ("the outside of my right knee", "lateral"),
        ("ITB side", "lateral"),
        ("IT band, just above the joint", "lateral"),
        ("lateral side of my left knee", "lateral"),
        ("outer knee and up the side of my thigh", "lateral"),
        ("OUTSIDE!!!", "lateral"),
        ("outsdie of the knee", "lateral"),
        ("ouside of knee 😩", "lateral"),
        ("not the front, it's the outside", "lateral"),
        ("under the kneecap", "anterior"),
        ("behind the kneecap", "anterior"),
        ("front of my knee", "anterior"),
        ("inner side of my left knee", "medial"),
        ("behind my knee", "posterior"),
        ("all over the knee really", "diffuse"),
        ("it's everywhere", "diffuse"),
        ("my hip", "hip_thigh"),
        ("up in my thigh", "hip_thigh"),
    ],
)
def test_parse_location(text: str, expected: str) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    "text", ["on the side", "front and outside", "inside and outside", "outer thigh", "my knee"]
)
def test_parse_location_ambiguous(text: str) -> None:
    assert parse_location(text) is None


# --- Q2 onset ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Gradually, with running", "gradual"),
        ("Suddenly, with an injury", "sudden_injury"),
        ("it built up over a few weeks", "gradual"),
        ("came on slowly", "gradual"),
        ("crept up on me during my marathon block", "gradual"),
        ("no injury, just started hurting on runs", "gradual"),
        ("I didn't injure it, it just came on with running", "gradual"),
        ("gradualy", "gradual"),
        ("I twisted it playing footy", "sudden_injury"),
        ("fell over on a trail", "sudden_injury"),
        ("landed awkwardly off a step and felt a pop", "sudden_injury"),
        ("got tackled", "sudden_injury"),
        ("suddenly", "sudden_injury"),
    ],
)
def test_parse_onset(text: str, expected: str) -> None:
    assert parse_onset(text) == expected


@pytest.mark.parametrize(
    "text", ["gradually after I twisted it", "suddenly halfway through a run", "not sure"]
)
def test_parse_onset_unclear(text: str) -> None:
    assert parse_onset(text) is None


# --- yes / no / skip --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yes", True),
        ("No", False),
        ("yes", True),
        ("YES!", True),
        ("yep", True),
        ("yeah", True),
        ("yup 👍", True),
        ("definitely", True),
        ("I think so", True),
        ("it does", True),
        ("sometimes", True),
        ("👍", True),
        ("y", True),
        ("nope", False),
        ("nah", False),
        ("not really", False),
        ("not at all", False),
        ("I don't think so", False),
        ("never", False),
        ("I can't", False),
        ("n", False),
        ("👎", False),
        ("yeah nah", False),
        ("yeah, nah", False),
        ("nah yeah", True),
        ("yes, but only when I'm tired", True),
        ("No, although it aches after", False),
        ("I can", True),
        ("I can walk", True),
    ],
)
def test_parse_yes_no(text: str, expected: bool) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    "text",
    ["Not sure", "maybe", "dunno", "I don't know", "idk", "Skip", "yes and no", "right knee", "hard to say"],
)
def test_parse_yes_no_unclear(text: str) -> None:
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(
    "text", ["Skip", "skip", "Skip!", "skip it 🙂", "prefer not to say", "I'd rather not say", "pass", "n/a"]
)
def test_is_skip_true(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize("text", ["42", "No", "Yes", "45-54", "", None, "skipping rope hurts"])
def test_is_skip_false(text) -> None:
    assert not is_skip(text)


# --- Q3 pattern in a run ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("always at about 5 km then eases", True),
        ("Yes", True),
        ("after 20 minutes, every time", True),
        ("comes on about 3k in and settles when I stop", True),
        ("like clockwork at the 8 km mark", True),
        ("it eases off once I stop", True),
        ("No", False),
        ("it's random", False),
        ("no pattern really", False),
        ("hurts from the first step", False),
        ("hurts the whole time and doesn't ease", False),
        ("it's constant", False),
    ],
)
def test_parse_predictable_onset(text: str, expected: bool) -> None:
    assert parse_predictable_onset(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yes", True),
        ("No", False),
        ("Not sure", None),
        ("yep downhill kills it", True),
        ("worse going down hills", True),
        ("especially steep descents", True),
        ("worse downhill, fine on flat", True),
        ("uphill is worse", False),
        ("downhill is fine, uphill is worse", False),
        ("no different", False),
        ("not really", False),
        ("I don't run hills", False),
        ("not downhill, it's uphill", False),
    ],
)
def test_parse_downhill(text: str, expected: bool | None) -> None:
    assert parse_downhill(text) is expected


# --- Q4 stairs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("only when I go down the stairs", True),
        ("Yes", True),
        ("going down is worse", True),
        ("walking down steps hurts but up is fine", True),
        ("downstairs yes", True),
        ("both ways", True),
        ("up and down stairs both hurt", True),
        ("stairs hurt", True),
        ("No", False),
        ("going up stairs only", False),
        ("stairs are fine", False),
        ("down stairs is fine", False),
        ("not really", False),
        ("Not sure", None),
    ],
)
def test_parse_stairs(text: str, expected: bool | None) -> None:
    assert parse_stairs(text) is expected


# --- Q5 weekly change -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,before,after,delta,pct",
    [
        ("went from 30 to 45 k a week", 30.0, 45.0, 15.0, 50.0),
        ("30 to 45 km", 30.0, 45.0, 15.0, 50.0),
        ("40km → 60km", 40.0, 60.0, 20.0, 50.0),
        ("40km -> 60km", 40.0, 60.0, 20.0, 50.0),
        ("from 30km/week to 45km/week", 30.0, 45.0, 15.0, 50.0),
        ("I was doing 30 km a week, now 45", 30.0, 45.0, 15.0, 50.0),
        ("from 20 to 30 miles", 32.2, 48.3, 16.1, 50.0),
        ("went from thirty to forty five", 30.0, 45.0, 15.0, 50.0),
        ("went from 30-40km", 30.0, 40.0, 10.0, 33.3),
        ("dropped from 40 to 30", 40.0, 30.0, -10.0, -25.0),
    ],
)
def test_weekly_change_two_numbers(text, before, after, delta, pct) -> None:
    assert parse_weekly_change(text) == MileageChange(before, after, delta, pct)


@pytest.mark.parametrize(
    "text,pct",
    [
        ("up 20%", 20.0),
        ("about 25 percent more", 25.0),
        ("Up 10–30%", 20.0),
        ("Up more than 30%", 30.0),
        ("doubled", 100.0),
        ("I've basically doubled it", 100.0),
        ("tripled my mileage", 200.0),
        ("down 10%", -10.0),
        ("cut back by 20%", -20.0),
        ("halved", -50.0),
    ],
)
def test_weekly_change_percent(text: str, pct: float) -> None:
    change = parse_weekly_change(text)
    assert change is not None
    assert change.pct == pct
    assert change.before_km is None and change.after_km is None


@pytest.mark.parametrize(
    "text,delta",
    [
        ("about 20 miles more than usual", 32.2),
        ("10 km more than before", 10.0),
        ("increased by 15 km", 15.0),
        ("added 10k", 10.0),
        ("an extra 5 miles a week", 8.0),
        ("5 km less", -5.0),
    ],
)
def test_weekly_change_delta_only_has_no_percent(text: str, delta: float) -> None:
    change = parse_weekly_change(text)
    assert change is not None
    assert change.delta_km == delta
    assert change.pct is None


@pytest.mark.parametrize(
    "text", ["same as usual", "no change", "About the same", "nothing changed", "unchanged"]
)
def test_weekly_change_none(text: str) -> None:
    change = parse_weekly_change(text)
    assert change is not None and change.pct == 0.0 and change.direction == "same"


def test_weekly_change_direction_only() -> None:
    less = parse_weekly_change("Less than before")
    more = parse_weekly_change("a lot more")
    assert less == MileageChange(None, None, None, None, "down")
    assert more is not None and more.direction == "up" and more.pct is None


def test_weekly_change_direction_is_derived() -> None:
    assert parse_weekly_change("30 to 45 km").direction == "up"
    assert parse_weekly_change("down 10%").direction == "down"


@pytest.mark.parametrize("text", ["30-40km", "I run 35 km", "9999 to 10000 km", "heaps"])
def test_weekly_change_unclear(text: str) -> None:
    assert parse_weekly_change(text) is None


# --- Q5 training changes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("A run much longer than usual", {"long_run_spike"}),
        ("More hills or downhill", {"more_hills"}),
        ("New shoes or surface", {"new_shoes_or_surface"}),
        ("None of these", set()),
        ("nothing changed", set()),
        ("nope", set()),
        ("no new shoes", set()),
        ("got new runners and did a half marathon", {"long_run_spike", "new_shoes_or_surface"}),
        ("I've been doing Mt Coot-tha on weekends", {"more_hills"}),
        ("started on the treadmill", {"new_shoes_or_surface"}),
        ("longest run ever last Sunday, 32k", {"long_run_spike"}),
        ("hills and a new pair of shoes, but no long runs", {"more_hills", "new_shoes_or_surface"}),
        ("A run much longer than usual, More hills or downhill", {"long_run_spike", "more_hills"}),
    ],
)
def test_parse_training_changes(text: str, expected: set[str]) -> None:
    assert parse_training_changes(text) == frozenset(expected)


# --- Q6 red flags -----------------------------------------------------------------------------

RED_FLAG_BUTTONS = [
    ("Calf pain or swelling with breathlessness or chest pain", {"calf_pain_with_breathlessness"}),
    ("Hot, red, swollen knee with fever", {"hot_swollen_knee_with_fever"}),
    ("Calf pain, swelling or redness in one leg", {"calf_dvt_signs"}),
    ("Knee locked, can't straighten it", {"locked_knee"}),
    ("Swelled up fast after an injury or a pop", {"rapid_swelling_after_injury"}),
    ("Numbness, pins and needles or foot drop", {"nerve_symptoms"}),
    ("Pain at night or at rest, weight loss or a lump", {"night_rest_pain_weight_loss_lump"}),
    ("None of these", set()),
]


@pytest.mark.parametrize("text,expected", RED_FLAG_BUTTONS)
def test_red_flag_buttons(text: str, expected: set[str]) -> None:
    assert parse_red_flags(text) == frozenset(expected)
    assert find_red_flags(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("my calf is swollen and I'm short of breath", {"calf_pain_with_breathlessness"}),
        ("calf pain. also struggling to breathe", {"calf_pain_with_breathlessness"}),
        # spec §3a: chest pain without a calf sign is its own emergency
        ("I have chest pain", {"cardiac_chest_pain"}),
        ("calf pain and swelling but no chest pain or breathlessness", {"calf_dvt_signs"}),
        ("pain in my left calf", {"calf_dvt_signs"}),
        ("swollen red calf", {"calf_dvt_signs"}),
        ("one leg is swollen and warm", {"calf_dvt_signs"}),
        ("I can't walk and my calf is swollen", {"calf_dvt_signs"}),
        ("the pain doesn't ease and now my calf is swollen", {"calf_dvt_signs"}),
        ("I have a fever and my knee is hot", {"hot_swollen_knee_with_fever"}),
        ("knee is red hot and swollen", {"hot_swollen_knee_with_fever"}),
        ("swollen knee and I feel really crook", {"hot_swollen_knee_with_fever"}),
        ("my knee is locked", {"locked_knee"}),
        ("I can't fully straighten my knee", {"locked_knee"}),
        ("it's stuck bent", {"locked_knee"}),
        ("felt a pop and it ballooned", {"rapid_swelling_after_injury"}),
        ("swelled up within an hour of landing", {"rapid_swelling_after_injury"}),
        ("tingling in my foot", {"nerve_symptoms"}),
        ("my foot slaps when I walk", {"nerve_symptoms"}),
        ("numb on the outside of my shin", {"nerve_symptoms"}),
        ("wakes me up at night", {"night_rest_pain_weight_loss_lump"}),
        ("it aches even at rest", {"night_rest_pain_weight_loss_lump"}),
        ("I've lost weight without trying", {"night_rest_pain_weight_loss_lump"}),
        ("there's a lump on the outside", {"night_rest_pain_weight_loss_lump"}),
        ("numbness and pain at night", {"nerve_symptoms", "night_rest_pain_weight_loss_lump"}),
        (
            "Knee locked, can't straighten it. Numbness, pins and needles or foot drop",
            {"locked_knee", "nerve_symptoms"},
        ),
        ("None of these, but my knee is locked", {"locked_knee"}),
        ("no fever but my calf is swollen", {"calf_dvt_signs"}),
    ],
)
def test_red_flags_free_text(text: str, expected: set[str]) -> None:
    assert parse_red_flags(text) == frozenset(expected)
    assert find_red_flags(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain",
        "not swollen",
        "I don't have numbness",
        "none of these",
        "None of the above",
        "no",
        "No.",
        "nope",
        "nah",
        "nothing like that",
        "no numbness, tingling or weakness",
        "no fever, and my knee is swollen",
        "no pain at night",
        "my calf is not swollen",
        "I haven't got any of those",
    ],
)
def test_red_flags_negated_or_none(text: str) -> None:
    assert parse_red_flags(text) == frozenset()
    assert find_red_flags(text) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "Catching, locking or giving way",
        "my knee locks sometimes but frees up",
        "I had a fever",  # fever alone, no knee signs
        "knee pain, calf ok",
        "it swelled up slowly over a few days",
        "pain eases at rest",
        "hurts when running but fine at rest",
        "lost 5 kg on purpose",
        "I get breathless running hills",
        "Stiff for under 30 min in the morning",
        "Yes",
        "hurts on the outside at about 5 km",
        "in the long run it'll be fine",
        "I've been foam rolling it every night",
        "I did a hot yoga class and my knee felt fine",
        "the outside of my knee is a bit tender to touch",
        "growth spurt maybe? I'm 15",
        "my hamstring is tight after speed work",
        "I'm training for the Brisbane marathon and upped my km",
    ],
)
def test_no_red_flag(text: str) -> None:
    assert find_red_flags(text) == frozenset()
    assert parse_red_flags(text) in (None, frozenset())


@pytest.mark.parametrize(
    "text", ["I can't remember", "it doesn't feel right", "Yes", "some of them", "maybe"]
)
def test_red_flag_screen_unclear_answers_are_not_none_of_these(text: str) -> None:
    assert parse_red_flags(text) is None


@pytest.mark.parametrize("text", ["I don't think so", "yeah nah", "never", "not that I know of"])
def test_red_flag_screen_other_ways_to_say_none(text: str) -> None:
    assert parse_red_flags(text) == frozenset()


# --- pointer symptoms -------------------------------------------------------------------------

SYMPTOM_BUTTONS = [
    ("Catching, locking or giving way", {"mechanical"}),
    ("Pain along the joint line", {"joint_line_pain"}),
    ("Hurts around the kneecap sitting or squatting", {"kneecap_sitting_squatting"}),
    ("Worse when sprinting", {"worse_sprinting"}),
    ("Changes when I move my back", {"back_movement_changes"}),
    ("Stiff for under 30 min in the morning", {"morning_stiffness_short"}),
    ("None of these", set()),
]


@pytest.mark.parametrize("text,expected", SYMPTOM_BUTTONS)
def test_symptom_buttons(text: str, expected: set[str]) -> None:
    assert parse_symptoms(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("it gives way sometimes", {"mechanical"}),
        ("my knee buckled on the stairs", {"mechanical"}),
        ("I twisted it landing a jump", {"twist_or_landing_injury"}),
        ("landed awkwardly", {"twist_or_landing_injury"}),
        ("got hit on the inside of my knee", {"blow_to_inside_of_knee"}),
        ("pain on the outer ligament", {"outer_ligament_pain"}),
        ("the physio said LCL", {"outer_ligament_pain"}),
        ("pins and needles down my shin", {"pins_and_needles"}),
        ("a bit stiff in the mornings", {"morning_stiffness_short"}),
        ("morning stiffness for about 10 minutes", {"morning_stiffness_short"}),
        ("squatting kills it", {"kneecap_sitting_squatting"}),
        ("hurts after sitting for a while at the movies", {"kneecap_sitting_squatting"}),
        ("worse when I do speed work or strides", {"worse_sprinting"}),
        ("my lower back has been playing up too", {"back_movement_changes"}),
        ("twisted it and now it catches", {"twist_or_landing_injury", "mechanical"}),
        ("Worse when sprinting, Changes when I move my back", {"worse_sprinting", "back_movement_changes"}),
    ],
)
def test_symptoms_free_text(text: str, expected: set[str]) -> None:
    assert parse_symptoms(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text",
    [
        "nope",
        "no locking or catching",
        "doesn't give way",
        "stiff for an hour in the morning",
        "nothing like that",
        "No",
    ],
)
def test_symptoms_negated_or_none(text: str) -> None:
    assert parse_symptoms(text) == frozenset()


# --- Q7 age -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("42", 42),
        ("I'm 42", 42),
        ("42 years old", 42),
        ("56 yo", 56),
        ("forty two", 42),
        ("about 38", 38),
        ("I'm 60 and run 40km a week", 60),
        ("mid 50s", 55),
        ("late 40s", 47),
        ("in my fifties", 50),
        ("55+", 55),
        ("55 or over", 55),
        ("45-54", 45),
        ("45–54", 45),
        ("under 45", 44),
        ("10", 10),
        ("110", 110),
    ],
)
def test_parse_age(text: str, expected: int) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize(
    "text", ["Skip", "prefer not to say", "5", "9", "111", "200", "I ran 42 km", "born in 1980", "old enough"]
)
def test_parse_age_none(text: str) -> None:
    assert parse_age(text) is None


# --- Ottawa: recent injury --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Yes", True),
        ("yesterday", True),
        ("today at parkrun", True),
        ("3 days ago", True),
        ("two days ago", True),
        ("a week ago", True),
        ("7 days ago", True),
        ("on the weekend", True),
        ("Saturday", True),
        ("last week", True),
        ("No", False),
        ("8 days ago", False),
        ("2 weeks ago", False),
        ("a month ago", False),
        ("a week and a half ago", False),
        ("ages ago", False),
        ("no injury", False),
        ("two weeks ago but I jarred it again yesterday", True),
    ],
)
def test_parse_injury_recent(text: str, expected: bool) -> None:
    assert parse_injury_recent(text) is expected


def test_parse_injury_recent_unsure() -> None:
    assert parse_injury_recent("Not sure") is None


# --- contact ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,kind,value",
    [
        ("0412 345 678", "phone", "+61412345678"),
        ("0412345678", "phone", "+61412345678"),
        ("0412-345-678", "phone", "+61412345678"),
        ("+61 412 345 678", "phone", "+61412345678"),
        ("+61412345678", "phone", "+61412345678"),
        ("+61 (0)412 345 678", "phone", "+61412345678"),
        ("61 412 345 678", "phone", "+61412345678"),
        ("(07) 3123 4567", "phone", "+61731234567"),
        ("07 3123 4567", "phone", "+61731234567"),
        ("+61 7 3123 4567", "phone", "+61731234567"),
        ("(02) 9876 5432", "phone", "+61298765432"),
        ("my number is 0412345678 thanks", "phone", "+61412345678"),
        ("Jane.Doe@Example.COM", "email", "jane.doe@example.com"),
        ("email me at jane@example.com.au", "email", "jane@example.com.au"),
        ("  runner+knee@mail.co  ", "email", "runner+knee@mail.co"),
        ("call 0412 345 678 or jane@x.com", "phone", "+61412345678"),
        ("jane@x.com or 0412 345 678", "email", "jane@x.com"),
    ],
)
def test_parse_contact(text: str, kind: str, value: str) -> None:
    assert parse_contact(text) == Contact(kind, value)


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "abc",
        "0400",
        "0412 345 67",
        "041234567899",
        "+1 415 555 1234",
        "1300 123 456",
        "0512 345 678",
        "jane@@example.com",
        "jane@example",
        "a..b@example.com",
        "@example.com",
        "jane@.com",
        "3123 4567",
    ],
)
def test_parse_contact_rejects(text: str) -> None:
    assert parse_contact(text) is None


# --- site -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Kenmore", "kenmore"),
        ("Jindalee", "jindalee"),
        ("kenmore please", "kenmore"),
        ("the Jindalee one", "jindalee"),
        ("kenmor", "kenmore"),
        ("jindallee", "jindalee"),
        ("not kenmore, jindalee", "jindalee"),
    ],
)
def test_parse_site(text: str, expected: str) -> None:
    assert parse_site(text) == expected


@pytest.mark.parametrize("text", ["either", "both kenmore and jindalee", "Toowong"])
def test_parse_site_unclear(text: str) -> None:
    assert parse_site(text) is None


# --- extra phrasings and typos ----------------------------------------------------------------


@pytest.mark.parametrize(
    "parser,text,expected",
    [
        (parse_location, "at the back, slightly to the outside", None),
        (parse_downhill, "coming down Coot-tha is agony", True),
        (parse_stairs, "going down the stiars hurts", True),
        (parse_stairs, "stairs up are fine, down hurts", True),
        (parse_onset, "it was gradualy getting worse", "gradual"),
        (parse_onset, "sudenly, when I slipped", "sudden_injury"),
        (parse_site, "Kenmoor", "kenmore"),
        (parse_yes_no, "yse", True),
        (parse_age, "turning 60 next month", 60),
        (parse_injury_recent, "I rolled it 4 days ago", True),
        (parse_injury_recent, "about 10 days ago", False),
        (parse_injury_recent, "over a fortnight ago", False),
    ],
)
def test_more_phrasings(parser, text: str, expected) -> None:
    assert parser(text) == expected


def test_more_weekly_phrasings() -> None:
    assert parse_weekly_change("nothing really changed").pct == 0.0
    assert parse_weekly_change("I bumped it up from 25km to 40km over two weeks").pct == 60.0
    assert parse_weekly_change("I went from 3 runs a week to 5") is None  # runs, not distance


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I feel a bit unwell and the knee is warm", {"hot_swollen_knee_with_fever"}),
        ("swolen calf", {"calf_dvt_signs"}),
        ("knee is hot and I have a feaver", {"hot_swollen_knee_with_fever"}),
        ("numbnes in my foot", {"nerve_symptoms"}),
        ("my knee swelled up straight away after I twisted it", {"rapid_swelling_after_injury"}),
        ("not that I've noticed", set()),
        ("No chest pain, no fever, no numbness", set()),
    ],
)
def test_more_red_flag_phrasings(text: str, expected: set[str]) -> None:
    assert parse_red_flags(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("it clicks but doesn't lock", set()),
        ("hurts when I sit in the car for long", {"kneecap_sitting_squatting"}),
        ("it feels unstable sometimes", {"mechanical"}),
        ("stiff for about 10 min when I get up", {"morning_stiffness_short"}),
    ],
)
def test_more_symptom_phrasings(text: str, expected: set[str]) -> None:
    assert parse_symptoms(text) == frozenset(expected)


def test_common_words_are_not_typo_corrected_into_symptoms() -> None:
    assert parse_symptoms("I was looking at the watching crowd, lacking energy") is None
    assert find_red_flags("I was selling straight away") == frozenset()


@pytest.mark.parametrize(
    "text",
    ["Not sure", "not sure tbh", "dunno", "I don't know", "idk", "can't remember", "maybe", "no idea", "??"],
)
def test_is_unsure_true(text: str) -> None:
    assert is_unsure(text)


@pytest.mark.parametrize("text", ["Yes", "No", "Skip", "42", "", None, "😀", "sure"])
def test_is_unsure_false(text) -> None:
    assert not is_unsure(text)

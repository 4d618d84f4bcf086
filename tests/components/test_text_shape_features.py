"""The regex and lookup features in data/nlu/features.yml, as Rasa's RegexFeaturizer uses them.

The text-shape features (emoji only, non-Latin script, keyboard mash, other-language words)
steer unreadable input to the `unreadable` intent ("sorry, I didn't understand"); they must never fire on the answers real runners
type (distances, phone numbers, "strengths", "hiii"), or those answers would be pushed
towards "I didn't follow that".

Run with the Rasa environment:

    .venv-rasa/bin/python -m pytest tests/components --confcutdir=tests/components
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("rasa", reason="NLU feature tests run in the Rasa environment")

from rasa.nlu.utils.pattern_utils import extract_patterns  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHAPE_FEATURES = ("emoji_or_symbols_only", "non_latin_script", "keyboard_mash", "other_language_word")


@pytest.fixture(scope="module")
def training_data():
    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def patterns(training_data) -> dict[str, list[str]]:
    # the same call and flags as config.yml's RegexFeaturizer (use_word_boundaries: true);
    # a name can hold several patterns, each its own feature
    by_name: dict[str, list[str]] = {}
    for found in extract_patterns(
        training_data, use_lookup_tables=True, use_regexes=True, use_word_boundaries=True
    ):
        by_name.setdefault(found["name"], []).append(found["pattern"])
    return by_name


def fires(patterns: dict[str, list[str]], name: str, text: str) -> bool:
    # RegexFeaturizer with case_sensitive: false
    return any(re.search(p, text, flags=re.IGNORECASE) for p in patterns[name])


@pytest.mark.parametrize("text", ["🙂🙂🙂", "🤷‍♀️", "😂!!", "👀 ?", "🎉🎉"])
def test_emoji_only_messages_are_marked(patterns, text):
    assert fires(patterns, "emoji_or_symbols_only", text)


@pytest.mark.parametrize("text", ["ok 👍", "yes", "it hurts 😢", "30km", "?"])
def test_messages_with_words_are_not_emoji_only(patterns, text):
    assert not fires(patterns, "emoji_or_symbols_only", text)


@pytest.mark.parametrize("text", ["膝が痛い", "у меня болит колено", "무릎이 아파요", "ركبتي تؤلمني"])
def test_non_latin_scripts_are_marked(patterns, text):
    assert fires(patterns, "non_latin_script", text)


@pytest.mark.parametrize("text", ["my name is Nguyễn Văn An", "café near Kenmore", "Zoë", "it's 30–45 km"])
def test_latin_names_and_punctuation_are_not_non_latin(patterns, text):
    assert not fires(patterns, "non_latin_script", text)


@pytest.mark.parametrize("text", ["asdfgh", "jfjfjf", "zzzz", "poiuy", "qwerty", "sdfghjkl", "fgfgfg kk"])
def test_keyboard_mash_is_marked(patterns, text):
    assert fires(patterns, "keyboard_mash", text)


@pytest.mark.parametrize(
    "text",
    [
        "strengths and lengths",
        "hiii",
        "hellooo",
        "0423 111 222",
        "Mississippi",
        "banana",
        "it's been 3 weeks",
        "went from 30 to 45 km",
        "Jindalee",
        "soooo sore",
        "Rhys",
    ],
)
def test_real_answers_are_not_keyboard_mash(patterns, text):
    assert not fires(patterns, "keyboard_mash", text)


@pytest.mark.parametrize(
    "text",
    [
        "me duele la rodilla",
        "ich habe Schmerzen im Knie",
        "j'ai mal au genou",
        "ik heb pijn in mijn knie",
        "dor no joelho",
    ],
)
def test_other_language_words_are_marked(patterns, text):
    assert fires(patterns, "other_language_word", text)


@pytest.mark.parametrize(
    "text",
    [
        "my knee hurts going downhill",
        "I hit the door frame",
        "the dorsal side",
        "which clinic",
        "hold on",
        "I have a doctor",
    ],
)
def test_english_is_not_marked_as_another_language(patterns, text):
    assert not fires(patterns, "other_language_word", text)


@pytest.mark.parametrize(
    "text", ["I'm 41 years old", "52 years old", "late 20s", "early 40s", "19 yo", "aged 58"]
)
def test_age_answers_are_marked(patterns, text):
    assert fires(patterns, "age_statement", text)


@pytest.mark.parametrize("text", ["about 5 k", "30 km a week", "up 20%", "for 10 minutes"])
def test_distances_and_durations_are_not_ages(patterns, text):
    assert not fires(patterns, "age_statement", text)


def test_shape_features_fire_only_on_unreadable_examples(training_data, patterns):
    """In the training data, a text-shape feature is evidence for `unreadable` alone."""
    stray = [
        (name, example.get("intent"), example.get("text"))
        for example in training_data.intent_examples
        for name in SHAPE_FEATURES
        if example.get("intent") != "unreadable" and fires(patterns, name, example.get("text"))
    ]
    assert stray == []

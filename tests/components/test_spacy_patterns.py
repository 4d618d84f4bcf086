"""Tests of the rule-based entity component's pure core (Rasa env: needs spaCy).

Run from the project root with the Rasa environment (the shared tests/conftest.py needs the
app env's SQLAlchemy 2, hence --confcutdir):

    .venv-rasa/bin/python -m pytest tests/components --confcutdir=tests/components

Uses the pipeline in models/spacy_en (built by scripts/build_spacy_pipeline.py); when it
is missing, the same builder makes one in a temp dir.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

spacy = pytest.importorskip("spacy", reason="NLU component tests run in the Rasa environment")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.spacy_patterns import (  # noqa: E402
    BODY_LOCATION_VALUES,
    EXTRACTOR_NAME,
    doc_for_text,
    extract_entities,
)


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    path = ROOT / "models" / "spacy_en"
    if not (path / "meta.json").is_file():
        sys.path.insert(0, str(ROOT / "scripts"))
        import build_spacy_pipeline

        path = tmp_path_factory.mktemp("spacy") / "spacy_en"
        build_spacy_pipeline.main(["--output", str(path)])
    return spacy.load(path)


@pytest.fixture
def ents(nlp):
    def run(text: str) -> List[Dict[str, Any]]:
        return extract_entities(doc_for_text(nlp, text), text)

    return run


def simple(found: List[Dict[str, Any]]) -> List[tuple]:
    return [(e["entity"], e["value"]) for e in found]


# --- the saved pipeline -----------------------------------------------------------------


def test_pipeline_is_tokenizer_plus_lookup_lemmatizer(nlp):
    assert nlp.pipe_names == ["lemmatizer"]
    assert nlp.get_pipe("lemmatizer").mode == "lookup"
    assert [t.lemma_ for t in nlp("knees hurts miles")] == ["knee", "hurt", "mile"]


# --- body_location ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, value",
    [
        ("the outside of my right knee", "outside of my right knee", "lateral"),
        ("Outside of the knee", "Outside of the knee", "lateral"),
        ("outer knee", "outer knee", "lateral"),
        ("ITB side", "ITB side", "lateral"),
        ("it's the ITB side mostly", "ITB side", "lateral"),
        ("lateral", "lateral", "lateral"),
        ("on the outside", "outside", "lateral"),
        ("outside", "outside", "lateral"),
        ("where my IT band is", "IT band", "lateral"),
        ("front of the knee", "front of the knee", "anterior"),
        ("Front / around the kneecap", "Front / around the kneecap", "anterior"),
        ("kneecap", "kneecap", "anterior"),
        ("just below the kneecap", "below the kneecap", "anterior"),
        ("behind the kneecap", "behind the kneecap", "anterior"),
        ("inside of the knee", "inside of the knee", "medial"),
        ("Inside of the knee", "Inside of the knee", "medial"),
        ("inner knee", "inner knee", "medial"),
        ("back of the knee", "back of the knee", "posterior"),
        ("behind my knee", "behind my knee", "posterior"),
        ("whole knee", "whole knee", "diffuse"),
        ("it's all over the knee", "all over the knee", "diffuse"),
        ("hip", "hip", "hip_thigh"),
        ("Hip or thigh", "Hip or thigh", "hip_thigh"),
        ("more the outside of my thigh", "outside of my thigh", "hip_thigh"),
        ("my right hip", "right hip", "hip_thigh"),
    ],
)
def test_body_location_values_and_spans(ents, text, span, value):
    found = [e for e in ents(text) if e["entity"] == "body_location"]
    assert len(found) == 1, found
    e = found[0]
    assert e["value"] == value
    assert text[e["start"]:e["end"]] == span
    assert e["value"] in BODY_LOCATION_VALUES


def test_body_location_side(ents):
    (e,) = ents("the outside of my left knee")
    assert e["additional_info"] == {"side": "left"}
    (e,) = ents("my right knee hurts on the outside")
    assert e["additional_info"]["side"] == "right"
    (e,) = ents("outer knee")
    assert e["additional_info"]["side"] is None


@pytest.mark.parametrize(
    "text",
    [
        "I run outside",                      # not a location
        "what is ITB syndrome",               # the condition, not the place
        "what hip exercises should I do",     # hip strengthening, not pain location
        "how do I strengthen my hips",
        "Changes when I move my back",        # the lower back, not the back of the knee
        "pain at the back of my calf",
        "it doesn't hurt behind the knee",    # negated
        "no pain on the outside",
        "my knee hurts",                      # knee without a region
    ],
)
def test_no_body_location(ents, text):
    assert [e for e in ents(text) if e["entity"] == "body_location"] == []


def test_negated_location_dropped_but_the_other_kept(ents):
    assert simple(ents("not on the outside, more the front")) == [("body_location", "anterior")]


# --- distance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, km, unit",
    [
        ("about 45 km a week", "45 km", 45.0, "km"),
        ("45k", "45k", 45.0, "km"),
        ("did 20 miles", "20 miles", 32.187, "mi"),
        ("10 mi", "10 mi", 16.093, "mi"),
        ("5 kilometres", "5 kilometres", 5.0, "km"),
        ("always at about 5 km then it eases", "5 km", 5.0, "km"),
        ("400m repeats", "400m", 0.4, "m"),
        ("forty-five km", "forty-five km", 45.0, "km"),
    ],
)
def test_distance(ents, text, span, km, unit):
    (e,) = [e for e in ents(text) if e["entity"] == "distance"]
    assert text[e["start"]:e["end"]] == span == e["value"]
    assert e["additional_info"]["km"] == pytest.approx(km, abs=0.001)
    assert e["additional_info"]["unit"] == unit


def test_distance_range_is_one_entity(ents):
    text = "went from 30 to 45 km a week"
    (e,) = ents(text)
    assert (e["entity"], e["value"]) == ("distance", "30 to 45 km")
    assert e["additional_info"] == {
        "amount": 45.0, "unit": "km", "km": 45.0, "amount_from": 30.0, "km_from": 30.0,
    }


def test_bare_numbers_are_not_distances(ents):
    assert ents("my long run went from 15 to 22") == []
    assert ents("I'm 52") == []
    assert ents("0412 345 678") == []


# --- duration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, days, approximate",
    [
        ("for 3 weeks now", "3 weeks", 21.0, False),
        ("a couple of days", "a couple of days", 2.0, True),
        ("2 months", "2 months", 60.88, False),
        ("kicks in after 20 minutes", "20 minutes", 20 / 1440, False),
        ("about 6wks ago", "6wks", 42.0, False),
        ("half an hour", "half an hour", 1 / 48, False),
    ],
)
def test_duration(ents, text, span, days, approximate):
    (e,) = ents(text)
    assert e["entity"] == "duration"
    assert text[e["start"]:e["end"]] == span == e["value"]
    assert e["additional_info"]["days"] == pytest.approx(days, abs=0.001)
    assert e["additional_info"]["approximate"] is approximate


def test_duration_range(ents):
    (e,) = ents("2-3 weeks")
    assert e["additional_info"]["amount"] == 3 and e["additional_info"]["amount_from"] == 2


@pytest.mark.parametrize(
    "text",
    ["I'm 45 years old", "I run 3 days a week", "twice a week", "40 km a week"],
)
def test_ages_and_frequencies_are_not_durations(ents, text):
    assert [e for e in ents(text) if e["entity"] == "duration"] == []


# --- percentage -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, span, amount",
    [
        ("up 20%", "20%", 20.0),
        ("about 20 per cent more", "20 per cent", 20.0),
        ("20 percent", "20 percent", 20.0),
        ("Up more than 30%", "30%", 30.0),
    ],
)
def test_percentage(ents, text, span, amount):
    (e,) = ents(text)
    assert e["entity"] == "percentage"
    assert text[e["start"]:e["end"]] == span == e["value"]
    assert e["additional_info"]["amount"] == amount


def test_percentage_range(ents):
    (e,) = ents("Up 10–30%")
    assert e["value"] == "10–30%"
    assert e["additional_info"] == {"amount": 30.0, "amount_from": 10.0}


# --- shape, offsets, robustness ---------------------------------------------------------


def test_entity_dict_shape_and_offsets(ents):
    text = "The OUTSIDE of my Right knee hurts after 5 km, for 3 weeks, up 20%"
    found = ents(text)
    assert [e["entity"] for e in found] == ["body_location", "distance", "duration", "percentage"]
    for e in found:
        assert set(e) == {
            "entity", "value", "start", "end", "confidence_entity", "extractor", "additional_info",
        }
        assert e["confidence_entity"] == 1.0
        assert e["extractor"] == EXTRACTOR_NAME
        assert 0 <= e["start"] < e["end"] <= len(text)
    assert [text[e["start"]:e["end"]] for e in found] == [
        "OUTSIDE of my Right knee", "5 km", "3 weeks", "20%",
    ]
    # span values keep the user's casing; body_location is normalised
    assert [e["value"] for e in found] == ["lateral", "5 km", "3 weeks", "20%"]
    starts = [e["start"] for e in found]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    "text", ["asdkjh qwe", "🙂🙂🙂", "lorem ipsum dolor", "", "   ", "!!!", "k", "m 5"]
)
def test_no_entities_in_gibberish(ents, text):
    assert ents(text) == []


def test_long_input(ents):
    chunk = "My knee is sore on the outside of my right knee after 5 km for 3 weeks. "
    text = (chunk * (5000 // len(chunk) + 1))[:5000]
    started = time.perf_counter()
    found = ents(text)
    assert time.perf_counter() - started < 5.0
    assert len(text) == 5000
    assert {e["entity"] for e in found} == {"body_location", "distance", "duration"}
    for e in found:
        assert 0 <= e["start"] < e["end"] <= 5000
        if e["entity"] != "body_location":
            assert text[e["start"]:e["end"]] == e["value"]
    # no overlaps
    spans = sorted((e["start"], e["end"]) for e in found)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_unicode_that_changes_length_when_lowercased(ents):
    text = "İstanbul runner: outside of my knee after 5 km"
    found = ents(text)
    assert [text[e["start"]:e["end"]] for e in found] == ["outside of my knee", "5 km"]


# --- the Rasa graph component -----------------------------------------------------------


def test_rasa_component_adds_entities_to_message(nlp):
    pytest.importorskip("rasa")
    from rasa.nlu.utils.spacy_utils import SpacyModel
    from rasa.shared.nlu.training_data.message import Message

    from components.spacy_patterns import SpacyPatternExtractor

    component = SpacyPatternExtractor.create(
        SpacyPatternExtractor.get_default_config(), None, None, None  # type: ignore[arg-type]
    )
    message = Message(data={"text": "Outside of my knee after 5k", "entities": []})
    component.process([message], SpacyModel(model=nlp, model_name="models/spacy_en"))
    found = message.get("entities")
    assert [(e["entity"], e["value"], e["extractor"]) for e in found] == [
        ("body_location", "lateral", "SpacyPatternExtractor"),
        ("distance", "5k", "SpacyPatternExtractor"),
    ]
    assert (found[1]["start"], found[1]["end"]) == (25, 27)

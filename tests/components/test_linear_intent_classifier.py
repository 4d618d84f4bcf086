"""The intent classifier (components/linear_intent_classifier.py) in a small real Rasa pipeline.

Tokenizer → word and char CountVectorsFeaturizers → LinearIntentClassifier, trained on a
small set of runner-style messages, then asked about messages it has never seen. The whole
assistant's model is tested with the project's data in tests/rasa and tests/e2e; these tests
pin the component's own promises: right intents, a ranking of probabilities, the same
answers after saving and loading, and a loud refusal of a tampered model file.

Run with the Rasa environment:

    .venv-rasa/bin/python -m pytest tests/components --confcutdir=tests/components
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa", reason="NLU component tests run in the Rasa environment")

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (  # noqa: E402
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from sklearn.feature_extraction.text import TfidfTransformer  # noqa: E402

from components.linear_intent_classifier import (  # noqa: E402
    MODEL_FILE,
    LinearIntentClassifier,
    UntrustedModelError,
    WeightedFeatures,
)

EXAMPLES: dict[str, list[str]] = {
    "greet": [
        "hi",
        "hello",
        "hey there",
        "good morning",
        "hiya",
        "g'day",
        "hello there",
        "hey",
        "morning",
        "good afternoon",
    ],
    "ask_foam_rolling": [
        "should I foam roll my IT band",
        "does foam rolling help",
        "is rolling the ITB useful",
        "can I use a foam roller",
        "will a roller fix it",
        "foam roller on the outside of the thigh?",
        "is it worth rolling",
        "what about foam rolling",
        "should I roll it out",
        "does rolling release the band",
    ],
    "ask_recovery_time": [
        "how long until I can run again",
        "how long does it take to heal",
        "when will it get better",
        "how many weeks to recover",
        "what's the recovery time",
        "how long will this last",
        "when can I race again",
        "how long before it settles",
        "is it weeks or months",
        "how soon will I be back running",
    ],
    "report_red_flag": [
        "my knee is hot and swollen and I have a fever",
        "my calf is swollen and red",
        "I can't straighten my knee, it's locked",
        "it swelled up straight after a pop",
        "my foot is numb and I can't lift my toes",
        "I'm short of breath with calf pain",
        "it hurts at night even when resting",
        "I've lost weight and there's a lump",
        "I heard a pop and it ballooned",
        "chest pain and a sore swollen calf",
    ],
}
UNSEEN = {
    "hiya there": "greet",
    "does a foam roller work on the band": "ask_foam_rolling",
    "how long till I'm back running": "ask_recovery_time",
    "my knee is red, hot and I feel feverish": "report_red_flag",
}


def execution_context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="linear_intent_classifier")


class Pipeline:
    """The featurizers and the classifier, trained the way Rasa's graph would run them."""

    def __init__(self, storage: LocalModelStorage) -> None:
        context = execution_context()
        self.storage = storage
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.featurizers = [
            CountVectorsFeaturizer.create(
                {**CountVectorsFeaturizer.get_default_config(), **config},
                storage,
                Resource(name),
                context,
            )
            for name, config in (
                ("words", {"max_ngram": 2}),
                ("chars", {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}),
            )
        ]
        self.resource = Resource("intents")
        self.classifier = LinearIntentClassifier.create(
            LinearIntentClassifier.get_default_config(), storage, self.resource, context
        )

    def featurize(self, messages: list[Message]) -> list[Message]:
        self.tokenizer.process(messages)
        for featurizer in self.featurizers:
            featurizer.process(messages)
        return messages

    def train(self, examples: dict[str, list[str]]) -> None:
        data = TrainingData(
            [Message.build(text, intent) for intent, texts in examples.items() for text in texts]
        )
        self.tokenizer.process_training_data(data)
        for featurizer in self.featurizers:
            featurizer.train(data)
            featurizer.process_training_data(data)
        self.classifier.train(data)

    def parse(self, classifier: LinearIntentClassifier, text: str) -> Message:
        message = Message.build(text)
        return classifier.process(self.featurize([message]))[0]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    trained = Pipeline(LocalModelStorage(tmp_path_factory.mktemp("model")))
    trained.train(EXAMPLES)
    return trained


@pytest.mark.parametrize("text,intent", sorted(UNSEEN.items()))
def test_messages_it_never_saw_get_the_right_intent(pipeline, text, intent):
    assert all(text not in texts for texts in EXAMPLES.values())
    parsed = pipeline.parse(pipeline.classifier, text)
    assert parsed.get("intent")["name"] == intent


def test_the_ranking_is_a_probability_distribution_best_first(pipeline):
    parsed = pipeline.parse(pipeline.classifier, "how long until I can run again properly")
    ranking = parsed.get("intent_ranking")
    confidences = [entry["confidence"] for entry in ranking]
    assert {entry["name"] for entry in ranking} == set(EXAMPLES)
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert parsed.get("intent") == ranking[0]
    # a clear message is confident enough to clear the pipeline's fallback threshold (0.4)
    assert ranking[0]["name"] == "ask_recovery_time" and ranking[0]["confidence"] > 0.4


def test_the_saved_model_loads_and_answers_the_same(pipeline):
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(),
        pipeline.storage,
        pipeline.resource,
        execution_context(),
    )
    for text in UNSEEN:
        before = pipeline.parse(pipeline.classifier, text).get("intent_ranking")
        after = pipeline.parse(loaded, text).get("intent_ranking")
        assert [e["name"] for e in after] == [e["name"] for e in before]
        assert [e["confidence"] for e in after] == pytest.approx([e["confidence"] for e in before])


def test_a_model_file_with_foreign_types_is_refused(tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    storage = LocalModelStorage(tmp_path)
    resource = Resource("tampered")
    with storage.write_to(resource) as directory:
        sio.dump({"features": {}, "classifier": LogisticRegression()}, directory / MODEL_FILE)
    with pytest.raises(UntrustedModelError, match="LogisticRegression"):
        LinearIntentClassifier.load({}, storage, resource, execution_context())


def test_a_model_trained_without_intents_predicts_nothing_and_does_not_crash(tmp_path):
    storage = LocalModelStorage(tmp_path)
    empty = LinearIntentClassifier.load({}, storage, Resource("never_trained"), execution_context())
    message = Message.build("hello")
    assert empty.process([message]) == [message]
    assert message.get("intent") is None


def test_an_empty_message_is_left_alone(pipeline):
    message = Message.build("")
    pipeline.classifier.process([message])
    assert message.get("intent") is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_the_tfidf_weighting_gives_scikit_learns_numbers(dtype):
    rng = np.random.default_rng(3)
    counts = scipy.sparse.random(40, 60, density=0.1, random_state=4, format="csr") * 5
    counts.data = np.ceil(counts.data)
    counts = counts.astype(dtype)
    features = WeightedFeatures()
    features.transformers = [TfidfTransformer(sublinear_tf=True, norm=None).fit(counts)]
    before = counts.copy()
    ours = features._tfidf(0, counts)
    theirs = features.transformers[0].transform(counts)
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours.toarray(), theirs.toarray())
    again = scipy.sparse.csr_matrix(rng.integers(0, 3, size=(2, 60)).astype(dtype))
    assert np.array_equal(
        features._tfidf(0, again).toarray(), features.transformers[0].transform(again).toarray()
    )
    assert np.array_equal(counts.toarray(), before.toarray())  # the input is left as it was


def _messages_nobody_trained_on(texts: list[str], seed: int) -> list[str]:
    """Variations of real messages: words dropped and shuffled, typos, keyboard mash."""
    rng = np.random.default_rng(seed)
    out = []
    for text in texts:
        words = text.split()
        rng.shuffle(words)
        out.append(" ".join(words[: max(1, len(words) - 1)]))
        out.append("".join(c for c in text if rng.random() > 0.1))
    out += ["".join(rng.choice(list("asdfjkl;qwe rtyuiop"), size=int(n))) for n in rng.integers(1, 40, 50)]
    return out + ["?", "ok", "🙂", "x" * 5000]


def test_the_one_product_gives_scikit_learns_probabilities(pipeline):
    classifier = pipeline.classifier
    assert classifier.scores is not None  # sigmoid calibration, 4 intents: the fast path is used
    texts = [t for ts in EXAMPLES.values() for t in ts] + list(UNSEEN)
    texts += _messages_nobody_trained_on(texts, seed=5)
    features = classifier.features.transform(pipeline.featurize([Message.build(t) for t in texts]))
    ours = classifier.scores.predict_proba(features)
    theirs = classifier.classifier.predict_proba(features)
    assert ours.shape == theirs.shape == (len(texts), len(EXAMPLES))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert np.array_equal(ours.argmax(axis=1), theirs.argmax(axis=1))
    # one message at a time, as Rasa asks
    for row in (0, len(texts) - 1):
        np.testing.assert_allclose(
            classifier.scores.predict_proba(features[row]), theirs[row : row + 1], rtol=0, atol=1e-12
        )


def test_the_one_product_gives_scikit_learns_probabilities_on_the_assistants_data(tmp_path):
    """All 25 intents and the project's own examples: what the live assistant computes."""
    from pathlib import Path

    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(Path(__file__).resolve().parents[2] / "data" / "nlu"))
    examples: dict[str, list[str]] = {}
    for example in data.intent_examples:
        examples.setdefault(example.get("intent"), []).append(example.get("text"))
    trained = Pipeline(LocalModelStorage(tmp_path))
    trained.train(examples)
    classifier = trained.classifier
    assert len(classifier.classifier.classes_) == len(examples) >= 20 and classifier.scores is not None
    texts = _messages_nobody_trained_on([t for ts in examples.values() for t in ts[::4]], seed=6)
    features = classifier.features.transform(trained.featurize([Message.build(t) for t in texts]))
    ours = classifier.scores.predict_proba(features)
    theirs = classifier.classifier.predict_proba(features)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert np.array_equal(ours.argmax(axis=1), theirs.argmax(axis=1))
    # and after saving and loading, where the stacked weights are rebuilt from the file
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), trained.storage, trained.resource, execution_context()
    )
    np.testing.assert_allclose(loaded.scores.predict_proba(features), theirs, rtol=0, atol=1e-12)


def test_isotonic_calibration_keeps_scikit_learns_own_method(tmp_path):
    trained = Pipeline(LocalModelStorage(tmp_path))
    trained.classifier.config["calibration"] = "isotonic"
    trained.train(EXAMPLES)
    assert trained.classifier.scores is None  # the one product only knows sigmoids
    parsed = trained.parse(trained.classifier, "how long till I'm back running")
    assert parsed.get("intent")["name"] == "ask_recovery_time"

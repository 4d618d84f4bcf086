"""An independent, trained net under the red-flag rules: a per-sign classifier.

Rules only catch what someone wrote a rule for ("my leg's like a tight sausage and the stairs
leave me gasping", "a hard knot in my calf" are not in any rule). This model, TF-IDF over word
and character n-grams with a logistic regression, is trained when first used on the small
`red_flag_training.tsv` (kept apart from the evaluation corpus in tests/corpus/), in well under a
second; nothing is stored. Its threshold is set for recall, so it also fires on some ordinary
messages: a hit never routes by itself, it only makes the safety net ask one yes/no question
about that sign (red_flags.CONFIRM_QUESTIONS).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

TRAINING_FILE = Path(__file__).with_name("red_flag_training.tsv")
NONE = "none"
# Probability above which a sign is asked about: low on purpose (recall first).
THRESHOLD = 0.5


def training_examples(path: Path = TRAINING_FILE) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        labels.append(label)
        texts.append(text.lower())
    return texts, labels


@lru_cache(maxsize=1)
def model() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    texts, labels = training_examples()
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    # one binary classifier per sign (one-vs-rest), each fast to fit with liblinear
    per_sign = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced"))
    pipeline = make_pipeline(features, per_sign)
    pipeline.fit(texts, labels)
    return pipeline


def sign_probabilities(text: str) -> dict[str, float]:
    """Probability per flag name (and "none") for one normalised message."""
    pipeline = model()
    probs = pipeline.predict_proba([text])[0]
    return dict(zip(pipeline.classes_, (float(p) for p in probs), strict=True))


# Ottawa is computed from its own questions (injury in the last 7 days, four steps, 90°, age).
NOT_ASKED = frozenset({NONE, "ottawa_xray_criteria"})
MIN_WORDS = 3  # "yesterday", "no" and other short replies are answers to the question asked


def classifier_flags(text: str) -> frozenset[str]:
    """Flags whose probability passes the recall threshold (never "none" or Ottawa)."""
    if len(text.split()) < MIN_WORDS:
        return frozenset()
    probs = sign_probabilities(text)
    return frozenset(flag for flag, p in probs.items() if flag not in NOT_ASKED and p >= THRESHOLD)

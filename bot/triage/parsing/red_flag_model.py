"""The learned net under the red-flag rules: per-sign readers of meaning and of words.

Rules only catch what someone wrote a rule for. This net reads each message for the signs of
spec §3 and §3a ("calf", "breath", "chest", "syncope", "suicide", …; `SIGN_LABELS`) twice:

- its meaning: the sentence embedding of all-MiniLM-L6-v2 (`embeddings.py`) into a small neural
  net (one hidden layer, multi-label), so "had to stop halfway up the driveway to get my breath
  back" lands near breathlessness although no rule names it;
- its words: TF-IDF word and character n-grams, one logistic regression per sign, typos and
  shorthand included.

Trained on `red_flag_signs*.tsv` (standard English; casual, SMS and non-native; clinical notes,
older people, carers and rambling), written apart from the evaluation corpora in tests/corpus/,
and on everything else people say to the assistant: every NLU example in data/nlu/ outside
`report_red_flag` in which the rules read no sign is a negative ("I'm done here", "I want a
human", "my knee hurts"). Without them the net only knew knee stories, and the everyday lines
of a conversation landed near whichever sign they happened to resemble.
Negation is the rules' job: the clauses a negation covers are removed before the net reads a
message (`negation.py`), so "no swelling, no numbness" leaves nothing to read. A long message is
read as a whole and clause by clause, so a sign buried in the middle of a ramble is not averaged
away.

Two uses, measured on the corpora's dev halves (scripts/evaluate_safety.py):
- a sign is *suspected* when meaning and words agree (their geometric mean ≥ `SUSPECT_AT`); a
  suspicion never routes by itself, it makes the safety net ask one yes/no question about the
  flag it would add (red_flags.CONFIRM_QUESTIONS);
- the meaning is the *second opinion* on a rule's reading: a rule that fired on "crushing
  disappointment" or "locked in my race entry" is asked about or dropped (red_flags.py).

Fitted on first use and kept in `models/red_flag_net/` keyed by a hash of its inputs (under a
minute to fit the first time, a few milliseconds to load after that). Without the embedding
model (not installed, or turned off) the words do both jobs, and the health check says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.triage.parsing import embeddings
from bot.triage.parsing.negation import HARD_BREAK_RE, Reader

logger = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).parent
TRAINING_GLOB = "red_flag_signs*.tsv"  # standard English, casual/SMS/non-native, notes/carers/rambling
CACHE_DIR = Path(__file__).resolve().parents[3] / "models" / "red_flag_net"
NLU_DIR = Path(__file__).resolve().parents[3] / "data" / "nlu"
NLU_SIGN_INTENTS = frozenset({"report_red_flag"})  # may name a sign in any words: never a negative
_ANNOTATION_RE = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
NONE = "none"
SIGN_LABELS: tuple[str, ...] = (
    "calf",
    "breath",
    "chest",
    "knee_inflamed",
    "fever",
    "cant_weight_bear",
    "injury_recent",
    "locked",
    "rapid_swelling",
    "nerve",
    "night_rest",
    "weight_loss",
    "lump",
    "syncope",
    "stroke",
    "heat",
    "anaphylaxis",
    "headache",
    "cauda_equina",
    "suicide",
    "family_violence",
)
# Set on the corpora's dev halves (never the held-out ones): recall first, then the fewest
# benign questions (scripts/evaluate_safety.py).
SUSPECT_AT = 0.25
MIN_WORDS = 3  # "yesterday", "no" and other short replies are answers to the question asked
CHUNK_WORDS = 30  # a longer message is also read clause by clause
VERSION = 3  # bump when the features or the fitting change


def training_files() -> list[Path]:
    return sorted(TRAINING_DIR.glob(TRAINING_GLOB))


def nlu_files() -> list[Path]:
    return sorted(NLU_DIR.glob("*.yml")) if NLU_DIR.is_dir() else []


def nlu_negatives() -> list[str]:
    """The assistant's own NLU examples that name no sign: the everyday lines of a chat."""
    import yaml

    from bot.triage.parsing.red_flags import _detect  # the rules (they import this module)
    from bot.triage.parsing.text import prep

    negatives: list[str] = []
    for path in nlu_files():
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in item or item["intent"] in NLU_SIGN_INTENTS:
                continue
            for line in str(item.get("examples", "")).splitlines():
                text = _ANNOTATION_RE.sub(r"\1", line.strip().removeprefix("- ").strip())
                signs, unsure, _ = _detect(prep(text))
                if text and not signs and not unsure:
                    negatives.append(text)
    return negatives


def training_examples(paths: list[Path] | None = None) -> tuple[list[str], list[frozenset[str]]]:
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    for path in paths or training_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            names, text = line.split("\t", 1)
            signs = frozenset(n for n in names.split(",") if n != NONE)
            unknown = signs - set(SIGN_LABELS)
            if unknown:
                raise ValueError(f"{path.name}: unknown sign {sorted(unknown)}")
            texts.append(text)
            labels.append(signs)
    if paths is None:
        negatives = nlu_negatives()
        texts.extend(negatives)
        labels.extend([frozenset()] * len(negatives))
    return texts, labels


# --- what the net reads -----------------------------------------------------------------------


def affirmed_text(t: str) -> str:
    """The normalised message without the clauses a negation covers."""
    reader = Reader(t)
    if not reader.neg:
        return t
    keep = np.ones(len(t), dtype=bool)
    for start, end in reader.neg:
        keep[start:end] = False
    return re.sub(r"\s+", " ", "".join(c if k else " " for c, k in zip(t, keep, strict=True))).strip()


def pieces(t: str) -> list[str]:
    """The text itself and, when it is long, its sentences (long ones cut into word windows)."""
    out = [t]
    if len(t.split()) <= CHUNK_WORDS:
        return out
    for sentence in HARD_BREAK_RE.split(t):
        words = sentence.split()
        if len(words) < MIN_WORDS:
            continue
        step = CHUNK_WORDS // 2
        for start in range(0, max(1, len(words) - step), step):
            out.append(" ".join(words[start : start + CHUNK_WORDS]))
    return out


# --- the fitted net -----------------------------------------------------------------------------


@dataclass
class SignNet:
    """Two readers of the same message: a small neural net on the sentence embedding (meaning)
    and a logistic regression per sign on word and character n-grams (the words). A sign is
    suspected when both agree (geometric mean of the two); the meaning alone gives the second
    opinion on a rule's reading (`meaning()`). Without embeddings, the words do both jobs."""

    words: Any  # fitted TF-IDF union (word + char n-grams)
    weights: np.ndarray  # (word features, signs)
    bias: np.ndarray  # (signs,)
    mlp: Any | None  # sklearn MLPClassifier on the 384-d embedding, multi-label; None: words only

    def _word_probs(self, texts: list[str]) -> np.ndarray:
        scores = self.words.transform(texts) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.asarray(scores)))

    def _meaning_probs(self, texts: list[str]) -> np.ndarray | None:
        if self.mlp is None:
            return None
        vectors = _embed(texts)
        if vectors is None:  # the embedding model went away after fitting (turned off)
            return None
        return np.asarray(self.mlp.predict_proba(vectors))

    def read(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(suspicion, meaning) probabilities, (texts, signs) each."""
        words = self._word_probs(texts)
        meaning = self._meaning_probs(texts)
        if meaning is None:
            return words, words
        return np.sqrt(words * meaning), meaning


def _embed(texts: list[str]) -> np.ndarray | None:
    model = embeddings.embedder()
    return None if model is None else model.embed(texts)


def _new_words() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )


def fit(texts: list[str], labels: list[frozenset[str]], with_embeddings: bool) -> SignNet:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from bot.triage.parsing.text import prep

    prepared = [affirmed_text(prep(t)) for t in texts]
    y = np.array([[1 if s in signs else 0 for s in SIGN_LABELS] for signs in labels])
    words = _new_words().fit(prepared)
    grams = words.transform(prepared)
    weights = np.zeros((grams.shape[1], y.shape[1]))
    bias = np.zeros(y.shape[1])
    for j in range(y.shape[1]):
        model = LogisticRegression(C=4.0, solver="liblinear", class_weight="balanced", max_iter=500)
        model.fit(grams, y[:, j])
        weights[:, j] = model.coef_[0]
        bias[j] = model.intercept_[0]
    mlp = None
    vectors = _embed(prepared) if with_embeddings else None
    if vectors is not None:
        mlp = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=300, random_state=0)
        with warnings.catch_warnings():  # 300 epochs is where the dev halves stopped improving
            warnings.simplefilter("ignore")
            mlp.fit(vectors, y)
    return SignNet(words, weights, bias, mlp)


def _inputs_key(with_embeddings: bool) -> str:
    digest = hashlib.sha256()
    # the rules choose the NLU negatives: every module of the parser is an input
    for path in [*training_files(), *nlu_files(), *sorted(Path(__file__).parent.glob("*.py"))]:
        digest.update(path.read_bytes())
    digest.update(json.dumps([VERSION, with_embeddings, SIGN_LABELS]).encode())
    return digest.hexdigest()[:16]


_net: SignNet | None = None
_net_lock = threading.Lock()


class NetUnavailable(RuntimeError):
    """The net could not be loaded or fitted: the rules read every message alone."""


_net_error: str | None = None  # why the net is unavailable in this process (not retried)


def model() -> SignNet:
    """The fitted net, from the cache in models/ when its inputs are unchanged."""
    global _net, _net_error
    if _net is not None:
        return _net
    with _net_lock:
        if _net is None and _net_error is None:
            try:
                _net = _load_or_fit()
            except Exception as error:  # never take the rules down with it
                _net_error = f"{type(error).__name__}: {error}"[:300]
                logger.error("red-flag net unavailable, the rules read alone: %s", _net_error)
        if _net is None:
            raise NetUnavailable(_net_error or "not loaded")
    return _net


def unavailable_reason() -> str | None:
    """Why the net could not be loaded (None: it is loaded, or not tried yet)."""
    return _net_error


def _load_or_fit() -> SignNet:
    import joblib

    with_embeddings = embeddings.embedder() is not None
    path = CACHE_DIR / f"net-{_inputs_key(with_embeddings)}.joblib"
    if path.is_file():
        try:
            return joblib.load(path)
        except Exception as error:  # a broken cache is rebuilt, never trusted
            logger.warning("red-flag net cache %s unreadable (%s): fitting again", path.name, error)
    logger.info("fitting the red-flag net (%s)", "meaning + words" if with_embeddings else "words only")
    net = fit(*training_examples(), with_embeddings=with_embeddings)
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        joblib.dump(net, tmp)
        tmp.replace(path)  # atomic: another process may be fitting the same net
        for old in CACHE_DIR.glob("net-*.joblib"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("red-flag net not cached (%s)", error)
    return net


def reset() -> None:
    global _net, _net_error
    _net, _net_error = None, None
    _read.cache_clear()


@lru_cache(maxsize=256)  # the rules' second opinion and the suspicion read the same message
def _read(t: str) -> tuple[np.ndarray, np.ndarray] | None:
    text = affirmed_text(t)
    if len(text.split()) < MIN_WORDS:
        return None
    try:
        net = model()
    except NetUnavailable:
        return None  # the rules' readings stand alone (the health check says so)
    suspicion, meaning = net.read(pieces(text))
    return suspicion.max(axis=0), meaning.max(axis=0)


def sign_probabilities(t: str) -> dict[str, float]:
    """The meaning's probability per sign, highest over the message and its clauses (normalised
    text): the second opinion on a rule's reading. Empty for a short reply."""
    read = _read(t)
    return {} if read is None else dict(zip(SIGN_LABELS, (float(p) for p in read[1]), strict=True))


def suspected_signs(t: str) -> frozenset[str]:
    """Signs both readers find likely (normalised text): asked about, never routed by themselves."""
    read = _read(t)
    if read is None:
        return frozenset()
    return frozenset(s for s, p in zip(SIGN_LABELS, read[0], strict=True) if p >= SUSPECT_AT)

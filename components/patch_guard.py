"""The one way the speed patches of components/ replace something of Rasa's: only on the Rasa they
were written for, and only when what they replace still has the shape they expect.

Each patch (components/action_calls.py, action_result_validation.py, event_lookup.py,
gc_tuning.py, state_history.py, stores.py, policies.py, tracker_store.py) describes every
function of Rasa's it replaces, wraps or relies on as a `Target`: where it is, its parameter
names, whether it is a coroutine function and, for a function whose body the patch re-implements,
a digest of its source. `apply` installs the patch only when `rasa.__version__` is one of
`RASA_VERSIONS` and every target matches; otherwise it logs one WARNING naming the patch and the
reason and leaves (or puts back) Rasa's own function, so Rasa behaves as it does without this
project — slower, never differently. A patch that is not a replacement (a subclass that skips or
re-implements work) asks `allowed` and takes Rasa's path when refused.

`status` says, per patch, None (applied) or why it was refused; calling a module's `apply()` again
re-checks (the tests do, with another version or a differently shaped function in place).
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rasa

logger = logging.getLogger(__name__)

# The Rasa the patches were written for and checked against (the source digests are its).
RASA_VERSIONS = ("3.6.21",)
# Set on every installed replacement: the name of its patch (components/listeners.py reads it).
MARK = "__wrapped_by_clinic__"
_MISSING = object()

# patch name -> None when applied, else why it was refused
status: dict[str, str | None] = {}
# (owner, attribute) -> Rasa's own attribute (as stored: a staticmethod stays one) while patched
_originals: dict[tuple[Any, str], Any] = {}


@dataclass(frozen=True)
class Target:
    """What a patch expects of one function of Rasa's: `owner.name` (a class or a module)."""

    owner: Any
    name: str
    parameters: tuple[str, ...]
    is_async: bool = False
    source_digest: str | None = None  # `source_digest()` of Rasa's, when the patch re-implements it

    @property
    def label(self) -> str:
        return f"{getattr(self.owner, '__name__', self.owner)}.{self.name}"


@dataclass(frozen=True)
class Replace:
    """Put `new` in the place of `target`; with `wraps`, `new(rasa_function)` is what is put."""

    target: Target
    new: Callable[..., Any]
    wraps: bool = False


def source_digest(function: Any) -> str:
    """The first 16 hex digits of the SHA-256 of the function's source."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def _raw(owner: Any, name: str) -> Any:
    """The attribute as stored (`staticmethod` objects included), or `_MISSING`."""
    return inspect.getattr_static(owner, name, _MISSING)


def _function(raw: Any) -> Any:
    return raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw


def _patched_by(raw: Any) -> str | None:
    return getattr(_function(raw), MARK, None) if raw is not _MISSING else None


def rasa_original(owner: Any, name: str) -> Any:
    """Rasa's own `owner.name` as stored, also while a patch is installed in its place."""
    raw = _raw(owner, name)
    if _patched_by(raw) and (owner, name) in _originals:
        return _originals[(owner, name)]
    return raw


def mismatch(target: Target, raw: Any | None = None) -> str | None:
    """Why Rasa's `target` (or `raw`, what stands in its place) is not what the patch expects."""
    raw = rasa_original(target.owner, target.name) if raw is None else raw
    if raw is _MISSING:
        return f"Rasa has no {target.label}"
    function = _function(raw)
    if not inspect.isfunction(function):
        return f"{target.label} is not a function"
    parameters = tuple(inspect.signature(function).parameters)
    if parameters != target.parameters:
        return f"{target.label} takes ({', '.join(parameters)}), the patch expects ({', '.join(target.parameters)})"
    if inspect.iscoroutinefunction(function) != target.is_async:
        return f"{target.label} is {'' if target.is_async else 'not '}expected to be a coroutine function"
    if target.source_digest is not None:
        try:
            digest = source_digest(function)
        except (OSError, TypeError):
            return f"the source of {target.label} cannot be read"
        if digest != target.source_digest:
            return f"{target.label} is not Rasa {RASA_VERSIONS[0]}'s (source {digest}, expected {target.source_digest})"
    return None


def refusal(*targets: Target, raws: dict[Target, Any] | None = None) -> str | None:
    """Why a patch with these targets must not be applied, or None."""
    version = getattr(rasa, "__version__", None)
    if version not in RASA_VERSIONS:
        return f"Rasa is {version}, the patch was written for {', '.join(RASA_VERSIONS)}"
    for target in targets:
        reason = mismatch(target, (raws or {}).get(target))
        if reason is not None:
            return reason
    return None


def _refused(patch: str, reason: str) -> bool:
    logger.warning("speed patch %s not applied, Rasa's own code stays in place: %s", patch, reason)
    status[patch] = reason
    return False


def allowed(patch: str, *targets: Target) -> bool:
    """True when a patch that relies on `targets` may run (else logged, and it must take Rasa's
    path); for patches that change behaviour without replacing an attribute."""
    reason = refusal(*targets)
    if reason is not None:
        return _refused(patch, reason)
    status[patch] = None
    return True


def apply(patch: str, *replacements: Replace, checked: tuple[Target, ...] = ()) -> bool:
    """Install all of `replacements` (and rely on `checked`) or none of them; True if installed.

    Idempotent: an installed replacement stays; refused, an installed one is taken out again."""
    current = {r.target: _raw(r.target.owner, r.target.name) for r in replacements}
    originals = {
        r.target: rasa_original(r.target.owner, r.target.name)
        if _patched_by(current[r.target]) == patch
        else current[r.target]
        for r in replacements
    }
    reason = refusal(*(r.target for r in replacements), *checked, raws=originals)
    if reason is not None:
        for r in replacements:
            key = (r.target.owner, r.target.name)
            if _patched_by(current[r.target]) == patch and key in _originals:
                setattr(r.target.owner, r.target.name, _originals.pop(key))
        return _refused(patch, reason)
    for r in replacements:
        if _patched_by(current[r.target]) == patch:
            continue
        original = originals[r.target]
        new = r.new(_function(original)) if r.wraps else r.new
        setattr(new, MARK, patch)
        _originals[(r.target.owner, r.target.name)] = original
        setattr(
            r.target.owner, r.target.name, staticmethod(new) if isinstance(original, staticmethod) else new
        )
    status[patch] = None
    return True

"""Wrapping the server listeners of `rasa run`, once, through the patch guard.

`rasa run` creates the input channels (credentials.yml names this package's, so `components` is
imported then) before it registers its listeners by name from `rasa.core.run`: a wrapper set on
that module here is the one it registers. The wrapper goes through components/patch_guard.py: on
another Rasa, or a listener with other parameters, Rasa's own listener stays registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rasa.core.run

from components.patch_guard import MARK, Replace, Target, apply

__all__ = ["MARK", "listener", "wrap_listener"]


def listener(name: str, parameters: tuple[str, ...]) -> Target:
    """The listener `rasa.core.run.<name>` (a coroutine function) with these parameters."""
    return Target(rasa.core.run, name, parameters, is_async=True)


def wrap_listener(patch: str, target: Target, wrap: Callable[[Any], Any]) -> bool:
    """Replace the listener with `wrap(original)`, unless it was already (idempotent); True if
    the wrapper is in place, False if the guard refused it (logged; Rasa's listener stays)."""
    return apply(patch, Replace(target, wrap, wraps=True))

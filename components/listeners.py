"""Wrapping the server listeners of `rasa run`, once.

`rasa run` creates the input channels (credentials.yml names this package's, so `components` is
imported then) before it registers its listeners by name from `rasa.core.run`: a wrapper set on
that module here is the one it registers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rasa.core.run

MARK = "__wrapped_by_clinic__"


def wrap_listener(name: str, wrap: Callable[[Any], Any]) -> None:
    """Replace `rasa.core.run.<name>` with `wrap(original)`, unless it was already (idempotent)."""
    original = getattr(rasa.core.run, name)
    if getattr(original, MARK, False):
        return
    wrapped = wrap(original)
    setattr(wrapped, MARK, True)
    setattr(rasa.core.run, name, wrapped)

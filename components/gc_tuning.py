"""Garbage collection for a long-running Rasa server: freeze what loading the model created.

Once the model is loaded, the server holds millions of long-lived objects (TensorFlow, the
spaCy pipeline, the domain, the policies' lookup tables). Python's full collections walk every
one of them each time: under 50 conversations at once, a Rasa server made about 19 full
collections a minute at about 250 ms each (measured with `gc.callbacks`: roughly a tenth of its
CPU, and a quarter-second pause for every conversation it was serving). None of those objects
ever becomes garbage while the model is in use.

`gc.freeze()` (Python 3.7+) moves every object that exists when the agent has loaded into a
permanent generation that collections skip. What conversations create afterwards is collected
as before. A model loaded later (PUT /model) is simply not frozen.

Importing this module (components/__init__.py does) wraps Rasa's `load_agent_on_start`
listener (components/listeners.py), through components/patch_guard.py: on another Rasa, or a
listener with other parameters, Rasa's own listener stays (logged) and nothing is frozen.
"""

from __future__ import annotations

import functools
import gc
import logging
from typing import Any

from components.listeners import listener, wrap_listener

logger = logging.getLogger(__name__)


def freeze_loaded_objects() -> int:
    """Collect what loading left behind, then freeze the rest; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _after_loading(load: Any) -> Any:
    @functools.wraps(load)
    async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load(*args, **kwargs)
        frozen = freeze_loaded_objects()
        logger.info(f"Froze {frozen:,} objects that loading the model created: full collections skip them.")
        return agent

    return load_then_freeze


# What the patch wraps, as in Rasa 3.6.21 (components/patch_guard.py).
LOAD_AGENT_ON_START = listener(
    "load_agent_on_start", ("model_path", "endpoints", "remote_storage", "app", "loop")
)


def apply() -> bool:
    """Idempotent; True if the wrapper is in place, False if the guard refused (logged)."""
    return wrap_listener("gc_tuning", LOAD_AGENT_ON_START, _after_loading)


apply()

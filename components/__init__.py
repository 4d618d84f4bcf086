"""Custom Rasa components: NLU, policies, channels, stores (Rasa environment only)."""

# Speed fixes applied whenever Rasa loads any of these modules (see their docstrings), each only
# when components/patch_guard.py finds the Rasa version and code they were written for.
from components import (  # noqa: F401
    action_calls,
    action_result_validation,
    event_lookup,
    gc_tuning,
    state_history,
)

"""Custom Rasa components: NLU, policies, channels, stores (Rasa environment only)."""

# Speed fixes applied whenever Rasa loads any of these modules (see their docstrings).
from components import action_calls, action_result_validation, event_lookup, state_history  # noqa: F401

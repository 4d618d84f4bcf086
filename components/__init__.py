"""Custom Rasa NLU components (Rasa environment only)."""

# Server-side speed fix applied whenever Rasa loads any of these modules (see its docstring).
from components import action_result_validation  # noqa: F401

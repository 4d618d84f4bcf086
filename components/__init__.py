"""Custom Rasa NLU components (Rasa environment only)."""

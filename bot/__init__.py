"""Application code of the clinic assistant that does not need Rasa itself."""

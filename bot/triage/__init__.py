"""Pure clinical logic: no Rasa, no database, no network."""

"""Local stand-ins for the outside services the assistant talks to, shaped like their real APIs,
so unit and end-to-end tests exercise the real HTTP clients (`cliniko.py`: Cliniko)."""

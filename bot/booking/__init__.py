"""Booking in the clinic's own diary (Cliniko), for the assistant's booking step.

- `cliniko.py`: the typed async HTTP client for Cliniko's public API (auth, User-Agent, shards,
  pagination, rate limit, retries of reads only, typed errors).
- `diary.py`: the booking service on top of it: which business, appointment type and
  practitioners; free times; book with a re-check and a conflict check; cancel; move.
- `times.py`: pure text tools: the person's time preferences, slots in words, picking an
  offered slot from free text.
- `texts.py`: what the assistant says to the person about a real booking.

No Rasa here: the actions call `Diary` and use the texts. Without `CLINIKO_API_KEY` nothing here
is used and booking stays a reception call-back.
"""

"""Clinic analytics (issue 20): the funnel from first message to booked, from Rasa's event stream.

- `events`: what is kept of each of Rasa's events (no words, no contact details, the conversation
  id as a keyed hash) and each event's identity; also used by the Rasa server's event broker
  (components/event_broker.py), so it stays pure Python.
- `funnel`: one conversation's steps, read from its events.
- `store`: the analytics tables, written idempotently.
- `consumer`: `python -m bot.analytics`, from the SQL event broker's table or RabbitMQ.
- `report`: the numbers of the dashboard (`/reception/analytics`), its JSON and CSV.
"""

"""The clinic's Telegram bot: python-telegram-bot in front, Rasa behind (run: python -m bot.telegram).

Each Telegram chat is the Rasa conversation `telegram-<chat id>`, relayed through Rasa's own
authenticated input channel (components/telegram_relay.py), so the conversation lives in Rasa's
tracker store and survives restarts of every process.
"""

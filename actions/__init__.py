"""Custom actions for the Rasa assistant (run by the rasa-sdk action server).

Actions stay thin: `bot.triage.parsing` understands answers, `bot.triage.engine` decides,
`bot.triage.content` words the advice, and `bot.db` stores what reception needs.
"""

"""Clinic database: SQLAlchemy 2 typed models, sessions, repository functions, Alembic migrations.

Import from the submodules (`bot.db.models`, `bot.db.session`, `bot.db.repository`,
`bot.db.migrate`); this package file stays empty so importing one part never drags in the others.
"""

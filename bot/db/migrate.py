"""Bring the clinic database up to date from Python or the command line.

    python -m bot.db.migrate                 # DATABASE_URL (or .env / default SQLite file)
    python -m bot.db.migrate --url sqlite:///var/other.db

Safe to run on every start: an up-to-date database is left alone, and concurrent runs queue
(see bot/db/migrations/env.py).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import make_url

from bot.db.session import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class MigrationResult:
    url: str  # password hidden
    before: tuple[str, ...]  # revisions before (empty: a new database)
    after: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def __str__(self) -> str:
        def show(revs: tuple[str, ...]) -> str:
            return ", ".join(revs) or "empty"

        at_head = " (head)" if self.after == self.head else ""
        if not self.changed:
            return f"clinic database {self.url}: already at {show(self.after)}{at_head}, nothing to do"
        return f"clinic database {self.url}: migrated {show(self.before)} -> {show(self.after)}{at_head}"


def _resolve_url(url: str | None) -> str:
    if url is None:
        from bot.settings import get_settings

        url = get_settings().database_url
    return str(url)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for our migrations that doesn't depend on the working directory or on
    alembic.ini (and leaves the caller's logging alone)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = _resolve_url(url)
    return config


def current_revisions(url: str | None = None) -> tuple[str, ...]:
    engine = make_engine(_resolve_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    finally:
        engine.dispose()


def upgrade(url: str | None = None, revision: str = "head") -> MigrationResult:
    """Upgrade the database at `url` (default: settings) to `revision`."""
    url = _resolve_url(url)
    config = alembic_config(url)
    before = current_revisions(url)
    command.upgrade(config, revision)
    return MigrationResult(
        url=make_url(url).render_as_string(hide_password=True),
        before=before,
        after=current_revisions(url),
        head=tuple(sorted(ScriptDirectory.from_config(config).get_heads())),
    )


def downgrade(url: str | None = None, revision: str = "base") -> MigrationResult:
    """Downgrade the database at `url` to `revision` (default: drop everything)."""
    url = _resolve_url(url)
    config = alembic_config(url)
    before = current_revisions(url)
    command.downgrade(config, revision)
    return MigrationResult(
        url=make_url(url).render_as_string(hide_password=True),
        before=before,
        after=current_revisions(url),
        head=tuple(sorted(ScriptDirectory.from_config(config).get_heads())),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.db.migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: DATABASE_URL / .env / var/clinic.db)")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    args = parser.parse_args(argv)
    print(upgrade(args.url, args.revision))
    return 0


if __name__ == "__main__":
    sys.exit(main())

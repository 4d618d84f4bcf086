"""Data retention: `make retention` deletes what is older than `RETENTION_DAYS` (default 365).

    python -m bot.db.retention              # RETENTION_DAYS from the settings
    python -m bot.db.retention --days 90 --dry-run

What goes:
- clinic database: triages and handoffs created before the cut-off (with their follow-up history);
  failed-login records older than a day and expired staff sessions (kept no longer than needed);
- tracker store: every conversation whose latest event is older than the cut-off (the whole
  transcript, as "delete my data" does for one person).
Then each database is scrubbed (`scrub`): SQLite's WAL emptied (deleted rows are zeroed by
secure_delete), PostgreSQL vacuumed.

Rows are deleted, not anonymised: nothing the clinic needs later lives in them (bookings are in
the practice-management system). The tracker store is found the way Rasa finds it: `RASA_ENDPOINTS`
says SQLite (`TRACKER_DB`) or PostgreSQL (`TRACKER_DB_*`); `--tracker-url` overrides it.
Run it daily (cron or a systemd timer); it is safe to run at any time, also while everything runs.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, func, inspect, pool, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from bot.db import staff
from bot.db.models import Handoff, Triage, utcnow
from bot.db.session import session_scope
from bot.settings import PROJECT_ROOT, Settings, get_settings

LOGIN_ATTEMPTS_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    handoffs: int
    triages: int
    conversations: int
    login_records: int
    dry_run: bool
    scrubbed: tuple[str, ...] = ()  # what was done so the deleted rows leave no readable copy

    def __str__(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (
            f"retention: older than {self.cutoff:%Y-%m-%d %H:%M} UTC, {verb} {self.handoffs} handoffs, "
            f"{self.triages} triages, {self.conversations} tracker conversations, "
            f"{self.login_records} login records" + (f"; {', '.join(self.scrubbed)}" if self.scrubbed else "")
        )


def purge_clinic(session: Session, cutoff: datetime, *, dry_run: bool = False) -> tuple[int, int, int]:
    """(handoffs, triages, login records) older than the cut-off, deleted unless dry_run."""
    if dry_run:
        count = lambda model, column: session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(column < cutoff)
        )
        return count(Handoff, Handoff.created_at), count(Triage, Triage.created_at), 0
    handoffs = session.execute(
        delete(Handoff).where(Handoff.created_at < cutoff), execution_options={"synchronize_session": False}
    ).rowcount
    triages = session.execute(
        delete(Triage).where(Triage.created_at < cutoff), execution_options={"synchronize_session": False}
    ).rowcount
    logins = staff.delete_login_attempts_before(session, utcnow() - LOGIN_ATTEMPTS_KEPT)
    logins += staff.delete_expired_sessions(session)
    return handoffs, triages, logins


# --- tracker store -----------------------------------------------------------------------------------


def tracker_store_url(settings: Settings) -> str:
    """The SQLAlchemy URL of Rasa's tracker store: TRACKER_STORE (endpoints.yml), unless the
    endpoints file Rasa runs with names a dialect itself (endpoints.production.yml)."""
    endpoints = Path(settings.rasa_endpoints)
    if not endpoints.is_absolute():
        endpoints = PROJECT_ROOT / endpoints
    dialect = settings.tracker_store
    section = re.search(r"^tracker_store:\s*\n((?:[ \t]+.*\n?|\s*\n)*)", endpoints.read_text(), re.MULTILINE)
    if section:
        found = re.search(r"^\s+(?:backend|dialect):\s*([\w+]+)", section.group(1), re.MULTILINE)
        dialect = found.group(1) if found else dialect
    if dialect == "sqlite":
        return f"sqlite:///{settings.tracker_db}"
    if dialect.startswith("postgresql"):
        return URL.create(
            "postgresql+psycopg",
            username=settings.tracker_db_user or None,
            password=settings.tracker_db_password or None,
            host=settings.tracker_db_host,
            port=settings.tracker_db_port,
            database=settings.tracker_db_name,
        ).render_as_string(hide_password=False)
    raise ValueError(f"tracker store dialect {dialect!r} in {endpoints} is not supported; pass --tracker-url")


def _tracker_engine(url: str) -> Engine:
    # A plain engine: Rasa owns this database, so none of the clinic database's pragmas.
    return create_engine(make_url(url), poolclass=pool.NullPool)


def purge_tracker(url: str, cutoff: datetime, *, dry_run: bool = False) -> int:
    """Delete every conversation whose latest event is before the cut-off; returns how many."""
    engine = _tracker_engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return 0  # Rasa has not stored anything yet
        stale = text(
            "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
        ).bindparams(cutoff=cutoff.timestamp())
        with engine.begin() as connection:
            senders = [row[0] for row in connection.execute(stale)]
            if dry_run or not senders:
                return len(senders)
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA secure_delete=ON")  # zero the deleted rows' bytes
            # Re-checked in the DELETE: a conversation that woke up in between is kept.
            connection.execute(
                text(
                    "DELETE FROM events WHERE sender_id IN "
                    "(SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff)"
                ),
                {"cutoff": cutoff.timestamp()},
            )
            return len(senders)
    finally:
        engine.dispose()


def scrub(url: str) -> str:
    """After deleting, leave no copy of the deleted rows where a file reader could find it.
    SQLite: secure_delete zeroed them in the database file; the WAL is checkpointed and emptied.
    PostgreSQL: VACUUM marks the dead rows' space reusable (their bytes stay in the data files
    until overwritten, in the WAL archive and backups for their own retention; README)."""
    engine = _tracker_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return "WAL checkpointed"
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE)")
            return "vacuumed"
        return "nothing to scrub"
    finally:
        engine.dispose()


def run(
    days: int, *, tracker_url: str | None = None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with session_scope() as session:
        handoffs, triages, logins = purge_clinic(session, cutoff, dry_run=dry_run)
    tracker = tracker_url or tracker_store_url(get_settings())
    conversations = purge_tracker(tracker, cutoff, dry_run=dry_run)
    scrubbed: tuple[str, ...] = ()
    if not dry_run:
        scrubbed = tuple(
            f"{name}: {scrub(url)}" for name, url in _databases(get_settings().database_url, tracker)
        )
    return RetentionReport(cutoff, handoffs, triages, conversations, logins, dry_run, scrubbed)


def _databases(clinic: str, tracker: str) -> list[tuple[str, str]]:
    return [("clinic database", clinic)] + ([("tracker store", tracker)] if tracker != clinic else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.db.retention", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--days", type=int, default=None, help="keep this many days (default: RETENTION_DAYS)"
    )
    parser.add_argument(
        "--tracker-url", help="SQLAlchemy URL of Rasa's tracker store (default: from RASA_ENDPOINTS)"
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
    args = parser.parse_args(argv)
    days = args.days if args.days is not None else get_settings().retention_days
    try:
        print(run(days, tracker_url=args.tracker_url, dry_run=args.dry_run))
    except ValueError as exc:
        print(f"retention: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

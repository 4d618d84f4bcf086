"""Engines and sessions for the clinic database.

The action server and the web app write to the same database at the same time. On SQLite that
needs care, so `make_engine` sets, on every connection:

- `PRAGMA foreign_keys = ON` (SQLite ignores foreign keys otherwise);
- `PRAGMA busy_timeout` so a writer waits for the lock instead of failing at once;
- `PRAGMA journal_mode = WAL` so readers and the one writer don't block each other;
- `PRAGMA secure_delete = ON` so a deleted row's bytes are overwritten, not left in free pages
  (a person's "delete my data"; `scrub_deleted()` then empties the WAL file of older copies);
- transactions opened with `BEGIN IMMEDIATE` (SQLAlchemy's documented pysqlite recipe, with
  IMMEDIATE instead of plain BEGIN): the write lock is taken up front, so two transactions that
  read and then write queue on the busy timeout instead of failing with "database is locked";
  it also makes SAVEPOINT and transactional DDL work, which pysqlite breaks by default.

On PostgreSQL the engine only adds `pool_pre_ping` (the action server lives for days).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 15.0

T = TypeVar("T")


def _sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):  # URI form: sqlite:///file:path?uri=true
        database = database[len("file:") :]
    return Path(database)


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    busy_ms = int(SQLITE_BUSY_TIMEOUT_S * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop pysqlite from issuing its own (late) BEGIN; the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA secure_delete = ON")
            # WAL stays on the file once set; switching needs a moment alone with it, so a busy
            # database (another process mid-write) is left as it is rather than failing the connect
            if not in_memory and str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                try:
                    cursor.execute("PRAGMA journal_mode = WAL")
                except sqlite3.OperationalError as error:
                    logger.warning("SQLite: WAL not switched on yet (%s); next connection tries again", error)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: `DATABASE_URL` from `bot.settings`).

    Extra keyword arguments go to `sqlalchemy.create_engine` (e.g. `poolclass=NullPool`).
    For a SQLite file the parent folder is created.
    """
    if url is None:
        from bot.settings import get_settings

        url = get_settings().database_url
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.setdefault("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, **kwargs)
    _configure_sqlite(engine, in_memory=path is None)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`. Objects stay readable after commit (`expire_on_commit=False`),
    so a caller can still read e.g. `handoff.reference_code` after `session_scope()` closes."""
    return sessionmaker(bind=engine, expire_on_commit=False)


_default_lock = threading.Lock()
_default: tuple[str, Engine, sessionmaker[Session]] | None = None


def default_engine() -> Engine:
    """The process-wide engine for the configured `DATABASE_URL` (created on first use, rebuilt
    if the setting changed)."""
    return _default_pair()[0]


def _default_pair() -> tuple[Engine, sessionmaker[Session]]:
    global _default
    from bot.settings import get_settings

    url = get_settings().database_url
    with _default_lock:
        if _default is None or _default[0] != url:
            if _default is not None:
                _default[1].dispose()  # checked-out connections finish normally
            engine = make_engine(url)
            _default = (url, engine, session_factory(engine))
        return _default[1], _default[2]


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises.

    with session_scope() as session:
        handoff = create_handoff(session, ...)
    print(handoff.reference_code)   # still readable here
    """
    factory = session_factory(engine) if engine is not None else _default_pair()[1]
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def scrub_deleted(engine: Engine | None = None) -> bool:
    """After a deletion is committed: copy the WAL into the database and truncate it, so the
    deleted words are not left in older page copies in the -wal file. SQLite only (PostgreSQL
    keeps dead rows until VACUUM: the retention job runs it). True when the WAL was emptied;
    False when a reader still holds an old snapshot (the next checkpoint finishes the job)."""
    engine = engine or default_engine()
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside SQLAlchemy's transaction: a checkpoint can't run in one
    try:
        busy, _log, _done = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    if busy:
        logger.warning("SQLite: the WAL could not be emptied after a deletion (a reader is busy)")
    return not busy


async def run_in_session(fn: Callable[[Session], T], engine: Engine | None = None) -> T:
    """Run `fn(session)` inside `session_scope()` on a worker thread, for async callers.

    Database calls block (and a SQLite writer may wait up to the busy timeout); rasa-sdk actions
    and other async code should use this instead of calling the repository on the event loop:

        handoff = await run_in_session(lambda s: create_handoff(s, ...))
    """

    def _run() -> T:
        with session_scope(engine) as session:
            return fn(session)

    return await asyncio.to_thread(_run)

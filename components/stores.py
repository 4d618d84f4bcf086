"""The tracker store and lock store Rasa uses, chosen by environment variables.

endpoints.yml names these two classes; `TRACKER_STORE` and `LOCK_STORE` (bot/settings.py,
documented in .env.example) pick the backend, so one endpoints file serves one machine and a
cluster:

- `TRACKER_STORE=sqlite` (default): the SQLite file `TRACKER_DB`;
  `TRACKER_STORE=postgresql`: the database `TRACKER_DB_NAME` on `TRACKER_DB_HOST:TRACKER_DB_PORT`
  (created on first start when `TRACKER_DB_LOGIN_DB` is set). Both keep the erasure on request.
- `LOCK_STORE=in_memory` (default, one Rasa server only) or `LOCK_STORE=redis` (`REDIS_*`):
  required as soon as two Rasa servers share a tracker store, so one conversation's messages are
  processed one at a time whichever server receives them. Rasa 3.6's RedisLockStore reads the
  lock, changes it in Python and writes it back: two servers taking a ticket at the same moment
  both get ticket 0 and process the two messages side by side (the second then works on a stale
  tracker: one answer is lost). `AtomicRedisLockStore` makes each of those changes one Redis
  transaction.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
import sqlalchemy as sa
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, create_engine_kwargs
from rasa.shared.exceptions import RasaException

from bot.settings import get_settings
from components import patch_guard
from components.patch_guard import Replace, Target
from components.tracker_store import ErasableSQLTrackerStore

logger = logging.getLogger(__name__)

TRACKER_STORES = ("sqlite", "postgresql")
LOCK_STORES = ("in_memory", "redis")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    # ValueError, not AttributeError/ImportError: Rasa would silently fall back to an in-memory
    # store on those, and a clinic must never lose conversations because of a typo.
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)} (see .env.example)")
    return value


def tracker_store_arguments(backend: str | None = None) -> dict[str, Any]:
    """Arguments of Rasa's SQLTrackerStore for `backend` (default: TRACKER_STORE)."""
    settings = get_settings()
    if _choice("TRACKER_STORE", backend or settings.tracker_store, TRACKER_STORES) == "sqlite":
        return {"dialect": "sqlite", "db": settings.tracker_db}
    return {
        "dialect": "postgresql",
        "host": settings.tracker_db_host,
        "port": settings.tracker_db_port,
        "db": settings.tracker_db_name,
        "username": settings.tracker_db_user,
        "password": settings.tracker_db_password or None,
        "login_db": settings.tracker_db_login_db or None,
    }


class TrackerStoreUnavailable(RasaException):
    """The conversation store could not be read or written (the database is unreachable)."""


def _refuse_to_fall_back(error: Exception) -> None:
    logger.error("the tracker store is unreachable; this message is refused, not processed: %s", error)
    raise TrackerStoreUnavailable(str(error)) from error


_rasa_fail_safe_init = FailSafeTrackerStore.__init__


def _refusing_to_fall_back(rasa_init: Callable[..., None]) -> Callable[..., None]:
    """Rasa's `FailSafeTrackerStore.__init__`, with `_refuse_to_fall_back` as the error handler
    for this project's store when none is given."""

    @functools.wraps(rasa_init)
    def _fail_safe_init(
        self: FailSafeTrackerStore,
        tracker_store: Any,
        on_tracker_store_error: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # Rasa wraps every tracker store in FailSafeTrackerStore, which on a database error carries
        # on with an empty in-memory conversation: the person is greeted as a stranger mid-triage
        # and what they say then is forgotten once the database is back. For this store, an error
        # stops the message instead; the guarded channels (components/channels.py) tell the person
        # plainly, and the next message continues the stored conversation.
        inner = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa's AwaitableTrackerStore
        if on_tracker_store_error is None and isinstance(inner, ConfiguredTrackerStore):
            on_tracker_store_error = _refuse_to_fall_back
        rasa_init(self, tracker_store, on_tracker_store_error, *args, **kwargs)

    return _fail_safe_init


# What the patch wraps, as in Rasa 3.6.21 (components/patch_guard.py).
FAIL_SAFE_INIT = Target(
    FailSafeTrackerStore,
    "__init__",
    ("self", "tracker_store", "on_tracker_store_error", "fallback_tracker_store"),
)


def apply() -> bool:
    """Idempotent; True if installed, False if the guard refused (logged: on another Rasa, or a
    `FailSafeTrackerStore` with other parameters, Rasa's fallback to memory stays)."""
    return patch_guard.apply("stores.fail_safe", Replace(FAIL_SAFE_INIT, _refusing_to_fall_back, wraps=True))


class ConfiguredTrackerStore(ErasableSQLTrackerStore):
    """ErasableSQLTrackerStore on SQLite or PostgreSQL, as `TRACKER_STORE` (or the endpoint's
    `backend:`, which endpoints.production.yml fixes) says."""

    def __init__(
        self, domain: Any = None, event_broker: Any = None, backend: str | None = None, **_endpoint: Any
    ) -> None:
        arguments = tracker_store_arguments(backend)
        logger.info("tracker store: %s", arguments["dialect"])
        super().__init__(domain=domain, event_broker=event_broker, **arguments)
        if self.engine.dialect.name == "postgresql":
            # Rasa's engine keeps pooled connections without checking them: after the database
            # was unreachable for a moment, the next message of every server would fail on a dead
            # connection. A ping on checkout (one round trip) makes the first message work again.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)


T = TypeVar("T")
ATOMIC_RETRIES = 200
WAIT_BETWEEN_TRIES_S = 0.05  # Rasa's 1 s would add up to a second to a message that waited


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock, each read-change-write done atomically (WATCH/MULTI/EXEC)."""

    def _atomically(
        self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]
    ) -> T:
        """Applies `change` to the stored lock (None: no lock); a None lock back deletes it.
        Retried when another server changed the lock in between."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(ATOMIC_RETRIES):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    lock, result = change(lock)
                    pipe.multi()
                    if lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue
        raise LockError(
            f"Could not change the lock of conversation '{conversation_id}': too much contention."
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, take)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish this ticket and delete the lock if nobody waits, in one step: done separately, a
        # ticket taken in between would be deleted with the lock
        def finish_and_tidy(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish_and_tidy)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = WAIT_BETWEEN_TRIES_S,
    ) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime, WAIT_BETWEEN_TRIES_S) as ticket_lock:
            yield ticket_lock


class ConfiguredLockStore:
    """Builds Rasa's in-memory or Redis lock store, as `LOCK_STORE` says.

    Rasa creates a custom lock store as `Class(endpoint_config=...)`; the class returns Rasa's own
    store object, so the locking itself is Rasa's, unchanged."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        settings = get_settings()
        backend = (getattr(endpoint_config, "kwargs", None) or {}).get("backend") or settings.lock_store
        if _choice("LOCK_STORE", backend, LOCK_STORES) == "in_memory":
            logger.info("lock store: in memory (one Rasa server only)")
            return InMemoryLockStore()
        logger.info("lock store: redis")
        return AtomicRedisLockStore(
            host=settings.redis_host,
            port=settings.redis_port,
            db=settings.redis_db,
            password=settings.redis_password or None,
            key_prefix="clinic",
        )


apply()

"""Staff accounts, server-side login sessions, failed-login counters and the staff notification
outbox of the reception screen. Functions add and flush; the caller's `session_scope()` commits.

Nothing here sees a password or a session token in clear: callers pass the Argon2 hash and the
token's SHA-256 (`bot.web.reception.auth` makes both).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from bot.db.models import Handoff, LoginAttempt, LoginCounter, StaffSession, StaffUser, UTCDateTime, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up in lower case."""
    return (username or "").strip().lower()


def valid_username(username: str) -> bool:
    return bool(USERNAME_RE.match(normalise_username(username)))


def get_user(session: Session, username: str) -> StaffUser | None:
    return session.scalars(
        select(StaffUser).where(StaffUser.username == normalise_username(username))
    ).first()


def set_user_password(session: Session, username: str, password_hash: str) -> tuple[StaffUser, bool]:
    """Create the account, or give an existing one a new password (and end all its sessions, so a
    reset locks out whoever had the old one). Returns (user, created)."""
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise ValueError("username: 2-64 characters, letters, digits, '.', '_' or '-'")
    if not password_hash.startswith("$argon2"):
        raise ValueError("password_hash must be an Argon2 hash")
    user = get_user(session, name)
    if user is None:
        user = StaffUser(username=name, password_hash=password_hash)
        session.add(user)
        session.flush()
        return user, True
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.active = True
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    session.flush()
    return user, False


# --- sessions ------------------------------------------------------------------------------------


def create_session(
    session: Session, *, user: StaffUser, token_hash: str, csrf_token: str, expires_at: datetime
) -> StaffSession:
    row = StaffSession(token_hash=token_hash, user_id=user.id, csrf_token=csrf_token, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def live_session(
    session: Session, token_hash: str, now: datetime | None = None, idle_s: int = 0
) -> StaffSession | None:
    """The session with this token hash if it exists, has not expired, was used in the last
    `idle_s` seconds (0: no idle limit) and its account is active."""
    now = now or utcnow()
    conditions = [StaffSession.token_hash == token_hash, StaffSession.expires_at > now, StaffUser.active]
    if idle_s > 0:
        conditions.append(StaffSession.last_seen_at > now - timedelta(seconds=idle_s))
    return session.scalars(
        select(StaffSession).join(StaffUser).options(joinedload(StaffSession.user)).where(*conditions)
    ).first()


def touch_session(row: StaffSession, now: datetime | None = None, every_s: int = 60) -> bool:
    """Record a request on the session, at most once every `every_s` seconds (most requests write
    nothing). True when it wrote."""
    now = now or utcnow()
    if row.last_seen_at > now - timedelta(seconds=every_s):
        return False
    row.last_seen_at = now
    return True


def end_session(session: Session, token_hash: str) -> bool:
    return session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash)).rowcount > 0


def delete_expired_sessions(session: Session, now: datetime | None = None) -> int:
    return session.execute(delete(StaffSession).where(StaffSession.expires_at <= (now or utcnow()))).rowcount


# --- failed logins (rate limiting) ------------------------------------------------------------------


def record_failed_login(session: Session, *, account_key: str, address_key: str) -> None:
    session.add(LoginAttempt(account_key=account_key, address_key=address_key))
    session.flush()


def failed_logins_since(
    session: Session, since: datetime, *, account_key: str, address_key: str
) -> tuple[int, int]:
    """(failures for this account, failures from this address) since the given time."""
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.attempted_at > since)
    by_account = session.scalar(recent.where(LoginAttempt.account_key == account_key)) or 0
    by_address = session.scalar(recent.where(LoginAttempt.address_key == address_key)) or 0
    return by_account, by_address


def forget_failed_logins(session: Session, account_key: str) -> None:
    """After a successful login the account's earlier failures no longer count against it."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.account_key == account_key))


def delete_login_attempts_before(session: Session, before: datetime) -> int:
    """Old failed-login rows and counters whose window started before `before` (retention)."""
    removed = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before)).rowcount
    return (
        removed
        + session.execute(delete(LoginCounter).where(LoginCounter.window_started_at < before)).rowcount
    )


# --- failed-login counters: atomic across processes ------------------------------------------------


def take_login_slot(
    session: Session, key: str, *, limit: int, window: timedelta, now: datetime | None = None
) -> bool:
    """Count one login attempt against `key` if it is under `limit` in its current window; False
    (nothing counted) when the limit is reached. The check and the count are one conditional
    UPDATE, so with any number of processes at once exactly `limit` attempts get through: on
    PostgreSQL the row lock makes a second UPDATE wait and re-check the new count; on SQLite the
    write lock (`BEGIN IMMEDIATE`) does the same. A window that has passed starts again at 1."""
    now = now or utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginCounter)
        .values(counter_key=key, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["counter_key"])
    )
    expired = LoginCounter.window_started_at <= now - window
    counted = session.execute(
        update(LoginCounter)
        .where(LoginCounter.counter_key == key, or_(expired, LoginCounter.failures < limit))
        .values(
            failures=case((expired, 1), else_=LoginCounter.failures + 1),
            window_started_at=case(
                (expired, literal(now, UTCDateTime())), else_=LoginCounter.window_started_at
            ),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return counted == 1


def give_back_login_slot(session: Session, key: str) -> None:
    """Undo one `take_login_slot` (the attempt was refused on another key, or it succeeded)."""
    session.execute(
        update(LoginCounter)
        .where(LoginCounter.counter_key == key, LoginCounter.failures > 0)
        .values(failures=LoginCounter.failures - 1)
        .execution_options(synchronize_session=False)
    )


def reset_login_counter(session: Session, key: str) -> None:
    session.execute(delete(LoginCounter).where(LoginCounter.counter_key == key))


def login_failures(session: Session, key: str) -> int:
    return session.scalar(select(LoginCounter.failures).where(LoginCounter.counter_key == key)) or 0


# --- staff notification outbox (handoffs.staff_notified_at NULL = still to send) -----------------------


def pending_staff_notifications(
    session: Session, created_after: datetime, now: datetime | None = None
) -> list[int]:
    """Ids of handoffs whose staff notification is still to send and not being sent right now
    (no claim, or a claim whose lease ran out: its sender crashed), oldest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Handoff.id)
            .where(
                Handoff.staff_notified_at.is_(None),
                Handoff.created_at > created_after,
                or_(Handoff.staff_notify_claimed_until.is_(None), Handoff.staff_notify_claimed_until < now),
            )
            .order_by(Handoff.id)
        )
    )


def claim_staff_notification(
    session: Session, handoff_id: int, claim: str, *, lease: timedelta, now: datetime | None = None
) -> bool:
    """Take the sending of one notification for `lease`; True only for the one caller that won."""
    now = now or utcnow()
    return (
        session.execute(
            update(Handoff)
            .where(
                Handoff.id == handoff_id,
                Handoff.staff_notified_at.is_(None),
                or_(Handoff.staff_notify_claimed_until.is_(None), Handoff.staff_notify_claimed_until < now),
            )
            # updated_at stays: this is bookkeeping, not a change reception made
            .values(
                staff_notify_claim=claim,
                staff_notify_claimed_until=now + lease,
                updated_at=Handoff.updated_at,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def mark_staff_notified(session: Session, handoff_id: int, claim: str, now: datetime | None = None) -> bool:
    """After Telegram accepted the message: done. False when the claim is no longer ours (the
    route was raised while sending, so the newer text is still to send)."""
    return (
        session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.staff_notify_claim == claim)
            .values(
                staff_notified_at=now or utcnow(),
                staff_notify_claim=None,
                staff_notify_claimed_until=None,
                updated_at=Handoff.updated_at,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def release_staff_notification(session: Session, handoff_id: int, claim: str) -> None:
    """Sending failed: give the claim back, so the next poll tries again."""
    session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.staff_notify_claim == claim)
        .values(staff_notify_claim=None, staff_notify_claimed_until=None, updated_at=Handoff.updated_at)
        .execution_options(synchronize_session=False)
    )

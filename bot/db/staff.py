"""Staff accounts, server-side login sessions and failed-login bookkeeping for the reception
screen. Functions add and flush; the caller's `session_scope()` commits.

Nothing here sees a password or a session token in clear: callers pass the Argon2 hash and the
token's SHA-256 (`bot.web.reception.auth` makes both).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from bot.db.models import LoginAttempt, StaffSession, StaffUser, utcnow

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


def live_session(session: Session, token_hash: str, now: datetime | None = None) -> StaffSession | None:
    """The session with this token hash if it exists, has not expired and its account is active."""
    now = now or utcnow()
    return session.scalars(
        select(StaffSession)
        .join(StaffUser)
        .options(joinedload(StaffSession.user))
        .where(StaffSession.token_hash == token_hash, StaffSession.expires_at > now, StaffUser.active)
    ).first()


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
    return session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before)).rowcount

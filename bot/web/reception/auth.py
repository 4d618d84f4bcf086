"""Staff authentication for the reception screen: Argon2 passwords, server-side sessions behind a
signed cookie, CSRF tokens, login rate limiting, and the guard that keeps every reception page
closed without a live session.

- The cookie holds a random token signed with `WEB_SECRET_KEY` (itsdangerous, with a timestamp
  checked against `SESSION_MAX_AGE_S`); the database holds only the token's SHA-256, the CSRF
  token, the expiry and when it was last used. Logging out deletes the row, so a copied cookie
  stops working at once; a session unused for `SESSION_IDLE_S` is refused too. The person's own
  requests keep it alive (written at most once a minute); the queue page's background refreshes
  and event stream do not, so an open tab nobody looks at still times out.
- Every form carries a synchronizer token: the session's CSRF token, or before login a signed
  double-submit cookie.
- Failed logins are counted in the database (every web process sees them), per account and per
  address, both as keyed hashes, by one conditional UPDATE each (bot/db/staff.py): the attempt
  is counted before the password is checked, so concurrent guesses never exceed the limit. The
  address is the direct peer, or what a trusted proxy says (bot/web/client.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.db import staff
from bot.db.models import utcnow
from bot.db.session import session_scope
from bot.settings import get_settings
from bot.web.client import client_address as _client_address

SESSION_COOKIE = "reception_session"
LOGIN_CSRF_COOKIE = "reception_login_csrf"
COOKIE_PATH = "/reception"
PREFIX = "/reception"

# Rate limit: failed logins in the last window, per account and per address.
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

# Paths open without a session: the login page and the screen's own CSS/JS (no patient data).
PUBLIC_PATHS = (f"{PREFIX}/login", f"{PREFIX}/logout")
PUBLIC_PREFIXES = (f"{PREFIX}/static/",)
# Refused with 401 instead of a redirect to the login page: not pages a person opens.
API_PATHS = (
    f"{PREFIX}/events",
    f"{PREFIX}/export.csv",
    f"{PREFIX}/analytics.json",
    f"{PREFIX}/analytics.csv",
)
# Requests the queue page makes by itself: checked like any other, but they do not count as the
# receptionist using the screen (the idle timeout keeps running).
BACKGROUND_PATHS = (f"{PREFIX}/events",)
# A session's last use is written at most this often (not one database write per request).
TOUCH_EVERY_S = 60

_hasher = PasswordHasher()  # argon2-cffi's defaults (RFC 9106 low-memory profile)


# --- passwords -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches. An unknown account is checked against a dummy hash, so the
    answer takes as long whether or not the username exists."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- tokens and cookies ------------------------------------------------------------------------------


def _signer(purpose: str) -> TimestampSigner:
    return TimestampSigner(get_settings().web_secret_key, salt=f"reception-{purpose}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC of a value we must count but not keep (an attempted username, an address)."""
    key = f"{get_settings().web_secret_key}:{purpose}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def read_signed(value: str | None, purpose: str) -> str | None:
    if not value:
        return None
    try:
        return _signer(purpose).unsign(value, max_age=get_settings().session_max_age_s).decode()
    except (BadSignature, SignatureExpired, UnicodeDecodeError):
        return None


def set_cookie(response: Response, name: str, value: str, purpose: str) -> None:
    settings = get_settings()
    response.set_cookie(
        name,
        _signer(purpose).sign(value).decode(),
        max_age=settings.session_max_age_s,
        path=COOKIE_PATH,
        secure=settings.web_cookie_secure,
        httponly=True,
        # Lax, not Strict: a receptionist following the link in a staff notification arrives
        # logged in. Every state change is a POST with a CSRF token, which Lax never sends
        # cross-site anyway.
        samesite="lax",
    )


def clear_cookie(response: Response, name: str) -> None:
    settings = get_settings()
    response.delete_cookie(
        name, path=COOKIE_PATH, secure=settings.web_cookie_secure, httponly=True, samesite="lax"
    )


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


# --- sessions ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    """The logged-in receptionist of this request."""

    username: str
    csrf_token: str
    token_hash: str


def load_session(token_hash_value: str, touch: bool = False) -> Staff | None:
    """The live session (not expired, not idle too long); `touch`: this request is the person
    using the screen, so it counts as activity."""
    with session_scope() as db:
        idle_s = get_settings().session_idle_s
        row = staff.live_session(db, token_hash_value, idle_s=idle_s)
        if row is None:
            return None
        if touch:  # a short idle timeout (tests) needs more frequent writes to be kept alive
            staff.touch_session(row, every_s=min(TOUCH_EVERY_S, idle_s // 4) if idle_s > 0 else TOUCH_EVERY_S)
        return Staff(username=row.user.username, csrf_token=row.csrf_token, token_hash=row.token_hash)


def is_background(request: Request) -> bool:
    return request.url.path in BACKGROUND_PATHS or request.query_params.get("rows") == "1"


async def session_of(request: Request, touch: bool = True) -> Staff | None:
    token = read_signed(request.cookies.get(SESSION_COOKIE), "session")
    if token is None:
        return None
    return await asyncio.to_thread(load_session, token_hash(token), touch and not is_background(request))


def start_session(username: str) -> tuple[str, Staff] | None:
    """A new session for an active account: (cookie token, staff). A fresh token on every login,
    so a token planted before login is never promoted (no session fixation)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with session_scope() as db:
        user = staff.get_user(db, username)
        if user is None or not user.active:
            return None
        expires = utcnow() + timedelta(seconds=get_settings().session_max_age_s)
        staff.create_session(db, user=user, token_hash=token_hash(token), csrf_token=csrf, expires_at=expires)
        return token, Staff(username=user.username, csrf_token=csrf, token_hash=token_hash(token))


def end_session(token_hash_value: str) -> None:
    with session_scope() as db:
        staff.end_session(db, token_hash_value)


# --- login and its rate limit -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    limited: bool = False


def client_address(request: Request) -> str:
    """The peer, or the client a trusted proxy names (WEB_TRUSTED_PROXIES; bot/web/client.py)."""
    return _client_address(request)


def login_keys(username: str, address: str) -> tuple[str, str]:
    """The counter keys (account, address) of a login attempt: keyed hashes only."""
    name = staff.normalise_username(username)[:64]
    return f"account:{keyed_hash(name, 'account')}", f"address:{keyed_hash(address, 'address')}"


def check_login(username: str, password: str, address: str) -> LoginResult:
    """Verify a login attempt. The attempt is first counted as a failure against the account and
    the address (refused, without checking the password, when either is at its limit); a right
    password then clears the account's count and gives the address its attempt back."""
    name = staff.normalise_username(username)[:64]
    account_key, address_key = login_keys(name, address)
    with session_scope() as db:  # short: the lock is not held while Argon2 runs
        if not staff.take_login_slot(db, address_key, limit=MAX_FAILURES_PER_ADDRESS, window=LOGIN_WINDOW):
            return LoginResult(ok=False, limited=True)
        if not staff.take_login_slot(db, account_key, limit=MAX_FAILURES_PER_ACCOUNT, window=LOGIN_WINDOW):
            staff.give_back_login_slot(db, address_key)
            return LoginResult(ok=False, limited=True)
        user = staff.get_user(db, name) if staff.valid_username(name) else None
        password_hash = user.password_hash if user is not None and user.active else None
    if not verify_password(password_hash, password):
        return LoginResult(ok=False)
    with session_scope() as db:  # address before account, as above: no lock-order deadlock
        staff.give_back_login_slot(db, address_key)
        staff.reset_login_counter(db, account_key)
        user = staff.get_user(db, name)
        if user is not None and password_hash is not None and _hasher.check_needs_rehash(password_hash):
            user.password_hash = hash_password(password)  # Argon2 parameters were raised
    return LoginResult(ok=True)


# --- the guard ---------------------------------------------------------------------------------------


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def guarded(path: str) -> bool:
    return (path == PREFIX or path.startswith(PREFIX + "/")) and not _is_public(path)


class ReceptionGuard:
    """Refuses every reception request without a live session before it reaches a route (pages:
    a redirect to the login page; the event stream, the CSV and every POST: 401), and marks every
    reception response `no-store` so patient data never stays in a browser or proxy cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start" and not path.startswith(PUBLIC_PREFIXES):
                message.setdefault("headers", []).append((b"cache-control", b"no-store"))
            await send(message)

        if guarded(path):
            request = Request(scope)
            current = await session_of(request, touch=True)
            if current is None:
                await self._refuse(request)(scope, receive, send_no_store)
                return
            scope.setdefault("state", {})["staff"] = current
        await self.app(scope, receive, send_no_store)

    @staticmethod
    def _refuse(request: Request) -> Response:
        if request.method in ("GET", "HEAD") and request.url.path not in API_PATHS:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(
                f"{PREFIX}/login?next={quote(target, safe='')}", status_code=303
            )
        else:
            response = PlainTextResponse("Please log in to the reception screen.", status_code=401)
        if request.cookies.get(SESSION_COOKIE):
            clear_cookie(response, SESSION_COOKIE)
        return response


def current_staff(request: Request) -> Staff:
    """The receptionist the guard let through (routes behind the guard only)."""
    found = request.scope.get("state", {}).get("staff")
    if not isinstance(found, Staff):  # a route outside the guard: refuse rather than guess
        raise PermissionError("no staff session")
    return found


def safe_next(target: str | None) -> str:
    """Where to go after login: only a reception path of this site (no open redirect)."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX

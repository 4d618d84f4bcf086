"""Security of the reception screen, on SQLite and PostgreSQL: nothing without a live session,
CSRF on every form, injection in search and notes harmless, logout kills a copied cookie, login
rate limits, passwords never kept or logged in clear, security headers and cookie flags."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text, update

from bot.db.models import Handoff, HandoffStatusChange, LoginAttempt, StaffSession, StaffUser
from bot.db.session import make_engine, session_scope
from bot.web import reception
from bot.web.reception import auth
from tests.unit.reception_support import (
    EMERGENCY_RESULT,
    ITBS_RESULT,
    PASSWORD,
    client,
    configure,
    csrf_of,
    log_in,
    make_handoff,
    make_user,
)

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture
def app_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    configure(monkeypatch, db_url)
    make_user()
    return db_url


def _guarded_requests(code: str) -> list[tuple[str, str]]:
    """(method, path) of every reception route behind the login, taken from the route table."""
    found = []
    for route in reception.routes:
        path = getattr(route, "path", "")
        if path in auth.PUBLIC_PATHS or path.startswith("/reception/static"):
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.append((method, path.replace("{reference_code}", code)))
    return found


def _status_of(code: str) -> str:
    with session_scope() as session:
        return session.scalar(select(Handoff.status).where(Handoff.reference_code == code))


# --- no session, no data ------------------------------------------------------------------------


def test_every_reception_route_refuses_without_a_session(app_db):
    code = make_handoff(result=EMERGENCY_RESULT, name="Private Person")
    requests = _guarded_requests(code)
    # queue, events, export, handoff GET + POST, analytics page, JSON and CSV: a new route joins this list
    assert len(requests) == 8
    with client() as c:
        for method, path in requests:
            response = c.request(
                method, path, data={"status": "booked", "note": "x"} if method == "POST" else None
            )
            assert "Private Person" not in response.text and "+61412345678" not in response.text, path
            if method == "GET" and path not in auth.API_PATHS:
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/reception/login?next="), path
            else:
                assert response.status_code == 401, (method, path)
        # A forged cookie (signed with another key) or a bare token is no better.
        for cookie in (
            "forged.value.sig",
            auth.TimestampSigner("other-key", salt="reception-session").sign("x").decode(),
        ):
            c.cookies.set(auth.SESSION_COOKIE, cookie, path="/reception")
            assert c.get("/reception").status_code == 303
            assert c.get("/reception/export.csv").status_code == 401
    assert _status_of(code) == "new"


def test_unknown_reception_paths_are_refused_too(app_db):
    with client() as c:
        assert c.get("/reception/admin").status_code == 303
        assert c.get("/reception/handoffs").status_code == 303


def test_expired_session_is_refused(app_db):
    with client() as c:
        assert log_in(c).status_code == 303
        assert c.get("/reception").status_code == 200
        with session_scope() as session:
            session.execute(update(StaffSession).values(expires_at=auth.utcnow() - timedelta(seconds=1)))
        assert c.get("/reception").status_code == 303
        assert c.get("/reception/events").status_code == 401


def test_security_headers_and_cookie_flags(app_db, monkeypatch):
    with client() as c:
        page = c.get("/reception/login")
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert 'src="/reception/static/reception.js"' in page.text and "<script>" not in page.text
        login = log_in(c)
        cookie = login.headers["set-cookie"].lower()
        assert "reception_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "max-age=28800" in cookie and "path=/reception" in cookie and "secure" not in cookie
        queue = c.get("/reception")
        assert queue.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in queue.headers["content-security-policy"]
        assert " style=" not in queue.text and "<script>" not in queue.text  # nothing inline
    configure(monkeypatch, app_db, WEB_COOKIE_SECURE="true", SESSION_MAX_AGE_S="600")
    with client() as c:
        cookie = log_in(c).headers["set-cookie"].lower()
        assert "; secure" in cookie and "max-age=600" in cookie


# --- CSRF ------------------------------------------------------------------------------------------


def test_forms_refuse_a_wrong_or_missing_csrf_token(app_db):
    code = make_handoff(result=ITBS_RESULT)
    with client() as c, client("10.0.0.2") as other:
        # login form: without the token (or with another browser's) nothing happens
        c.get("/reception/login")
        no_token = c.post("/reception/login", data={"username": "alice", "password": PASSWORD})
        assert no_token.status_code == 403 and auth.SESSION_COOKIE not in no_token.cookies
        assert log_in(c).status_code == 303
        assert log_in(other).status_code == 303
        other_token = csrf_of(other.get("/reception").text)

        for token in (None, "", "not-the-token", other_token):
            data = {"status": "booked", "note": "should not be saved"}
            if token is not None:
                data["csrf_token"] = token
            response = c.post(f"/reception/handoffs/{code}", data=data)
            assert response.status_code == 403, token
        assert _status_of(code) == "new"
        with session_scope() as session:
            assert session.scalar(select(func.count()).select_from(HandoffStatusChange)) == 0

        # logout with a wrong token does not end the session
        assert c.post("/reception/logout", data={"csrf_token": "nope"}).status_code == 403
        assert c.get("/reception").status_code == 200

        good = c.post(
            f"/reception/handoffs/{code}",
            data={"status": "booked", "csrf_token": csrf_of(c.get("/reception").text)},
        )
        assert good.status_code == 303 and _status_of(code) == "booked"


# --- injection ------------------------------------------------------------------------------------


SQL_ATTACKS = [
    "' OR '1'='1",
    "'; DROP TABLE handoffs; --",
    "%",
    "_",
    "\\",
    "x' UNION SELECT password_hash FROM staff_users --",
]


def test_sql_injection_in_search_does_nothing(app_db):
    code = make_handoff(result=ITBS_RESULT)
    with client() as c:
        log_in(c)
        for attack in SQL_ATTACKS:
            page = c.get("/reception", params={"q": attack})
            assert page.status_code == 200, attack
            assert code not in page.text, attack  # matched literally: nobody is called that
            assert "$argon2" not in page.text
            csv = c.get("/reception/export.csv", params={"q": attack})
            assert csv.status_code == 200 and code not in csv.text and "$argon2" not in csv.text
        assert code in c.get("/reception", params={"q": "sam"}).text
    engine = make_engine(app_db)
    try:
        assert {"handoffs", "staff_users", "triages"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_html_injection_in_notes_names_and_search_is_shown_as_text(app_db):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    code = make_handoff(result=ITBS_RESULT, name=f"Eve {attack}", preferred_times=attack)
    with client() as c:
        log_in(c)
        page = c.get(f"/reception/handoffs/{code}")
        saved = c.post(
            f"/reception/handoffs/{code}",
            data={"status": "contacted", "note": attack, "csrf_token": csrf_of(page.text)},
        )
        assert saved.status_code == 303
        for html in (
            c.get(f"/reception/handoffs/{code}").text,
            c.get("/reception").text,
            c.get("/reception", params={"q": attack}).text,
        ):
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;alert(" in html or "&lt;script&gt;" in html
    with session_scope() as session:
        assert session.scalar(select(HandoffStatusChange.note)) == attack  # kept as typed, shown as text


# --- logout, replay, rate limit ---------------------------------------------------------------------


def test_cookie_replayed_after_logout_is_refused(app_db):
    make_handoff(result=ITBS_RESULT)
    with client() as c:
        log_in(c)
        copied = c.cookies.get(auth.SESSION_COOKIE)
        assert copied
        page = c.get("/reception")
        logout = c.post("/reception/logout", data={"csrf_token": csrf_of(page.text)})
        assert logout.status_code == 303 and logout.headers["location"] == "/reception/login"
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
    with client("10.9.9.9") as thief:
        thief.cookies.set(auth.SESSION_COOKIE, copied, path="/reception")
        assert thief.get("/reception").status_code == 303
        assert thief.get("/reception/export.csv").status_code == 401
        assert thief.get("/reception/events").status_code == 401


def test_login_is_rate_limited_per_account(app_db):
    with client() as c:
        for _ in range(auth.MAX_FAILURES_PER_ACCOUNT):
            assert log_in(c, password="wrong password").status_code == 401
        locked = log_in(c)  # even the right password now waits
        assert locked.status_code == 429 and "Too many" in locked.text
        assert auth.SESSION_COOKIE not in locked.cookies
    with client("10.0.0.7") as elsewhere:  # another address does not unlock the account
        assert log_in(elsewhere).status_code == 429
    make_user("bob")
    with client() as c:  # the address itself is not yet over its limit
        assert log_in(c, "bob").status_code == 303


def test_login_is_rate_limited_per_address(app_db):
    make_user("bob")
    with client("10.1.1.1") as attacker:
        for n in range(auth.MAX_FAILURES_PER_ADDRESS):
            assert log_in(attacker, f"guess{n}", "wrong password").status_code == 401
        assert log_in(attacker, "bob").status_code == 429
    with client("10.2.2.2") as colleague:
        assert log_in(colleague, "bob").status_code == 303


def test_a_successful_login_clears_the_accounts_failures(app_db):
    with client() as c:
        for _ in range(auth.MAX_FAILURES_PER_ACCOUNT - 1):
            log_in(c, password="wrong password")
        assert log_in(c).status_code == 303
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_unknown_user_and_wrong_password_get_the_same_answer(app_db):
    with client() as c:
        unknown = log_in(c, "nobody", "whatever password")
        wrong = log_in(c, "alice", "whatever password")
        assert unknown.status_code == wrong.status_code == 401
        assert "Wrong username or password" in unknown.text and "Wrong username or password" in wrong.text


def test_login_does_not_redirect_off_site(app_db):
    with client() as c:
        assert log_in(c, next_="https://evil.example/").headers["location"] == "/reception"
    with client() as c:
        assert log_in(c, next_="//evil.example/").headers["location"] == "/reception"
    with client() as c:
        assert log_in(c, next_="/reception?status=new").headers["location"] == "/reception?status=new"


def test_password_reset_ends_the_accounts_sessions(app_db):
    with client() as c:
        log_in(c)
        assert c.get("/reception").status_code == 200
        make_user("alice", "a brand new password")
        assert c.get("/reception").status_code == 303
        assert log_in(c, password=PASSWORD).status_code == 401
        assert log_in(c, password="a brand new password").status_code == 303


# --- passwords in clear: never ------------------------------------------------------------------------


def _every_text_in_the_database(db_url: str) -> str:
    engine = make_engine(db_url)
    try:
        dump = []
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    dump.append(repr(tuple(row)))
        return "\n".join(dump)
    finally:
        engine.dispose()


def test_passwords_are_never_stored_or_logged_in_clear(db_url, monkeypatch, caplog):
    configure(monkeypatch, db_url)
    secret = "Tr0ub4dor&3-unique-secret"
    env = {
        **__import__("os").environ,
        "DATABASE_URL": db_url,
        "WEB_SECRET_KEY": "x" * 64,
        "PYTHONPATH": str(ROOT),
    }
    created = subprocess.run(
        [sys.executable, "-m", "bot.web.reception.users", "carol"],
        input=secret + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert created.returncode == 0, created.stderr
    assert "Created reception account carol" in created.stdout
    assert secret not in created.stdout + created.stderr

    caplog.set_level(logging.DEBUG)
    with client() as c:
        assert log_in(c, "carol", secret).status_code == 303
    with client() as c:
        assert log_in(c, "carol", secret + "x").status_code == 401
        # a password typed into the username box is not kept either
        assert log_in(c, secret, "anything at all").status_code == 401

    everything = _every_text_in_the_database(db_url)
    assert secret not in everything
    with session_scope() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(StaffUser.username == "carol"))
    assert stored.startswith("$argon2id$")
    assert secret not in caplog.text and "carol" in caplog.text  # who logged in is logged; never the secret


def test_user_command_refuses_a_short_password_and_resets_an_existing_one(db_url, monkeypatch):
    configure(monkeypatch, db_url)
    env = {**__import__("os").environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    run = lambda name, password: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "bot.web.reception.users", name],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    short = run("dave", "short")
    assert short.returncode == 2 and "at least" in short.stderr
    assert run("Dave", "first password ok").returncode == 0
    reset = run("dave", "second password ok")
    assert reset.returncode == 0 and "New password set for dave" in reset.stdout
    assert run("bad name!", "long enough password").returncode == 2
    with client() as c:
        assert log_in(c, "DAVE", "second password ok").status_code == 303

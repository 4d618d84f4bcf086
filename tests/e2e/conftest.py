"""Fixtures that run the whole assistant: trained model, Rasa server, action server, databases.

One set of servers per test run, shared by every suite here (REST, Telegram, browser, faults):
starting Rasa costs ~20 s of CPU, so no test starts its own unless it must stop one.

- `stack`: the embedded default (SQLite clinic database and tracker store), with the web app
  (`stack.web_url`: widget, demo page, reception screen).
- `browser`: one headless Debian Chromium driven by Playwright for the whole run; tests open
  their own `browser.new_context()`.
- `stack_without_actions`: a Rasa server whose action server is down.
- `production_stack`: PostgreSQL clinic database and tracker store, Redis lock store
  (endpoints.production.yml), skipped with the reason only when a service can't be reached.
- `cliniko`: the Cliniko stand-in (tests/standins/cliniko.py) for the whole run; `cliniko_on`
  points a running stack's action server at it (only the action server restarts, a few
  seconds) and back afterwards, so booking tests use the shared stacks, not new ones.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from bot.db.migrate import upgrade
from tests.e2e.servers import MODEL, VENV_RASA, Stack, make_stack
from tests.services import unavailable
from tests.standins.cliniko import API_KEY, ClinikoStandIn

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session", autouse=True)
def _trained_model() -> None:
    if not (VENV_RASA / "bin" / "rasa").exists() or not MODEL.exists():
        pytest.fail(
            f"end-to-end tests need {VENV_RASA}/bin/rasa and {MODEL}: run `make test` "
            "(it sets up and trains first)"
        )


def _running(
    stack: Stack, endpoints: str = "endpoints.yml", actions: bool = True, web: bool = False
) -> Iterator[Stack]:
    try:
        upgrade(stack.database_url)
        if actions:
            stack.start_actions()
        stack.start_rasa(endpoints)
        if web:
            stack.start_web()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _running(make_stack(tmp_path_factory.mktemp("stack")), web=True)


@pytest.fixture(scope="session")
def stack_without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # ACTION_PORT points at a port nothing listens on: the action server is "down".
    yield from _running(make_stack(tmp_path_factory.mktemp("no-actions")), actions=False)


def _postgres_admin():
    engine = create_engine(
        make_url(POSTGRES_URL),
        poolclass=pool.NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - unreachable is the only reason to skip
        unavailable("postgres", f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")
    return engine


@pytest.fixture(scope="session")
def production_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable("redis", f"Redis not reachable at {REDIS_URL}: {exc}")
    admin = _postgres_admin()
    suffix = uuid.uuid4().hex[:8]
    clinic_db, tracker_db = f"clinic_e2e_{suffix}", f"tracker_e2e_{suffix}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{clinic_db}"'))
    base = make_url(POSTGRES_URL)
    redis_url = urlparse(REDIS_URL)
    try:
        stack = make_stack(
            tmp_path_factory.mktemp("production"),
            DATABASE_URL=base.set(database=clinic_db).render_as_string(hide_password=False),
            TRACKER_DB_HOST=base.host or "127.0.0.1",
            TRACKER_DB_PORT=str(base.port or 5432),
            TRACKER_DB_NAME=tracker_db,
            TRACKER_DB_USER=base.username or "postgres",
            TRACKER_DB_PASSWORD=base.password or "",
            # Rasa logs in here to create the tracker database, as it would in production.
            TRACKER_DB_LOGIN_DB=base.database or "postgres",
            REDIS_HOST=redis_url.hostname or "127.0.0.1",
            REDIS_PORT=str(redis_url.port or 6379),
            REDIS_DB=redis_url.path.strip("/") or "15",
            REDIS_PASSWORD="",
        )
        yield from _running(stack, endpoints="endpoints.production.yml")
    finally:
        with admin.connect() as connection:
            for name in (clinic_db, tracker_db):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def cliniko() -> Iterator[ClinikoStandIn]:
    with ClinikoStandIn() as standin:
        yield standin


def cliniko_on(stack: Stack, standin: ClinikoStandIn, **settings: str) -> Iterator[Stack]:
    """The stack's action server with Cliniko switched on (CLINIKO_API_KEY and friends), then
    restarted without it again, so every other test sees booking as a reception call-back."""
    wanted = {
        "CLINIKO_API_KEY": API_KEY,
        "CLINIKO_API_URL": standin.base_url,
        "CLINIKO_CONTACT_EMAIL": "it@clinic.example",
        "CLINIKO_TIMEOUT_S": "2",
        **settings,
    }
    before = {name: stack.env.get(name) for name in wanted}
    stack.env.update(wanted)
    stack.stop_process("actions")
    stack.start_actions()
    try:
        yield stack
    finally:
        for name, value in before.items():
            if value is None:
                stack.env.pop(name, None)
            else:
                stack.env[name] = value
        stack.stop_process("actions")
        stack.start_actions()


CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()

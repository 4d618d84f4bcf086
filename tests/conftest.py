"""Shared pytest fixtures: clinic databases only.

- `empty_db_url`: a new, empty database, once per backend (SQLite temp file, PostgreSQL
  throwaway schema). PostgreSQL is `postgresql+psycopg://postgres@127.0.0.1:5432/test` unless
  `TEST_POSTGRES_URL` says otherwise; its tests are skipped (with the reason) only when the server
  can't be reached, and fail instead when `TEST_POSTGRES_REQUIRED=1` (CI with a service).
- `db_url`: the same, migrated to head. `db_engine`, `db_session` build on it.
- `sqlite_db_url`: a migrated SQLite file only, for tests elsewhere that need "a database" and
  nothing backend-specific. Point `session_scope()` at it with
  `monkeypatch.setenv("DATABASE_URL", sqlite_db_url)`.

Every PostgreSQL schema made here is dropped afterwards, so runs never collide or leave tables.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.db.migrate import upgrade
from bot.db.session import make_engine, session_factory
from tests.services import unavailable

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_RUN_TOKEN = uuid.uuid4().hex[:8]
_schema_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_admin_engine() -> Iterator[Engine]:
    """An engine on the test PostgreSQL database (skips when unreachable)."""
    url = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL))
    engine = make_engine(url, poolclass=pool.NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        engine.dispose()
        reason = (
            f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)}: "
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        )
        unavailable("postgres", reason)
    yield engine
    prefix = f"clinic_test_{_RUN_TOKEN}_"
    with engine.begin() as connection:  # anything a crashed test left behind
        for (schema,) in connection.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": prefix + "%"}
        ):
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """URL of a new, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'clinic.db'}"  # folder doesn't exist yet on purpose
        return
    admin: Engine = request.getfixturevalue("postgres_admin_engine")
    schema = f"clinic_test_{_RUN_TOKEN}_{next(_schema_numbers)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """URL of a database migrated to head, on each backend."""
    upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    session = session_factory(db_engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def sqlite_db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    upgrade(url)
    return url


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read once per process; a test that sets an environment variable gets them
    read again, and the next test does not see its values."""
    from bot.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

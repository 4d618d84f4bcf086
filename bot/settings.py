"""Every setting of the assistant, in one typed object read once from the environment.

Defaults run the whole assistant locally on SQLite with no accounts; production overrides them
(`.env.example` documents each one). `.env` at the project root is read once, with python-dotenv;
a variable set in the real environment wins. Nothing secret has a default that would be safe in
production: the Rasa API token and the web app's signing key are generated once per checkout into
`var/` (git-ignored, mode 600) when they are not set.

The shell scripts and the Procfile take the same values from here:
`python -m bot.settings --export` prints them as `export NAME=value` lines (scripts/env.sh).
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _secret_file(name: str) -> str:
    """A random secret kept in var/<name> (created once, readable by this user only)."""
    path = VAR_DIR / name
    if not path.exists() or not path.read_text().strip():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        tmp.replace(path)
    return path.read_text().strip()


def _file_secret(name: str) -> str:
    """The secret in the file named by the variable `name` (e.g. a mounted secret), or ""."""
    path = os.environ.get(name)
    return Path(path).read_text().strip() if path else ""


def _str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # --- clinic database (SQLAlchemy URL) ---
    database_url: str
    # --- Rasa server ---
    rasa_port: int
    rasa_url: str  # where the other processes reach Rasa
    rasa_public_url: str  # where a visitor's browser reaches Rasa's Socket.IO channel
    rasa_auth_token: str
    rasa_endpoints: str
    # --- action server ---
    action_port: int
    action_host: str
    action_server_url: str
    # --- tracker store (SQLite default; PostgreSQL in endpoints.production.yml) ---
    tracker_db: str
    tracker_db_host: str
    tracker_db_port: int
    tracker_db_name: str
    tracker_db_user: str
    tracker_db_password: str
    tracker_db_login_db: str
    tracker_store: str  # sqlite | postgresql (endpoints.yml, components/stores.py)
    lock_store: str  # in_memory | redis (endpoints.yml, components/stores.py)
    # --- Redis lock store (endpoints.production.yml) ---
    redis_host: str
    redis_port: int
    redis_db: int
    redis_password: str
    # --- clinic details shown to people ---
    clinic_phone: str
    kenmore_hours: str
    jindalee_hours: str
    # --- web app: widget, demo page, reception screen (bot/web) ---
    web_host: str
    web_port: int
    web_public_url: str  # how staff and visitors reach the web app (links in notifications)
    web_secret_key: str  # signs session cookies and CSRF tokens
    web_cookie_secure: bool  # True behind TLS in production
    session_max_age_s: int
    # --- Telegram (bot/telegram) ---
    telegram_bot_token: str
    telegram_api_base_url: str  # python-telegram-bot's base_url form
    telegram_webhook_url: str  # empty: polling
    telegram_webhook_secret: str
    telegram_webhook_port: int
    telegram_relay_secret: str  # the relay's shared secret for its own Rasa input channel
    telegram_allow_groups: bool
    telegram_staff_chat_ids: str  # comma-separated chat ids notified of new handoffs
    telegram_rasa_timeout_s: int  # how long the relay waits for Rasa before telling the person
    # --- data retention ---
    retention_days: int
    # --- clinic sites (shown in booking confirmations) and time zone ---
    clinic_timezone: str  # IANA name; Brisbane has no daylight saving
    kenmore_address: str  # empty: the address Cliniko holds for the business
    jindalee_address: str
    # --- red-flag safety net: the sentence-embedding net (bot/triage/parsing/embeddings.py) ---
    safety_embeddings: bool  # false: rules and word features only (the health check says so)
    safety_embedding_threads: int  # onnxruntime threads per action server
    # --- Cliniko booking (bot/booking); empty key: off, reception calls back as before ---
    cliniko_api_key: str
    cliniko_api_url: str  # empty: from the key's shard suffix (…-au1 → https://api.au1.cliniko.com/v1)
    cliniko_contact_email: str  # in the User-Agent Cliniko requires
    cliniko_business_id_kenmore: str  # empty: the business whose name contains "Kenmore"
    cliniko_business_id_jindalee: str
    cliniko_type_running: str  # appointment type name when ITBS is likely
    cliniko_type_general: str  # appointment type name for a general assessment
    cliniko_timeout_s: float
    cliniko_requests_per_minute: int
    # --- continuity: check-ins, resuming, summaries ---
    followup_after_days: int
    followup_quiet_hours: str  # "20-8": none sent from 20:00 to 08:00 clinic time; empty: none
    followup_interval_s: int  # how often `make run` looks for due check-ins
    resume_within_days: int
    summary_link_ttl_s: int  # how long a widget's PDF download link works
    # --- clinic analytics (bot/analytics) ---
    analytics_broker_url: (
        str  # empty: Rasa's SQL event broker (analytics_events_db); amqp://…: RabbitMQ; off: none
    )
    analytics_events_db: str  # the SQL event broker's database (SQLAlchemy URL); RabbitMQ's spool
    analytics_queue: str
    analytics_abandon_after_min: int
    analytics_hash_key: str  # keys the hash that stands for a conversation id in the analytics tables
    # --- hardening ---
    action_server_secret: str  # Rasa sends it on every action call; the action server checks it
    web_trusted_proxies: str  # comma-separated addresses whose X-Forwarded-For is believed
    widget_allowed_origins: str  # comma-separated origins allowed to talk to Rasa from a browser
    session_idle_s: int  # a reception session ends after this long without a request
    widget_history_per_minute: int  # widget history requests per client address (per web process)
    widget_history_global_per_minute: int  # all widget history requests together (per web process)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def cliniko_enabled(self) -> bool:
        return bool(self.cliniko_api_key)


def _read() -> Settings:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    rasa_port = _int("RASA_PORT", 5005)
    action_port = _int("ACTION_PORT", 5055)
    action_host = _str("ACTION_HOST", "localhost")
    web_port = _int("WEB_PORT", 8000)
    return Settings(
        database_url=_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clinic.db'}"),
        rasa_port=rasa_port,
        rasa_url=_str("RASA_URL", f"http://localhost:{rasa_port}"),
        rasa_public_url=_str("RASA_PUBLIC_URL", f"http://localhost:{rasa_port}"),
        rasa_auth_token=os.environ.get("RASA_AUTH_TOKEN")
        or _file_secret("RASA_AUTH_TOKEN_FILE")
        or _secret_file("rasa_token"),
        rasa_endpoints=_str("RASA_ENDPOINTS", "endpoints.yml"),
        action_port=action_port,
        action_host=action_host,
        action_server_url=_str("ACTION_SERVER_URL", f"http://{action_host}:{action_port}"),
        tracker_db=_str("TRACKER_DB", str(VAR_DIR / "tracker.db")),
        tracker_db_host=_str("TRACKER_DB_HOST", "127.0.0.1"),
        tracker_db_port=_int("TRACKER_DB_PORT", 5432),
        tracker_db_name=_str("TRACKER_DB_NAME", "rasa_tracker"),
        tracker_db_user=_str("TRACKER_DB_USER", "postgres"),
        tracker_db_password=_str("TRACKER_DB_PASSWORD", ""),
        tracker_db_login_db=_str("TRACKER_DB_LOGIN_DB", "postgres"),
        tracker_store=_str("TRACKER_STORE", "sqlite"),
        lock_store=_str("LOCK_STORE", "in_memory"),
        redis_host=_str("REDIS_HOST", "127.0.0.1"),
        redis_port=_int("REDIS_PORT", 6379),
        redis_db=_int("REDIS_DB", 1),
        redis_password=_str("REDIS_PASSWORD", ""),
        clinic_phone=_str("CLINIC_PHONE", "(07) 3000 0000"),
        kenmore_hours=_str("CLINIC_HOURS_KENMORE", "Mon–Fri 7am–7pm, Sat 7am–12pm"),
        jindalee_hours=_str("CLINIC_HOURS_JINDALEE", "Mon–Fri 7am–7pm, Sat 7am–12pm"),
        web_host=_str("WEB_HOST", "127.0.0.1"),
        web_port=web_port,
        web_public_url=_str("WEB_PUBLIC_URL", f"http://localhost:{web_port}"),
        web_secret_key=os.environ.get("WEB_SECRET_KEY") or _secret_file("web_secret"),
        web_cookie_secure=_bool("WEB_COOKIE_SECURE", False),
        session_max_age_s=_int("SESSION_MAX_AGE_S", 8 * 3600),
        telegram_bot_token=_str("TELEGRAM_BOT_TOKEN", ""),
        telegram_api_base_url=_str("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
        telegram_webhook_url=_str("TELEGRAM_WEBHOOK_URL", ""),
        telegram_webhook_secret=_str("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_webhook_port=_int("TELEGRAM_WEBHOOK_PORT", 8443),
        telegram_relay_secret=os.environ.get("TELEGRAM_RELAY_SECRET")
        or _secret_file("telegram_relay_secret"),
        telegram_allow_groups=_bool("TELEGRAM_ALLOW_GROUPS", False),
        telegram_staff_chat_ids=_str("TELEGRAM_STAFF_CHAT_IDS", ""),
        telegram_rasa_timeout_s=_int("TELEGRAM_RASA_TIMEOUT_S", 30),
        retention_days=_int("RETENTION_DAYS", 365),
        clinic_timezone=_str("CLINIC_TIMEZONE", "Australia/Brisbane"),
        kenmore_address=_str("CLINIC_ADDRESS_KENMORE", ""),
        jindalee_address=_str("CLINIC_ADDRESS_JINDALEE", ""),
        safety_embeddings=_bool("SAFETY_EMBEDDINGS", True),
        safety_embedding_threads=_int("SAFETY_EMBEDDING_THREADS", 1),
        cliniko_api_key=_str("CLINIKO_API_KEY", ""),
        cliniko_api_url=_str("CLINIKO_API_URL", ""),
        cliniko_contact_email=_str("CLINIKO_CONTACT_EMAIL", ""),
        cliniko_business_id_kenmore=_str("CLINIKO_BUSINESS_ID_KENMORE", ""),
        cliniko_business_id_jindalee=_str("CLINIKO_BUSINESS_ID_JINDALEE", ""),
        cliniko_type_running=_str("CLINIKO_TYPE_RUNNING", "Running Assessment"),
        cliniko_type_general=_str("CLINIKO_TYPE_GENERAL", "Initial Consultation"),
        cliniko_timeout_s=float(_str("CLINIKO_TIMEOUT_S", "5")),
        cliniko_requests_per_minute=_int("CLINIKO_REQUESTS_PER_MINUTE", 200),
        followup_after_days=_int("FOLLOWUP_AFTER_DAYS", 14),
        followup_quiet_hours=_str("FOLLOWUP_QUIET_HOURS", "20-8"),
        followup_interval_s=_int("FOLLOWUP_INTERVAL_S", 300),
        resume_within_days=_int("RESUME_WITHIN_DAYS", 7),
        summary_link_ttl_s=_int("SUMMARY_LINK_TTL_S", 24 * 3600),
        analytics_broker_url=_str("ANALYTICS_BROKER_URL", ""),
        analytics_events_db=_str("ANALYTICS_EVENTS_DB", f"sqlite:///{VAR_DIR / 'events.db'}"),
        analytics_queue=_str("ANALYTICS_QUEUE", "rasa_events"),
        analytics_abandon_after_min=_int("ANALYTICS_ABANDON_AFTER_MIN", 30),
        analytics_hash_key=os.environ.get("ANALYTICS_HASH_KEY") or _secret_file("analytics_hash_key"),
        action_server_secret=os.environ.get("ACTION_SERVER_SECRET") or _secret_file("action_server_secret"),
        web_trusted_proxies=_str("WEB_TRUSTED_PROXIES", ""),
        widget_allowed_origins=_str(
            "WIDGET_ALLOWED_ORIGINS", f"http://localhost:{web_port},http://127.0.0.1:{web_port}"
        ),
        session_idle_s=_int("SESSION_IDLE_S", 30 * 60),
        widget_history_per_minute=_int("WIDGET_HISTORY_PER_MINUTE", 30),
        widget_history_global_per_minute=_int("WIDGET_HISTORY_GLOBAL_PER_MINUTE", 300),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process (tests call `get_settings.cache_clear()`)."""
    return _read()


# Environment names of the fields, for `--export` (the shell scripts, Rasa's ${VAR} expansion in
# endpoints*.yml and the Procfile read these).
_ENV_NAMES = {
    "kenmore_hours": "CLINIC_HOURS_KENMORE",
    "jindalee_hours": "CLINIC_HOURS_JINDALEE",
    "kenmore_address": "CLINIC_ADDRESS_KENMORE",
    "jindalee_address": "CLINIC_ADDRESS_JINDALEE",
}


def export_lines(settings: Settings) -> list[str]:
    lines = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, bool):
            value = "true" if value else "false"
        name = _ENV_NAMES.get(f.name, f.name.upper())
        lines.append(f"export {name}={shlex.quote(str(value))}")
    return lines


if __name__ == "__main__":
    if sys.argv[1:] != ["--export"]:
        sys.exit("usage: python -m bot.settings --export")
    print("\n".join(export_lines(get_settings())))

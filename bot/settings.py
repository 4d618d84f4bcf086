"""Every setting of the assistant, read once from environment variables.

Defaults run the whole assistant locally on SQLite with no accounts; production overrides them
(see `.env.example`). Nothing secret has a default that would be safe in production.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _load_dotenv() -> None:
    """Read `.env` at the project root if present; real environment variables win."""
    env_file = PROJECT_ROOT / ".env"
    if not env_file.exists():
        return
    for line in env_file.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def _local_token() -> str:
    token_file = PROJECT_ROOT / "var" / "rasa_token"
    return token_file.read_text().strip() if token_file.exists() else ""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'clinic.db'}")
    )
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://localhost:5005"))
    # Never a fixed default: scripts/env.sh generates one per checkout into var/rasa_token.
    rasa_auth_token: str = field(default_factory=lambda: _env("RASA_AUTH_TOKEN", _local_token()))
    action_port: int = field(default_factory=lambda: int(_env("ACTION_PORT", "5055")))
    clinic_phone: str = field(default_factory=lambda: _env("CLINIC_PHONE", "(07) 3000 0000"))
    kenmore_hours: str = field(
        default_factory=lambda: _env("CLINIC_HOURS_KENMORE", "Mon–Fri 7am–7pm, Sat 7am–12pm")
    )
    jindalee_hours: str = field(
        default_factory=lambda: _env("CLINIC_HOURS_JINDALEE", "Mon–Fri 7am–7pm, Sat 7am–12pm")
    )


def get_settings() -> Settings:
    _load_dotenv()
    return Settings()

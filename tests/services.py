"""What a test does when a real service it needs (PostgreSQL, Redis, RabbitMQ) cannot be reached.

Locally it is skipped with the reason. Where the service must be there (CI sets
TEST_POSTGRES_REQUIRED=1, TEST_REDIS_REQUIRED=1 and TEST_RABBITMQ_REQUIRED=1), the test fails
instead: a skip there would hide a broken set-up. Imports nothing but pytest, so both environments
can use it.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(service: str, reason: str) -> NoReturn:
    """`service` is "postgres", "redis" or "rabbitmq"; `reason` says what failed, with the address."""
    if os.environ.get(f"TEST_{service.upper()}_REQUIRED") == "1":
        pytest.fail(f"{reason} (TEST_{service.upper()}_REQUIRED=1)")
    pytest.skip(reason)

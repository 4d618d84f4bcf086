"""Fixtures for the tests of components/ (run in the Rasa environment, without tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read once per process: a test that sets an environment variable gets them read
    again, and the next test does not see its values."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _no_remembered_health() -> None:
    """The guarded channels trust a healthy action server for a moment; tests start from none."""
    from components import channels

    channels._last_healthy = float("-inf")

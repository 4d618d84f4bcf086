"""The reception screen under `/reception` (issue: reception)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
middleware: list[Middleware] = []


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Start-up and shut-down of the reception's background work (none yet)."""
    yield

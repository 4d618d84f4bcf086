"""The reception screen under `/reception` (issue 11): staff log in, review the handoffs the
assistant created, read each conversation and record the follow-up.

Exposed to `bot.web.app`: `routes`, `middleware` (the session guard in front of every reception
path) and `lifespan` (the poller behind live updates and staff notifications). The route table is
in docs/contracts.md, "Web app".
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.web.reception import analytics, views
from bot.web.reception.auth import ReceptionGuard
from bot.web.reception.events import running_poller

routes: list[BaseRoute] = [
    Route("/reception/login", views.login_page, methods=["GET"]),
    Route("/reception/login", views.login, methods=["POST"]),
    Route("/reception/logout", views.logout, methods=["POST"]),
    Route("/reception", views.queue_page, methods=["GET"]),
    Route("/reception/events", views.events, methods=["GET"]),
    Route("/reception/export.csv", views.export_csv, methods=["GET"]),
    Route("/reception/analytics", analytics.analytics_page, methods=["GET"]),
    Route("/reception/analytics.json", analytics.analytics_json, methods=["GET"]),
    Route("/reception/analytics.csv", analytics.analytics_csv, methods=["GET"]),
    Route("/reception/handoffs/{reference_code}", views.handoff_page, methods=["GET"]),
    Route("/reception/handoffs/{reference_code}", views.save_follow_up, methods=["POST"]),
    Mount(
        "/reception/static",
        StaticFiles(directory=Path(__file__).resolve().parent / "static"),
        name="reception-static",
    ),
]
middleware: list[Middleware] = [Middleware(ReceptionGuard)]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Runs the handoff poller (live queue updates, staff notifications) while the app serves."""
    async with running_poller():
        yield

"""The website chat widget: `/widget.js`, its static files under `/widget/`, its history API and
the demo clinic pages at `/` and `/locations` (docs/contracts.md, "Web app"; README, "Website
chat widget")."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.web.widget import history, pages

routes: list[BaseRoute] = [
    Route("/", pages.home),
    Route("/locations", pages.locations),
    Route("/widget.js", pages.widget_script),
    Route("/widget/api/history", history.history, methods=["POST", "OPTIONS"]),
    Mount("/widget", app=StaticFiles(directory=pages.STATIC_DIR), name="widget_static"),
]
middleware: list[Middleware] = []

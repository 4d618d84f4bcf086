"""The website chat widget: `/widget.js` and the demo clinic page at `/` (issue: widget)."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
middleware: list[Middleware] = []

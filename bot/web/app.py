"""One ASGI app for everything the clinic's web server shows (see docs/contracts.md, "Web app").

Each part is a subpackage that exposes `routes` (Starlette routes, mounted as they are) and
`middleware` (applied around the whole app); this module only assembles them and adds what
every response needs: security headers and a health check.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import get_settings
from bot.web import reception, widget

# Used when a route sets no Content-Security-Policy of its own: no inline script anywhere, and
# no page of ours may be framed by another site.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Sent when WEB_COOKIE_SECURE=true (the site is served over TLS): browsers then refuse plain HTTP
# to this host for a year, so a session cookie is never offered to a downgraded connection.
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds nosniff, a referrer policy, the default CSP and, behind TLS, HSTS to every response
    (pure ASGI, so streaming responses such as server-sent events pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", DEFAULT_CSP.encode()),
        ]
        if get_settings().web_cookie_secure:
            extra.append((b"strict-transport-security", HSTS))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in extra:
                    if name not in present:
                        headers.append((name, value))
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    return Starlette(
        routes=[Route("/healthz", health), *widget.routes, *reception.routes],
        middleware=[Middleware(SecurityHeaders), *widget.middleware, *reception.middleware],
        lifespan=reception.lifespan,
    )

"""The widget's script (`/widget.js`) and the demo clinic pages (`/`, `/locations`).

`/widget.js` is the esbuild bundle (`scripts/build_widget.sh`) wrapped in a function that gives
it this server's defaults: where the browser reaches Rasa's Socket.IO channel
(`RASA_PUBLIC_URL`) and the clinic's phone number for the "can't connect" notice.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from bot.settings import get_settings

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
BUNDLE = STATIC_DIR / "widget.js"
templates = Jinja2Templates(directory=str(HERE / "templates"))


@dataclass(frozen=True)
class Script:
    body: bytes
    gzipped: bytes
    etag: str


_cache: dict[tuple[int, int, str], Script] = {}


def server_defaults() -> dict[str, str]:
    settings = get_settings()
    return {"socketUrl": settings.rasa_public_url, "clinicPhone": settings.clinic_phone}


def widget_script_bytes() -> Script:
    """The wrapped bundle, rebuilt only when the bundle file or the defaults change."""
    stat = BUNDLE.stat()
    defaults = json.dumps(server_defaults(), ensure_ascii=True)
    key = (stat.st_mtime_ns, stat.st_size, defaults)
    if key not in _cache:
        body = (
            f"(function(){{var __clinicChatServer={defaults};\n".encode() + BUNDLE.read_bytes() + b"\n})();\n"
        )
        _cache.clear()
        _cache[key] = Script(
            body, gzip.compress(body, 9, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        )
    return _cache[key]


async def widget_script(request: Request) -> Response:
    try:
        script = widget_script_bytes()
    except FileNotFoundError:
        return PlainTextResponse("The chat widget has not been built: run scripts/build_widget.sh", 503)
    headers = {
        "ETag": script.etag,
        # Revalidated on every page view (cheap, 304) so a new release reaches visitors at once.
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == script.etag:
        return Response(status_code=304, headers=headers)
    body = script.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


def _socket_origins(public_url: str) -> str:
    """The CSP sources for Rasa's Socket.IO: its http(s) origin and the matching ws(s) one."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    websocket = "wss" if parts.scheme == "https" else "ws"
    return f"{parts.scheme}://{parts.netloc} {websocket}://{parts.netloc}"


def demo_csp() -> str:
    """Like the app's default CSP (no inline script), plus connections to Rasa's Socket.IO."""
    connect = " ".join(filter(None, ["'self'", _socket_origins(get_settings().rasa_public_url)]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def _demo(request: Request, page: str) -> Response:
    settings = get_settings()
    response = templates.TemplateResponse(
        request,
        "demo.html",
        {
            "page": page,
            "phone": settings.clinic_phone,
            "kenmore": settings.kenmore_hours,
            "jindalee": settings.jindalee_hours,
        },
    )
    response.headers["Content-Security-Policy"] = demo_csp()
    return response


async def home(request: Request) -> Response:
    return _demo(request, "home")


async def locations(request: Request) -> Response:
    return _demo(request, "locations")

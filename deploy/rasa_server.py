"""Starts the Rasa server (`rasa run`) with no secret on its command line and only the clinic's
web origins.

    .venv-rasa/bin/python -m deploy.rasa_server --enable-api --port 5005 \\
        --endpoints endpoints.yml --credentials credentials.yml --model models/clinic.tar.gz

Every option of `rasa run` works as there, except the two this launcher sets itself (giving either
is an error):

- the HTTP API token comes from `RASA_AUTH_TOKEN`, else the file named by `RASA_AUTH_TOKEN_FILE`,
  else `var/rasa_token` (bot/settings.py), so `ps` and /proc/<pid>/cmdline never show it. Clients
  send it as `Authorization: Bearer <token>` (compared in constant time); a `?token=` in a URL is
  refused with 401, since URLs end up in access logs and proxies' logs. JWT, when configured with
  Rasa's own options, works as in Rasa.
- CORS: only the origins in `WIDGET_ALLOWED_ORIGINS` (comma-separated scheme://host[:port]), on
  every route (REST webhook, HTTP API, Socket.IO), and never `Access-Control-Allow-Credentials`
  (Rasa's own set-up sends it with whatever it echoes). A request from any other Origin gets no
  CORS headers; components/channels.py makes the Socket.IO channel refuse its handshake too.

It runs Rasa's own CLI entry (`rasa.__main__.main`, hence `rasa.cli.run.run` →
`rasa.core.run.serve_application`) with those two values put into the parsed arguments, after
replacing two functions of `rasa.server` that `create_app` looks up when it builds the app:
`requires_auth` (also reads the header) and `configure_cors` (no credentials). Both are checked
against Rasa 3.6's shape first; anything else stops the launcher rather than serve with Rasa's
weaker defaults. Runs in the Rasa environment (`.venv-rasa`).
"""

from __future__ import annotations

import argparse
import hmac
import inspect
import logging
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from http import HTTPStatus
from typing import Any

logger = logging.getLogger("deploy.rasa_server")  # also when run as __main__

AUTH_HEADER = "Authorization"
AUTH_SCHEME = "bearer"
SUPPORTED_RASA = "3.6."


class LauncherError(RuntimeError):
    """Something this launcher refuses to start with."""


def bearer_token(request: Any) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, credentials = (request.headers.get(AUTH_HEADER) or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != AUTH_SCHEME or not credentials:
        return None
    return credentials


def same_secret(presented: str | None, token: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())


def header_requires_auth(rasa_requires_auth: Callable[..., Any]) -> Callable[..., Any]:
    """`rasa.server.requires_auth` that takes the token from the Authorization header and refuses
    one in the URL; everything else (JWT, Rasa's 401 answer) is Rasa's own decorator."""
    from rasa.server import ErrorResponse

    def requires_auth(app: Any, token: str | None = None) -> Callable[[Any], Any]:
        if not token:
            # Rasa's decorator treats "no token" as "no authentication": never here.
            raise LauncherError("the Rasa API token is empty")
        rasa_decorator = rasa_requires_auth(app, token)

        def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
            rasa_checked = rasa_decorator(f)

            @wraps(f)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                if "token" in request.args:
                    logger.warning(
                        "refused an API request with a token in its URL (%s %s): send it as "
                        "'Authorization: Bearer <token>'",
                        request.method,
                        request.path,
                    )
                    raise ErrorResponse(
                        HTTPStatus.UNAUTHORIZED,
                        "NotAuthenticated",
                        "A token in the URL is not accepted: send 'Authorization: Bearer <token>'.",
                    )
                if same_secret(bearer_token(request), token):
                    result = f(request, *args, **kwargs)
                    return await result if inspect.isawaitable(result) else result
                # No token in the URL: Rasa's own check can only pass through JWT, else 401.
                return await rasa_checked(request, *args, **kwargs)

            return decorated

        return decorator

    return requires_auth


def configure_cors_without_credentials(app: Any, cors_origins: str | list[str] | None = "") -> None:
    """`rasa.server.configure_cors` without `Access-Control-Allow-Credentials`, and with no CORS
    headers at all for a request without an Origin (sanic-cors's `always_send`)."""
    from sanic_cors import CORS

    origins = [cors_origins] if isinstance(cors_origins, str) else list(cors_origins or [])
    if any("*" in origin for origin in origins):
        raise LauncherError("CORS must name origins; '*' would let any website talk to Rasa")
    app.config.CORS_AUTOMATIC_OPTIONS = True
    app.config.CORS_SUPPORTS_CREDENTIALS = False
    app.config.CORS_EXPOSE_HEADERS = "filename"
    CORS(
        app,
        resources={r"/*": {"origins": [o for o in origins if o] or ""}},
        automatic_options=True,
        supports_credentials=False,
        always_send=False,
    )


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def install() -> None:
    """Replaces `rasa.server.requires_auth` and `rasa.server.configure_cors` (checked first)."""
    import rasa
    import rasa.server

    if not rasa.__version__.startswith(SUPPORTED_RASA):
        raise LauncherError(f"written for Rasa {SUPPORTED_RASA}x, found {rasa.__version__}")
    if getattr(rasa.server.requires_auth, "_clinic_header_auth", False):
        return  # already installed
    if _parameters(rasa.server.requires_auth) != ["app", "token"]:
        raise LauncherError("rasa.server.requires_auth changed shape")
    if _parameters(rasa.server.configure_cors) != ["app", "cors_origins"]:
        raise LauncherError("rasa.server.configure_cors changed shape")
    if "configure_cors(app, cors_origins)" not in inspect.getsource(rasa.server.create_app):
        raise LauncherError("rasa.server.create_app no longer calls configure_cors")
    requires_auth = header_requires_auth(rasa.server.requires_auth)
    requires_auth._clinic_header_auth = True  # type: ignore[attr-defined]
    rasa.server.requires_auth = requires_auth
    rasa.server.configure_cors = configure_cors_without_credentials


def server_settings() -> tuple[str, list[str]]:
    """(API token, allowed origins) from bot/settings.py."""
    from bot.settings import get_settings
    from components.channels import parse_origins

    settings = get_settings()
    token = settings.rasa_auth_token.strip()
    if not token:
        raise LauncherError("RASA_AUTH_TOKEN (or RASA_AUTH_TOKEN_FILE) is empty")
    origins, refused = parse_origins(settings.widget_allowed_origins)
    if refused:
        raise LauncherError(
            f"WIDGET_ALLOWED_ORIGINS: not an origin: {', '.join(map(repr, refused))} "
            "(expected scheme://host[:port], comma-separated, no wildcard)"
        )
    return token, origins


def parse_run_arguments(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """`rasa run` options, parsed by Rasa's own parser."""
    import rasa.cli.run
    from rasa.__main__ import create_argument_parser

    parser = create_argument_parser()
    args = parser.parse_args(["run", *argv])
    if getattr(args, "func", None) is not rasa.cli.run.run:
        parser.error("deploy.rasa_server starts `rasa run` only")
    if args.auth_token is not None:
        parser.error("no --auth-token here: the token comes from RASA_AUTH_TOKEN or RASA_AUTH_TOKEN_FILE")
    if args.cors is not None:
        parser.error("no --cors here: the origins come from WIDGET_ALLOWED_ORIGINS")
    return parser, args


def main(argv: Sequence[str] | None = None) -> None:
    import rasa.__main__

    parser, args = parse_run_arguments(sys.argv[1:] if argv is None else argv)
    try:
        token, origins = server_settings()
        install()
    except LauncherError as error:
        parser.exit(2, f"deploy.rasa_server: {error}\n")
    args.auth_token = token
    args.cors = origins

    # Rasa's own entry point, given the arguments parsed above (with the two values added) instead
    # of parsing sys.argv again: logging, TensorFlow, plugins and telemetry set up exactly as
    # `rasa run` does.
    create_argument_parser = rasa.__main__.create_argument_parser

    def parser_with_secrets() -> argparse.ArgumentParser:
        rasa_parser = create_argument_parser()
        rasa_parser.parse_args = lambda *_args, **_kwargs: args  # type: ignore[method-assign]
        return rasa_parser

    rasa.__main__.create_argument_parser = parser_with_secrets
    rasa.__main__.main()


if __name__ == "__main__":
    main()

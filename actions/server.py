"""The action server: rasa_sdk's own app (`python -m rasa_sdk` takes the same arguments), plus

- a shared secret: every request but the health checks must carry `X-Action-Secret` equal to
  `ACTION_SERVER_SECRET` (Rasa sends it from endpoints.yml on every action call), checked in
  constant time before any action runs; a refused call is logged without its payload. Without
  it, any process that reaches the port could run `action_delete_my_data` for another person's
  conversation, or write forged triages;
- bound to 127.0.0.1 unless `SANIC_HOST` (rasa_sdk's own setting) names a private address;
- `GET /health/safety-net`, which says whether the learned red-flag net runs on meaning and
  words, on words only (the sentence-embedding model could not load or is turned off), or not
  at all.

A net that is down is not an unhealthy server — the rules still route every red flag they read —
so the answer is always 200 with the state in the body, and `/health` stays rasa_sdk's.

    python -m actions.server --actions actions --port 5055
"""

from __future__ import annotations

import hmac
import logging
import os

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request

from bot.settings import get_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Action-Secret"
OPEN_PATHS = frozenset({"/health", "/health/safety-net"})  # no patient data, for load balancers


def safety_net_state() -> dict[str, str]:
    """What the safety net runs on in this process (read after the actions were loaded)."""
    from bot.triage.parsing import embeddings, red_flag_model

    meaning = embeddings.status()
    try:
        net = red_flag_model.model()
    except red_flag_model.NetUnavailable as error:  # the rules alone still read every message
        return {"status": "down", "net": "rules only", "embeddings": meaning.state, "reason": str(error)}
    words_only = net.mlp is None or meaning.state != "up"
    state = {
        "status": "degraded" if words_only else "up",
        "net": "words only" if words_only else "meaning + words",
        "embeddings": meaning.state,
    }
    if meaning.reason:
        state["reason"] = meaning.reason
    return state


def build_app(
    actions: str, cors: str | list[str] | None = None, auto_reload: bool = False, secret: str | None = None
) -> Sanic:
    # No CORS: only Rasa calls this server, never a browser.
    app = create_app(actions, cors_origins=cors, auto_reload=auto_reload)
    expected = (secret if secret is not None else get_settings().action_server_secret).encode()
    if not expected:
        raise SystemExit("ACTION_SERVER_SECRET is empty: the action server would accept anyone's call")

    @app.on_request
    async def only_rasa(request: Request) -> response.HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        sent = request.headers.get(SECRET_HEADER, "").encode()
        if hmac.compare_digest(sent, expected):
            return None
        logger.warning(
            "refused a call to %s %s from %s: %s",
            request.method,
            request.path,
            request.ip,
            "wrong secret" if sent else "no secret",
        )
        return response.json({"error": "not allowed"}, status=401)

    @app.get("/health/safety-net")
    async def safety_net_health(_: Request) -> response.HTTPResponse:
        return response.json(safety_net_state())

    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main() -> None:
    args = create_argument_parser().parse_args()
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = build_app(args.actions, None, args.auto_reload)
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    logger.info("action server on http://%s:%s (safety net: /health/safety-net)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()

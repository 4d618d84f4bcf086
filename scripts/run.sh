#!/usr/bin/env bash
# `make run`: one command for the whole assistant on this machine.
#   setup (skips what is up to date) → train if the training data changed → migrate the clinic
#   database → print where to chat → start every process of the Procfile with honcho.
set -Eeuo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

banner() { echo; echo "==> $*"; }

banner "run 1/4: setup"
bash scripts/setup.sh
clinic_export_settings  # the app environment exists now: export every setting

banner "run 2/4: Rasa model (trained only if its inputs changed)"
rc=0
bash scripts/train_if_changed.sh || rc=$?
if [ "$rc" = 3 ]; then
    echo "run: there is no Rasa training data to build a model from yet, so the assistant cannot start." >&2
    exit 1
elif [ "$rc" != 0 ]; then
    echo "run: training failed (exit $rc) — see the output above." >&2
    exit "$rc"
fi

banner "run 3/4: clinic database migrations ($DATABASE_URL)"
"$VENV_APP/bin/python" -m bot.db.migrate

banner "run 4/4: starting the assistant (honcho: Procfile)"
busy=""
for port in "$RASA_PORT" "$ACTION_PORT" "$WEB_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy="$busy $port"; fi
done
if [ -n "$busy" ]; then
    echo "run: port(s)$busy already in use — is the assistant already running (make run / make chat)?" >&2
    echo "     Stop it, or choose other ports: RASA_PORT=6005 ACTION_PORT=6055 WEB_PORT=8100 make run" >&2
    exit 1
fi

PROCESSES=(rasa actions web)
case "${ANALYTICS_BROKER_URL:-}" in
    off | none) ANALYTICS_STATUS="off: ANALYTICS_BROKER_URL=$ANALYTICS_BROKER_URL" ;;
    "")
        PROCESSES+=(analytics)
        ANALYTICS_STATUS="on: Rasa's SQL event broker table ($ANALYTICS_EVENTS_DB) -> python -m bot.analytics"
        ;;
    *)
        PROCESSES+=(analytics)
        ANALYTICS_STATUS="on: RabbitMQ queue $ANALYTICS_QUEUE -> python -m bot.analytics"
        ;;
esac
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
    PROCESSES+=(telegram)
    TELEGRAM_STATUS="on (TELEGRAM_BOT_TOKEN is set; ${TELEGRAM_WEBHOOK_URL:+webhook $TELEGRAM_WEBHOOK_URL}${TELEGRAM_WEBHOOK_URL:-polling})"
else
    TELEGRAM_STATUS="off: TELEGRAM_BOT_TOKEN is not set (README: \"Switching on Telegram\")"
fi

cat <<INFO

  Rasa server     http://localhost:$RASA_PORT   (ready when its log says "Rasa server is up and running", ~30 s)
  Chat over REST  POST http://localhost:$RASA_PORT/webhooks/rest/webhook
                    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender": "me", "message": "hi"}'
  Chat in a terminal  make chat   (in another terminal; it runs beside this one)
  Website + chat widget   http://localhost:$WEB_PORT/        (script: http://localhost:$WEB_PORT/widget.js)
  Reception screen        http://localhost:$WEB_PORT/reception   (staff account: make user NAME=alex)
  Clinic analytics        http://localhost:$WEB_PORT/reception/analytics   ($ANALYTICS_STATUS)
  Telegram        $TELEGRAM_STATUS
  Action server   http://localhost:$ACTION_PORT/health
  Rasa HTTP API   needs the token in a header: -H "Authorization: Bearer \$(cat var/rasa_token)"   (or RASA_AUTH_TOKEN from .env)
  Endpoints       $RASA_ENDPOINTS      Clinic database  $DATABASE_URL

  Ctrl+C stops everything.

INFO

# --env /dev/null: honcho must not re-read .env (env.sh did, letting the real environment win)
exec "$VENV_APP/bin/honcho" start --env /dev/null --app-root "$ROOT" --procfile "$ROOT/Procfile" "${PROCESSES[@]}"

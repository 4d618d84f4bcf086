#!/usr/bin/env bash
# `make run-scaled`: the production path on one machine — two Rasa servers and two action servers
# behind nginx (Debian's), on PostgreSQL (tracker store + clinic database) and Redis (lock store),
# with the web app (and the Telegram bot when TELEGRAM_BOT_TOKEN is set) talking to Rasa through
# nginx. The processes are started and stopped by deploy/cluster.py; nginx's config is rendered
# from deploy/nginx.conf.template into var/scaled/nginx.conf.
#
#   RASA_PORT (5005)   nginx → the Rasa servers (internal: REST webhook, HTTP API)
#   ACTION_PORT (5055) nginx → the action servers (internal)
#   SCALED_PUBLIC_PORT (8080) nginx → web app, widget's Socket.IO, Telegram webhook (public side)
#   WEB_PORT (8000)    the web app itself
#   SCALED_RASA_SERVERS / SCALED_ACTION_SERVERS (2 / 2)
# The clinic database must be PostgreSQL: when DATABASE_URL is the local SQLite default, the
# database `clinic` on the tracker store's PostgreSQL server is used (created if missing); the same
# for the SQL event broker's table (ANALYTICS_EVENTS_DB → database `clinic_events`). The analytics
# consumer (python -m bot.analytics) runs beside the web app unless ANALYTICS_BROKER_URL=off.
# Ctrl+C (or SIGTERM) stops everything gracefully: in-flight messages are answered first.
set -Eeuo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

banner() { echo; echo "==> $*"; }

banner "run-scaled 1/3: setup"
bash scripts/setup.sh
clinic_export_settings

banner "run-scaled 2/3: Rasa model (trained only if its inputs changed)"
bash scripts/train_if_changed.sh

banner "run-scaled 3/3: services"
if [ ! -x /usr/sbin/nginx ]; then
    echo "run-scaled: nginx is missing (Debian: apt-get install nginx; make setup installs it)." >&2
    exit 1
fi
if [[ "$DATABASE_URL" == sqlite* ]]; then
    pw="${TRACKER_DB_PASSWORD:+:$TRACKER_DB_PASSWORD}"
    export DATABASE_URL="postgresql+psycopg://${TRACKER_DB_USER}${pw}@${TRACKER_DB_HOST}:${TRACKER_DB_PORT}/clinic"
    echo "run-scaled: DATABASE_URL is SQLite; using PostgreSQL database 'clinic' on $TRACKER_DB_HOST:$TRACKER_DB_PORT."
fi
if [[ "$ANALYTICS_EVENTS_DB" == sqlite* ]] && [ -z "$ANALYTICS_BROKER_URL" ]; then
    # the SQL event broker's table, shared by the Rasa servers and read by the analytics consumer
    pw="${TRACKER_DB_PASSWORD:+:$TRACKER_DB_PASSWORD}"
    export ANALYTICS_EVENTS_DB="postgresql+psycopg://${TRACKER_DB_USER}${pw}@${TRACKER_DB_HOST}:${TRACKER_DB_PORT}/clinic_events"
    echo "run-scaled: ANALYTICS_EVENTS_DB is SQLite; Rasa's event broker table goes to PostgreSQL database 'clinic_events'."
fi
if ! (exec 3<>"/dev/tcp/$TRACKER_DB_HOST/$TRACKER_DB_PORT") 2>/dev/null; then
    echo "run-scaled: PostgreSQL is not reachable at $TRACKER_DB_HOST:$TRACKER_DB_PORT (TRACKER_DB_HOST/PORT)." >&2
    exit 1
fi
if ! (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; then
    echo "run-scaled: Redis is not reachable at $REDIS_HOST:$REDIS_PORT (REDIS_HOST/PORT)." >&2
    exit 1
fi
busy=""
for port in "$RASA_PORT" "$ACTION_PORT" "$WEB_PORT" "${SCALED_PUBLIC_PORT:-8080}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then busy="$busy $port"; fi
done
if [ -n "$busy" ]; then
    echo "run-scaled: port(s)$busy already in use — is the assistant already running (make run / make run-scaled)?" >&2
    exit 1
fi
export TRACKER_STORE=postgresql LOCK_STORE=redis
exec "$VENV_APP/bin/python" -m deploy.cluster \
    --rasa-servers "${SCALED_RASA_SERVERS:-2}" --action-servers "${SCALED_ACTION_SERVERS:-2}" \
    --public-port "${SCALED_PUBLIC_PORT:-8080}"

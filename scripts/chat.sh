#!/usr/bin/env bash
# `make chat`: talk to the assistant in this terminal.
# Starts the action server in the background (stopped again on exit), waits for its /health,
# then runs `rasa shell` with the same endpoints (tracker store) as `make run`.
# If an action server already answers on ACTION_PORT (make run in another terminal), it is reused.
set -Eeuo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# rasa shell runs its own small server; keep it off RASA_PORT so `make run` can run beside it.
CHAT_PORT="${CHAT_PORT:-5006}"

bash scripts/setup.sh >/dev/null
clinic_export_settings  # the app environment exists now: export every setting
rc=0
bash scripts/train_if_changed.sh || rc=$?
if [ "$rc" = 3 ]; then
    echo "chat: there is no Rasa training data to build a model from yet." >&2
    exit 1
elif [ "$rc" != 0 ]; then
    exit "$rc"
fi

healthy() { curl -fsS --max-time 2 "http://localhost:$ACTION_PORT/health" >/dev/null 2>&1; }

ACTIONS_PID=""
cleanup() {
    if [ -n "$ACTIONS_PID" ] && kill -0 "$ACTIONS_PID" 2>/dev/null; then
        kill "$ACTIONS_PID" 2>/dev/null || true
        wait "$ACTIONS_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if healthy; then
    echo "chat: reusing the action server already running on port $ACTION_PORT."
else
    mkdir -p var/log
    echo "chat: starting the action server on port $ACTION_PORT (log: var/log/chat-actions.log)…"
    "$VENV_APP/bin/python" -m actions.server --actions actions --port "$ACTION_PORT" >var/log/chat-actions.log 2>&1 &
    ACTIONS_PID=$!
    for _ in $(seq 1 60); do
        healthy && break
        if ! kill -0 "$ACTIONS_PID" 2>/dev/null; then
            echo "chat: the action server stopped while starting; last lines of var/log/chat-actions.log:" >&2
            tail -n 20 var/log/chat-actions.log >&2
            exit 1
        fi
        sleep 1
    done
    healthy || { echo "chat: the action server did not answer http://localhost:$ACTION_PORT/health within 60 s." >&2; exit 1; }
    echo "chat: action server is up."
fi

echo "chat: loading the model (about 30 s)… type /stop to quit."
# A person trying the assistant should see the conversation, not TensorFlow's and Rasa's start-up
# warnings and log lines: those go to var/log/chat-rasa.log (the replies and the prompt use stdout).
rc=0
"$VENV_RASA/bin/rasa" shell --quiet --model models/clinic.tar.gz --endpoints "$RASA_ENDPOINTS" \
    --port "$CHAT_PORT" 2>var/log/chat-rasa.log || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 130 ]; then
    echo "chat: Rasa stopped with exit code $rc; last lines of var/log/chat-rasa.log:" >&2
    tail -n 20 var/log/chat-rasa.log >&2
fi
exit "$rc"

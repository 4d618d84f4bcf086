# shellcheck shell=bash
# Sourced by the other scripts (and by the Makefile): sets ROOT, the two environments' paths and
# PYTHONPATH, then exports every setting of the assistant.
#
# The settings and their defaults live in one place, bot/settings.py (it reads `.env` once; a
# variable already set in the real environment wins). Once the app environment exists, this
# file exports them with `python -m bot.settings --export`. Rasa expands ${VAR} in endpoints*.yml
# and the Procfile uses $RASA_PORT etc.: both need them exported.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
mkdir -p "$ROOT/var"

# The two virtual environments (created by scripts/setup.sh)
export VENV_RASA="$ROOT/.venv-rasa"
export VENV_APP="$ROOT/.venv-app"

# Python: the project root is importable (bot, actions, components) in both environments.
case ":${PYTHONPATH:-}:" in
    *":$ROOT:"*) ;;
    *) export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" ;;
esac

# Every setting (bot/settings.py). Before setup has made the app environment there is nothing to
# read them with; setup itself needs none of them, and the scripts that do source this file again.
clinic_export_settings() {
    local exports
    if [ -x "$VENV_APP/bin/python" ] && exports="$("$VENV_APP/bin/python" -m bot.settings --export)"; then
        eval "$exports"
    fi
}
clinic_export_settings

# Quieter, offline-friendly Rasa / TensorFlow
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING="${SQLALCHEMY_SILENCE_UBER_WARNING:-1}"

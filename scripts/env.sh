# shellcheck shell=bash
# Sourced by the other scripts (and by the Makefile): sets ROOT and exports every setting.
#
#   1. `.env` at the project root is read if present; a variable already set in the real
#      environment wins over `.env` (same rule as bot/settings.py).
#   2. Every setting that is still unset gets a local default (SQLite files under var/, ports
#      5005/5055). `.env.example` documents the same names.
#
# Rasa expands ${VAR} in endpoints.yml / endpoints.production.yml but has no defaults there:
# a variable missing from the environment makes Rasa fail (or leaves a broken URL), so every
# variable those files use must be exported here.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# --- 1. .env (KEY=VALUE lines; '#' comments; optional `export `; surrounding quotes removed) ---
_clinic_load_dotenv() {
    local file="$1" line key value
    [ -f "$file" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        line="${line#"${line%%[![:space:]]*}"}"          # trim leading blanks
        case "$line" in '' | '#'*) continue ;; esac
        line="${line#export }"
        case "$line" in *=*) ;; *) continue ;; esac
        key="${line%%=*}"
        key="${key%"${key##*[![:space:]]}"}"              # trim trailing blanks
        value="${line#*=}"
        value="${value#"${value%%[![:space:]]*}"}"
        value="${value%"${value##*[![:space:]]}"}"
        case "$value" in
            \"*\") value="${value:1:${#value}-2}" ;;
            \'*\') value="${value:1:${#value}-2}" ;;
        esac
        [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || {
            echo "env.sh: ignoring malformed line in $file: $line" >&2
            continue
        }
        if [ -z "${!key+set}" ]; then                      # real environment wins
            export "$key=$value"
        fi
    done <"$file"
}
_clinic_load_dotenv "$ROOT/.env"
unset -f _clinic_load_dotenv

mkdir -p "$ROOT/var"

# --- 2. defaults -------------------------------------------------------------------------------
# Python: the project root is importable (bot, actions, components) in both environments.
case ":${PYTHONPATH:-}:" in
    *":$ROOT:"*) ;;
    *) export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" ;;
esac

# Clinic database (SQLAlchemy URL). Production: postgresql+psycopg://user:pass@host:5432/clinic
export DATABASE_URL="${DATABASE_URL:-sqlite:///$ROOT/var/clinic.db}"

# Rasa server
export RASA_PORT="${RASA_PORT:-5005}"
export RASA_URL="${RASA_URL:-http://localhost:$RASA_PORT}"
export RASA_ENDPOINTS="${RASA_ENDPOINTS:-endpoints.yml}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export ACTION_HOST="${ACTION_HOST:-localhost}"   # endpoints.production.yml only

# Rasa HTTP API token: never a fixed, public value. Generated once per checkout, kept in
# var/rasa_token (git-ignored, mode 600) so every process and restart uses the same one.
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
    if [ ! -s "$ROOT/var/rasa_token" ]; then
        (
            umask 077
            head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ROOT/var/rasa_token.tmp" &&
                mv "$ROOT/var/rasa_token.tmp" "$ROOT/var/rasa_token"
        )
    fi
    RASA_AUTH_TOKEN="$(cat "$ROOT/var/rasa_token")"
fi
export RASA_AUTH_TOKEN

# Tracker store, embedded default (endpoints.yml): SQLite file
export TRACKER_DB="${TRACKER_DB:-$ROOT/var/tracker.db}"

# Tracker store + lock store, production (endpoints.production.yml): PostgreSQL + Redis
export TRACKER_DB_HOST="${TRACKER_DB_HOST:-127.0.0.1}"
export TRACKER_DB_PORT="${TRACKER_DB_PORT:-5432}"
export TRACKER_DB_NAME="${TRACKER_DB_NAME:-rasa_tracker}"
export TRACKER_DB_USER="${TRACKER_DB_USER:-postgres}"
export TRACKER_DB_PASSWORD="${TRACKER_DB_PASSWORD-}"          # empty allowed (trust auth)
export TRACKER_DB_LOGIN_DB="${TRACKER_DB_LOGIN_DB-postgres}"  # empty: never create the database
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
export REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_DB="${REDIS_DB:-1}"
export REDIS_PASSWORD="${REDIS_PASSWORD-}"                    # empty: no AUTH

# Quieter, offline-friendly Rasa / TensorFlow
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING="${SQLALCHEMY_SILENCE_UBER_WARNING:-1}"

# The two virtual environments (created by scripts/setup.sh)
export VENV_RASA="$ROOT/.venv-rasa"
export VENV_APP="$ROOT/.venv-app"

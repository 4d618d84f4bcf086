#!/usr/bin/env bash
# Creates (or brings up to date) everything the assistant needs locally. Safe to run again:
# an environment whose lock file has not changed since it was installed is skipped.
#
#   .venv-rasa  Python 3.10 + requirements/rasa.lock   (Rasa, TensorFlow, spaCy)
#   .venv-app   Python 3.10 + requirements/app.lock    (rasa-sdk, SQLAlchemy 2, tests, …)
#   models/spacy_en   spaCy pipeline, built by scripts/build_spacy_pipeline.py
#   system packages   Debian's chromium (browser tests) and nginx (make run-scaled), when missing
#   widget bundle     bot/web/widget/static/widget.js from the npm lock (scripts/build_widget.sh)
#   var/        local data (SQLite databases, Rasa API token) — git-ignored, never copied
#
# FORCE=1 bash scripts/setup.sh  reinstalls both environments even if their locks are unchanged.
set -Eeuo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

TOTAL=7
STEP="starting"
LOG_DIR="$ROOT/var/log"
mkdir -p "$LOG_DIR"

on_error() {
    local rc=$?
    echo >&2
    echo "SETUP FAILED at step: $STEP (exit code $rc)" >&2
    if [ -n "${CURRENT_LOG:-}" ] && [ -f "$CURRENT_LOG" ]; then
        echo "---- last lines of $CURRENT_LOG ----" >&2
        tail -n 25 "$CURRENT_LOG" >&2
        echo "---- full log: $CURRENT_LOG" >&2
    fi
    exit "$rc"
}
trap on_error ERR

step() { # step N "title"
    STEP="[$1/$TOTAL] $2"
    CURRENT_LOG=""
    echo
    echo "==> $STEP"
}

elapsed() { echo "$((SECONDS - $1))s"; }

sha256_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# pip output is long and noisy: full output to a log, a short progress line on screen.
pip_quiet() { # pip_quiet LOGFILE PYTHON ARGS...
    local log="$1" py="$2"
    shift 2
    CURRENT_LOG="$log"
    "$py" -m pip install --no-input --progress-bar off "$@" 2>&1 | tee -a "$log" |
        awk '/^(Collecting|Processing) /{n++; if (n % 25 == 0) {printf "    … %d packages resolved\n", n; fflush()}}
             /^Installing collected packages/{print "    installing " n " package" (n == 1 ? "" : "s") "…"; fflush()}
             /^Successfully installed/{print "    done."; fflush()}
             /^ERROR/{print "    " $0; fflush()}'
}

# Uninstall whatever is in the venv but not in the lock(s), so the venv equals the locks exactly.
sync_to_lock() { # sync_to_lock PYTHON LOCKFILE [LOCKFILE...]
    local extra py="$1"
    shift
    extra="$("$py" - "$@" <<'PY'
import re, sys, importlib.metadata as md
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = set()
for lock in sys.argv[1:]:
    for line in open(lock):
        line = line.split("#", 1)[0].strip()
        if line:
            locked.add(norm(re.split(r"[=<>!~\[; ]", line, 1)[0]))
keep = locked | {"pip"}
installed = {norm(d.metadata["Name"]) for d in md.distributions() if d.metadata["Name"]}
print(" ".join(sorted(installed - keep)))
PY
)"
    if [ -n "$extra" ]; then
        echo "    removing packages that are no longer in the lock: $extra"
        # shellcheck disable=SC2086
        "$py" -m pip uninstall -y $extra >>"$CURRENT_LOG" 2>&1
    fi
}

# pip check, except the declared requirements of the data-only packages (installed --no-deps)
pip_check() { # pip_check PYTHON [DATA_LOCK]
    local out data_names=""
    [ -n "${2:-}" ] && data_names="$(sed 's/#.*//; s/[=<>!~ ].*//' "$2" | grep -v '^$' | paste -sd'|')"
    out="$("$1" -m pip check 2>&1)" && return 0
    [ -n "$data_names" ] && out="$(echo "$out" | grep -viE "^($data_names) " || true)"
    if [ -n "$out" ]; then
        echo "$out" | tee -a "$CURRENT_LOG" >&2
        return 1
    fi
}

# ensure_venv DIR LOCK NAME [DATA_LOCK] : create/repair the venv, install the lock (and the
# data-only packages of DATA_LOCK, without their dependencies) unless the stamp matches
ensure_venv() {
    local dir="$1" lock="$2" name="$3" data_lock="${4:-}" start=$SECONDS
    local stamp_file="$dir/.installed-lock.sha256" log="$LOG_DIR/setup-$name.log"
    local want have=""
    want="$(sha256_of "$lock" requirements/pip.lock $data_lock)-$("$PY" -c 'import sys; print(sys.version.split()[0])')"

    if [ -x "$dir/bin/python" ] && ! "$dir/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
        echo "    $dir is broken or not Python 3.10 — recreating it"
        rm -rf "$dir"
    fi
    [ -f "$stamp_file" ] && have="$(cat "$stamp_file")"
    if [ -x "$dir/bin/python" ] && [ "$have" = "$want" ] && [ "${FORCE:-0}" != 1 ]; then
        echo "    up to date ($lock unchanged since it was installed) — skipped"
        return 0
    fi
    if [ -n "$have" ]; then
        echo "    $lock changed since the last install — updating $dir"
    fi

    : >"$log"
    CURRENT_LOG="$log"
    if [ ! -x "$dir/bin/python" ]; then
        echo "    creating $dir with $PY"
        "$PY" -m venv "$dir" >>"$log" 2>&1
    fi
    rm -f "$stamp_file"
    echo "    pinning pip (requirements/pip.lock)"
    pip_quiet "$log" "$dir/bin/python" -r requirements/pip.lock
    echo "    installing $lock (full log: ${log#"$ROOT"/})"
    pip_quiet "$log" "$dir/bin/python" -r "$lock"
    if [ -n "$data_lock" ]; then
        echo "    installing the data-only packages of $data_lock (without their dependencies)"
        pip_quiet "$log" "$dir/bin/python" --no-deps -r "$data_lock"
    fi
    sync_to_lock "$dir/bin/python" "$lock" $data_lock
    pip_check "$dir/bin/python" "$data_lock"
    echo "$want" >"$stamp_file"
    echo "    installed in $(elapsed "$start")"
}

SETUP_START=$SECONDS

step 1 "Finding Python 3.10"
PY="$(bash "$ROOT/scripts/find_python.sh")"
echo "    using $PY ($("$PY" --version 2>&1))"

step 2 "Installing the Rasa environment .venv-rasa (about 2 minutes on first run)…"
ensure_venv "$VENV_RASA" requirements/rasa.lock rasa

step 3 "Installing the app environment .venv-app (under a minute on first run)…"
ensure_venv "$VENV_APP" requirements/app.lock app requirements/data.lock

step 4 "Building the spaCy pipeline (models/spacy_en)"
spacy_stamp="models/spacy_en.stamp"
spacy_want="$(sha256_of scripts/build_spacy_pipeline.py requirements/rasa.lock)"
if [ -f models/spacy_en/meta.json ] && [ -f "$spacy_stamp" ] && [ "$(cat "$spacy_stamp")" = "$spacy_want" ]; then
    echo "    up to date (build script and Rasa lock unchanged) — skipped"
else
    CURRENT_LOG="$LOG_DIR/setup-spacy.log"
    start=$SECONDS
    mkdir -p models
    "$VENV_RASA/bin/python" scripts/build_spacy_pipeline.py 2>&1 | tee "$CURRENT_LOG" | sed 's/^/    /'
    echo "$spacy_want" >"$spacy_stamp"
    echo "    built in $(elapsed "$start")"
fi

step 5 "System packages (Debian): chromium for the browser tests, nginx for make run-scaled"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
    echo "    already installed — skipped"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    CURRENT_LOG="$LOG_DIR/setup-apt.log"
    start=$SECONDS
    echo "    installing ${missing[*]} with apt-get (log: ${CURRENT_LOG#"$ROOT"/})"
    DEBIAN_FRONTEND=noninteractive apt-get update >"$CURRENT_LOG" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$CURRENT_LOG" 2>&1
    echo "    installed in $(elapsed "$start")"
else
    echo "    missing: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}); the browser"
    echo "    tests and make run-scaled need them, the assistant itself does not."
fi

step 6 "Building the chat widget (npm, bundled locally: nothing from a CDN at run time)"
if [ -f scripts/build_widget.sh ]; then
    CURRENT_LOG="$LOG_DIR/setup-widget.log"
    bash scripts/build_widget.sh 2>&1 | tee "$CURRENT_LOG" | sed 's/^/    /'
else
    echo "    scripts/build_widget.sh missing — skipped"
fi

step 7 "Preparing local folders"
mkdir -p var models
echo "    var/     local data: SQLite databases, Rasa API token (git-ignored)"
echo "    models/  spaCy pipeline and trained models (git-ignored)"

trap - ERR
echo
echo "Setup complete in $(elapsed "$SETUP_START"). Next: make run (or make test)."
